package sandbox

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// logsState is the CloudWatch Logs part of a region. The zero value is
// ready to use.
type logsState struct {
	Groups map[string]*logGroup // by name
}

// logGroup is a log group and its streams. Times are epoch milliseconds,
// as CloudWatch Logs puts them on the wire (docs/aws-api.md §7.2).
type logGroup struct {
	Name         string
	CreationTime int64
	KmsKeyID     string            `json:",omitempty"`
	Tags         map[string]string `json:",omitempty"`
	Streams      map[string]*logStream
	// LastEventID numbers the group's events, giving each an eventId.
	LastEventID int64
}

// logStream holds its events in ingestion order, which keeps the positions
// that GetLogEvents tokens refer to stable.
type logStream struct {
	Name              string
	CreationTime      int64
	LastIngestionTime int64
	Events            []logEvent
}

// logEvent is one stored log line.
type logEvent struct {
	ID            int64
	Timestamp     int64
	Message       string
	IngestionTime int64
}

// registerLogs adds the CloudWatch Logs operations to s.
func (s *Server) registerLogs() {
	ops := map[string]jsonOp{
		"CreateLogGroup":     logsCreateLogGroup,
		"DeleteLogGroup":     logsDeleteLogGroup,
		"DescribeLogGroups":  logsDescribeLogGroups,
		"CreateLogStream":    logsCreateLogStream,
		"DescribeLogStreams": logsDescribeLogStreams,
		"PutLogEvents":       logsPutLogEvents,
		"GetLogEvents":       logsGetLogEvents,
		"FilterLogEvents":    logsFilterLogEvents,
	}
	for name, op := range ops {
		s.jsonOps[logsTargetPrefix+name] = op
	}
}

var (
	logGroupNamePattern  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	logStreamNamePattern = regexp.MustCompile(`^[^:*]*$`)
)

// Logs reports model constraint failures as InvalidParameterException.
func logsInvalid(format string, args ...any) *apiError {
	return clientErr("InvalidParameterException", format, args...)
}

func validLogGroupName(member, name string) error {
	if len(name) < 1 || len(name) > 512 {
		return logsInvalid("%s", constraintMessage(name, member, "Member must have length between 1 and 512"))
	}
	if !logGroupNamePattern.MatchString(name) {
		return logsInvalid("%s", constraintMessage(name, member, `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`))
	}
	return nil
}

func validLogStreamName(member, name string) error {
	if len(name) < 1 || len(name) > 512 {
		return logsInvalid("%s", constraintMessage(name, member, "Member must have length between 1 and 512"))
	}
	if !logStreamNamePattern.MatchString(name) {
		return logsInvalid("%s", constraintMessage(name, member, "Member must satisfy regular expression pattern: [^:*]*"))
	}
	return nil
}

// validLimit checks an optional page size against its model range.
func validLimit(limit *int, hi int) error {
	if limit != nil && (*limit < 1 || *limit > hi) {
		return logsInvalid("%s", constraintMessage(*limit, "limit", fmt.Sprintf("Member must have value between 1 and %d", hi)))
	}
	return nil
}

func errLogGroupNotFound() error {
	return clientErr("ResourceNotFoundException", "The specified log group does not exist.")
}

func errLogStreamNotFound() error {
	return clientErr("ResourceNotFoundException", "The specified log stream does not exist.")
}

// group returns the named group or ResourceNotFoundException.
func (st *logsState) group(name string) (*logGroup, error) {
	g, ok := st.Groups[name]
	if !ok {
		return nil, errLogGroupNotFound()
	}
	return g, nil
}

// stream returns the named stream of the named group, or ResourceNotFoundException.
func (st *logsState) stream(group, stream string) (*logGroup, *logStream, error) {
	g, err := st.group(group)
	if err != nil {
		return nil, nil, err
	}
	s, ok := g.Streams[stream]
	if !ok {
		return nil, nil, errLogStreamNotFound()
	}
	return g, s, nil
}

// createGroup adds a group; the caller has checked that it is new.
func (st *logsState) createGroup(name string, now time.Time) *logGroup {
	if st.Groups == nil {
		st.Groups = map[string]*logGroup{}
	}
	g := &logGroup{Name: name, CreationTime: now.UnixMilli(), Streams: map[string]*logStream{}}
	st.Groups[name] = g
	return g
}

// createStream adds a stream; the caller has checked that it is new.
func (g *logGroup) createStream(name string, now time.Time) *logStream {
	s := &logStream{Name: name, CreationTime: now.UnixMilli()}
	g.Streams[name] = s
	return s
}

// append stores one event, numbering it within the group.
func (g *logGroup) append(s *logStream, timestamp int64, message string, now time.Time) {
	g.LastEventID++
	s.LastIngestionTime = now.UnixMilli()
	s.Events = append(s.Events, logEvent{ID: g.LastEventID, Timestamp: timestamp, Message: message, IngestionTime: s.LastIngestionTime})
}

func logsCreateLogGroup(c *call, body []byte) (any, error) {
	var in struct {
		LogGroupName string
		KmsKeyID     string `json:"kmsKeyId"`
		Tags         map[string]string
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := validLogGroupName("logGroupName", in.LogGroupName); err != nil {
		return nil, err
	}
	if in.Tags != nil && (len(in.Tags) < 1 || len(in.Tags) > 50) {
		return nil, logsInvalid("%s", constraintMessage(in.Tags, "tags", "Member must have length between 1 and 50"))
	}
	if _, ok := c.w.logs.Groups[in.LogGroupName]; ok {
		return nil, clientErr("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	g := c.w.logs.createGroup(in.LogGroupName, c.now)
	g.KmsKeyID = in.KmsKeyID
	g.Tags = in.Tags
	return nil, nil
}

func logsDeleteLogGroup(c *call, body []byte) (any, error) {
	var in struct{ LogGroupName string }
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if _, err := c.w.logs.group(in.LogGroupName); err != nil {
		return nil, err
	}
	delete(c.w.logs.Groups, in.LogGroupName)
	return nil, nil
}

func logsCreateLogStream(c *call, body []byte) (any, error) {
	var in struct{ LogGroupName, LogStreamName string }
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := validLogStreamName("logStreamName", in.LogStreamName); err != nil {
		return nil, err
	}
	g, err := c.w.logs.group(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	if _, ok := g.Streams[in.LogStreamName]; ok {
		return nil, clientErr("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	g.createStream(in.LogStreamName, c.now)
	return nil, nil
}

// Events outside this window around now are rejected by PutLogEvents.
const (
	logsMaxEventAge    = 14 * 24 * time.Hour
	logsMaxEventFuture = 2 * time.Hour
)

func logsPutLogEvents(c *call, body []byte) (any, error) {
	var in struct {
		LogGroupName, LogStreamName string
		LogEvents                   []struct {
			Timestamp int64
			Message   string
		}
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if len(in.LogEvents) < 1 || len(in.LogEvents) > 10000 {
		return nil, logsInvalid("%s", constraintMessage(len(in.LogEvents), "logEvents", "Member must have length between 1 and 10000"))
	}
	g, s, err := c.w.logs.stream(in.LogGroupName, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(in.LogEvents); i++ {
		if in.LogEvents[i].Timestamp < in.LogEvents[i-1].Timestamp {
			return nil, logsInvalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	oldest, newest := c.now.Add(-logsMaxEventAge).UnixMilli(), c.now.Add(logsMaxEventFuture).UnixMilli()
	var rejected struct {
		TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
		TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	}
	for i, e := range in.LogEvents {
		switch {
		case e.Timestamp < oldest:
			rejected.TooOldLogEventEndIndex = &i
		case e.Timestamp > newest:
			if rejected.TooNewLogEventStartIndex == nil {
				rejected.TooNewLogEventStartIndex = &i
			}
		default:
			g.append(s, e.Timestamp, e.Message, c.now)
		}
	}
	out := map[string]any{"nextSequenceToken": fmt.Sprintf("%056d", g.LastEventID)}
	if rejected.TooOldLogEventEndIndex != nil || rejected.TooNewLogEventStartIndex != nil {
		out["rejectedLogEventsInfo"] = rejected
	}
	return out, nil
}

// pageToken is an opaque pagination token: base64 of a resume key.
func pageToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func parsePageToken(token string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) == 0 {
		return "", logsInvalid("The specified nextToken is invalid.")
	}
	return string(raw), nil
}

type logGroupOut struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	MetricFilterCount int    `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass"`
}

func (w *world) logGroupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", w.region, w.account, name)
}

func logsDescribeLogGroups(c *call, body []byte) (any, error) {
	var in struct {
		LogGroupNamePrefix  string
		LogGroupNamePattern string
		NextToken           string
		Limit               *int
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, logsInvalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.")
	}
	if in.LogGroupNamePrefix != "" {
		if err := validLogGroupName("logGroupNamePrefix", in.LogGroupNamePrefix); err != nil {
			return nil, err
		}
	}
	if err := validLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != "" {
		var err error
		if after, err = parsePageToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(c.w.logs.Groups))
	for name := range c.w.logs.Groups {
		if strings.HasPrefix(name, in.LogGroupNamePrefix) && name > after &&
			strings.Contains(strings.ToLower(name), strings.ToLower(in.LogGroupNamePattern)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	out := struct {
		LogGroups []logGroupOut `json:"logGroups"`
		NextToken string        `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupOut{}}
	limit := pageSize(in.Limit, 50)
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = pageToken(names[limit-1])
	}
	for _, name := range names {
		g := c.w.logs.Groups[name]
		out.LogGroups = append(out.LogGroups, logGroupOut{
			LogGroupName:  name,
			CreationTime:  g.CreationTime,
			Arn:           c.w.logGroupARN(name) + ":*",
			LogGroupArn:   c.w.logGroupARN(name),
			KmsKeyID:      g.KmsKeyID,
			LogGroupClass: "STANDARD",
		})
	}
	return out, nil
}

type logStreamOut struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

// lastEventTime orders streams for orderBy=LastEventTime; an empty stream
// sorts by its creation time.
func (s *logStream) lastEventTime() int64 {
	if len(s.Events) == 0 {
		return s.CreationTime
	}
	return s.Events[len(s.Events)-1].Timestamp
}

func (s *logStream) wire(groupARN string) logStreamOut {
	out := logStreamOut{LogStreamName: s.Name, CreationTime: s.CreationTime, Arn: groupARN + ":log-stream:" + s.Name}
	if n := len(s.Events); n > 0 {
		first, last, ingested := s.Events[0].Timestamp, s.Events[n-1].Timestamp, s.LastIngestionTime
		out.FirstEventTimestamp, out.LastEventTimestamp, out.LastIngestionTime = &first, &last, &ingested
	}
	return out
}

func logsDescribeLogStreams(c *call, body []byte) (any, error) {
	var in struct {
		LogGroupName        string
		LogStreamNamePrefix string
		OrderBy             string
		Descending          bool
		NextToken           string
		Limit               *int
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if in.OrderBy != "" && in.OrderBy != "LogStreamName" && in.OrderBy != "LastEventTime" {
		return nil, logsInvalid("%s", constraintMessage(in.OrderBy, "orderBy", "Member must satisfy enum value set: [LogStreamName, LastEventTime]"))
	}
	if in.OrderBy == "LastEventTime" && in.LogStreamNamePrefix != "" {
		return nil, logsInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	if err := validLimit(in.Limit, 50); err != nil {
		return nil, err
	}
	offset := 0
	if in.NextToken != "" {
		key, err := parsePageToken(in.NextToken)
		if err == nil {
			offset, err = strconv.Atoi(key)
		}
		if err != nil {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
	}
	g, err := c.w.logs.group(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	var streams []*logStream
	for _, s := range g.Streams {
		if strings.HasPrefix(s.Name, in.LogStreamNamePrefix) {
			streams = append(streams, s)
		}
	}
	slices.SortFunc(streams, func(a, b *logStream) int {
		r := strings.Compare(a.Name, b.Name)
		if in.OrderBy == "LastEventTime" {
			r = cmp.Or(cmp.Compare(a.lastEventTime(), b.lastEventTime()), r)
		}
		if in.Descending {
			return -r
		}
		return r
	})
	limit := pageSize(in.Limit, 50)
	out := struct {
		LogStreams []logStreamOut `json:"logStreams"`
		NextToken  string         `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamOut{}}
	end := min(offset+limit, len(streams))
	for _, s := range streams[min(offset, end):end] {
		out.LogStreams = append(out.LogStreams, s.wire(c.w.logGroupARN(g.Name)))
	}
	if end < len(streams) {
		out.NextToken = pageToken(strconv.Itoa(end))
	}
	return out, nil
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// timeRange is an optional [start, end) filter in epoch milliseconds.
type timeRange struct{ Start, End *int64 }

func (r timeRange) contains(ts int64) bool {
	return (r.Start == nil || ts >= *r.Start) && (r.End == nil || ts < *r.End)
}

// GetLogEvents tokens are positions in a stream: "f/<n>" reads forward from
// event n, "b/<n>" backward from just before it, n in 56 digits as AWS's
// tokens look. At either end the caller's own token comes back, which is
// how a tailing client knows it has caught up (docs/aws-api.md §1.4).
func streamToken(dir byte, pos int) string { return fmt.Sprintf("%c/%056d", dir, pos) }

func parseStreamToken(token string, n int) (dir byte, pos int, err error) {
	if len(token) < 3 || token[1] != '/' || token[0] != 'f' && token[0] != 'b' {
		return 0, 0, logsInvalid("The specified nextToken is invalid.")
	}
	pos, perr := strconv.Atoi(token[2:])
	if perr != nil || pos < 0 || pos > n {
		return 0, 0, logsInvalid("The specified nextToken is invalid.")
	}
	return token[0], pos, nil
}

// eventPage is one GetLogEvents answer.
type eventPage struct {
	Events            []outputLogEvent `json:"events"`
	NextForwardToken  string           `json:"nextForwardToken"`
	NextBackwardToken string           `json:"nextBackwardToken"`
}

// readForward collects up to limit events in range from position pos on.
func readForward(events []logEvent, pos, limit int, r timeRange) eventPage {
	page := eventPage{Events: []outputLogEvent{}, NextForwardToken: streamToken('f', pos), NextBackwardToken: streamToken('b', pos)}
	first := -1
	for i := pos; i < len(events) && len(page.Events) < limit; i++ {
		if e := events[i]; r.contains(e.Timestamp) {
			if first < 0 {
				first = i
			}
			page.Events = append(page.Events, outputLogEvent{e.Timestamp, e.Message, e.IngestionTime})
			page.NextForwardToken = streamToken('f', i+1)
		}
	}
	if first >= 0 {
		page.NextBackwardToken = streamToken('b', first)
	}
	return page
}

// readBackward collects up to limit events in range before position pos,
// returned oldest first.
func readBackward(events []logEvent, pos, limit int, r timeRange) eventPage {
	page := eventPage{Events: []outputLogEvent{}, NextForwardToken: streamToken('f', pos), NextBackwardToken: streamToken('b', pos)}
	last := -1
	for i := pos - 1; i >= 0 && len(page.Events) < limit; i-- {
		if e := events[i]; r.contains(e.Timestamp) {
			if last < 0 {
				last = i
			}
			page.Events = append(page.Events, outputLogEvent{e.Timestamp, e.Message, e.IngestionTime})
			page.NextBackwardToken = streamToken('b', i)
		}
	}
	slices.Reverse(page.Events)
	if last >= 0 {
		page.NextForwardToken = streamToken('f', last+1)
	}
	return page
}

func logsGetLogEvents(c *call, body []byte) (any, error) {
	var in struct {
		LogGroupName, LogStreamName string
		StartTime, EndTime          *int64
		NextToken                   string
		Limit                       *int
		StartFromHead               bool
	}
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := validLimit(in.Limit, 10000); err != nil {
		return nil, err
	}
	_, s, err := c.w.logs.stream(in.LogGroupName, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.Limit, 10000)
	r := timeRange{in.StartTime, in.EndTime}
	if in.NextToken == "" {
		if in.StartFromHead {
			return readForward(s.Events, 0, limit, r), nil
		}
		return readBackward(s.Events, len(s.Events), limit, r), nil
	}
	dir, pos, err := parseStreamToken(in.NextToken, len(s.Events))
	if err != nil {
		return nil, err
	}
	if dir == 'f' {
		return readForward(s.Events, pos, limit, r), nil
	}
	return readBackward(s.Events, pos, limit, r), nil
}

type filteredLogEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

// filterKey orders FilterLogEvents results (timestamp, then the group's
// event number) and is the resume point its nextToken carries.
func filterKey(timestamp, id int64) string { return fmt.Sprintf("%020d/%020d", timestamp, id) }

// filterTerms splits a filter pattern into terms that must all occur in a
// message: words, or "quoted phrases". The metric and JSON pattern
// syntaxes are not emulated.
func filterTerms(pattern string) []string {
	var terms []string
	for i, part := range strings.Split(pattern, `"`) {
		if i%2 == 1 {
			if part != "" {
				terms = append(terms, part)
			}
			continue
		}
		terms = append(terms, strings.Fields(part)...)
	}
	return terms
}

func matchesAll(message string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(message, t) {
			return false
		}
	}
	return true
}

type filterLogEventsInput struct {
	LogGroupName        string
	LogStreamNames      []string
	LogStreamNamePrefix string
	StartTime, EndTime  *int64
	FilterPattern       string
	NextToken           string
	Limit               *int
}

func (in *filterLogEventsInput) validate() error {
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != "" {
		return logsInvalid("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	if in.LogStreamNames != nil && (len(in.LogStreamNames) < 1 || len(in.LogStreamNames) > 100) {
		return logsInvalid("%s", constraintMessage(in.LogStreamNames, "logStreamNames", "Member must have length between 1 and 100"))
	}
	if len(in.FilterPattern) > 1024 {
		return logsInvalid("%s", constraintMessage(in.FilterPattern, "filterPattern", "Member must have length less than or equal to 1024"))
	}
	return validLimit(in.Limit, 10000)
}

// selects reports whether stream s is searched.
func (in *filterLogEventsInput) selects(s string) bool {
	if in.LogStreamNames != nil {
		return slices.Contains(in.LogStreamNames, s)
	}
	return strings.HasPrefix(s, in.LogStreamNamePrefix)
}

func logsFilterLogEvents(c *call, body []byte) (any, error) {
	var in filterLogEventsInput
	if err := decodeJSONInput(body, &in); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != "" {
		var err error
		if after, err = parsePageToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	g, err := c.w.logs.group(in.LogGroupName)
	if err != nil {
		return nil, err
	}
	r, terms := timeRange{in.StartTime, in.EndTime}, filterTerms(in.FilterPattern)
	type searched struct {
		LogStreamName      string `json:"logStreamName"`
		SearchedCompletely bool   `json:"searchedCompletely"`
	}
	out := struct {
		Events             []filteredLogEvent `json:"events"`
		SearchedLogStreams []searched         `json:"searchedLogStreams"`
		NextToken          string             `json:"nextToken,omitempty"`
	}{Events: []filteredLogEvent{}, SearchedLogStreams: []searched{}}
	type hit struct {
		key string
		ev  filteredLogEvent
	}
	var hits []hit
	for _, s := range g.Streams {
		if !in.selects(s.Name) {
			continue
		}
		out.SearchedLogStreams = append(out.SearchedLogStreams, searched{s.Name, true})
		for _, e := range s.Events {
			key := filterKey(e.Timestamp, e.ID)
			if r.contains(e.Timestamp) && matchesAll(e.Message, terms) && key > after {
				hits = append(hits, hit{key, filteredLogEvent{s.Name, e.Timestamp, e.Message, e.IngestionTime, fmt.Sprintf("%056d", e.ID)}})
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int { return strings.Compare(a.key, b.key) })
	slices.SortFunc(out.SearchedLogStreams, func(a, b searched) int { return strings.Compare(a.LogStreamName, b.LogStreamName) })
	limit := pageSize(in.Limit, 10000)
	if len(hits) > limit {
		hits = hits[:limit]
		out.NextToken = pageToken(hits[limit-1].key)
	}
	for _, h := range hits {
		out.Events = append(out.Events, h.ev)
	}
	return out, nil
}
