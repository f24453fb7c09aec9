// Package deploy turns a deployment Spec into running AWS resources. This file
// holds the Spec itself: its JSON format (docs/design.md §3), strict parsing, and
// the problem report that parsing and validation return.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// Size limits. The task definition limit is AWS's own for a
// RegisterTaskDefinition request; the spec limit leaves room around it.
const (
	MaxSpecBytes           = 256 << 10
	MaxTaskDefinitionBytes = 64 << 10
	// maxNesting bounds how deep JSON may nest; the deepest legitimate path
	// (a container's log secret options) is under ten levels.
	maxNesting = 64
)

// Spec is one deployment's desired state: everything apply needs to take a
// task definition to a running, load-balanced ECS service. Its JSON field
// names are a public contract (docs/design.md §3).
type Spec struct {
	// Region is the AWS region. Empty means the console's configured region;
	// ParseWithDefaultRegion fills it in.
	Region  string  `json:"region,omitempty"`
	Cluster Cluster `json:"cluster"`
	// TaskDefinition is AWS's RegisterTaskDefinition input JSON, normalized by
	// Parse: describe-task-definition read-only members stripped, keys sorted,
	// compact. Use TaskDefinitionInput for the typed form.
	TaskDefinition json.RawMessage `json:"taskDefinition,omitempty"`
	Service        Service         `json:"service"`
	// LoadBalancer is optional: without it the service runs without an ALB.
	LoadBalancer *LoadBalancer `json:"loadBalancer,omitempty"`
}

// Cluster names the ECS cluster, created when it does not exist.
type Cluster struct {
	Name string `json:"name"`
}

// Service is the ECS service: how many tasks, where, and how deployments roll.
type Service struct {
	Name string `json:"name"`
	// DesiredCount is required: ECS needs it for replica services, and a
	// silent default of zero tasks would surprise.
	DesiredCount     *int32            `json:"desiredCount,omitempty"`
	Subnets          []string          `json:"subnets,omitempty"`
	AssignPublicIP   bool              `json:"assignPublicIp,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	NewSecurityGroup *NewSecurityGroup `json:"newSecurityGroup,omitempty"`
	CircuitBreaker   *CircuitBreaker   `json:"circuitBreaker,omitempty"`
	// MinimumHealthyPercent and MaximumPercent are nil for AWS's defaults
	// (100 and 200).
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`
	MaximumPercent        *int32 `json:"maximumPercent,omitempty"`
}

// NewSecurityGroup describes a security group to create for the tasks.
type NewSecurityGroup struct {
	Name string `json:"name"`
	// IngressPorts are opened to the load balancer's security group, or to
	// the internet when the spec has no load balancer.
	IngressPorts []int32 `json:"ingressPorts,omitempty"`
}

// CircuitBreaker is ECS's deployment circuit breaker setting.
type CircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// LoadBalancer is an internet-facing Application Load Balancer in front of
// the service, with an HTTP listener on 80 and optionally HTTPS on 443.
type LoadBalancer struct {
	Name        string      `json:"name"`
	Subnets     []string    `json:"subnets,omitempty"`
	TargetGroup TargetGroup `json:"targetGroup"`
	HTTPS       *HTTPS      `json:"https,omitempty"`
}

// TargetGroup is the ALB target group (target type ip) that ECS keeps filled
// with the tasks' addresses on ContainerName:ContainerPort.
type TargetGroup struct {
	Name          string `json:"name"`
	ContainerName string `json:"containerName"`
	ContainerPort int32  `json:"containerPort"`
	// HealthCheckPath empty means the target group default, "/".
	HealthCheckPath string `json:"healthCheckPath,omitempty"`
}

// HTTPS adds a 443 listener. Exactly one of CertificateArn (an existing ACM
// certificate) and RequestDomain (request a DNS-validated one) is set.
type HTTPS struct {
	CertificateArn string `json:"certificateArn,omitempty"`
	RequestDomain  string `json:"requestDomain,omitempty"`
	// AlternativeNames are more names the requested certificate covers
	// (its subject alternative names besides requestDomain), e.g.
	// "www.example.com" or "*.example.com".
	AlternativeNames []string `json:"alternativeNames,omitempty"`
	// RedirectHTTP turns the port 80 listener into a redirect to 443 once
	// HTTPS works.
	RedirectHTTP bool `json:"redirectHttp,omitempty"`
}

// Problem is one thing wrong with a spec, located by a JSON path such as
// taskDefinition.containerDefinitions[0].portMappings[1].containerPort.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String renders the problem as "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError reports every problem found in a spec, in document order.
type ValidationError struct {
	Problems []Problem
}

// Error lists all problems on one line.
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "invalid deployment spec: " + strings.Join(msgs, "; ")
}

// problems collects Problems while checks run, so every one is reported.
type problems []Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err is nil when nothing was found, else a *ValidationError.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}

// covers reports whether a problem is already recorded at path or at one of
// its ancestors, so a malformed value does not also yield follow-on
// complaints about what it failed to provide.
func (ps problems) covers(path string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool {
		return path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[")
	})
}

// Parse reads a spec strictly and validates it; see ParseWithDefaultRegion.
// A spec without a region keeps an empty Region.
func Parse(data []byte) (*Spec, error) {
	return ParseWithDefaultRegion(data, "")
}

// ParseWithDefaultRegion reads a spec, fills an empty region with
// defaultRegion (the console's configured region; "" leaves it empty), and
// validates it. Unknown fields are rejected at every level, the task
// definition may be given as RegisterTaskDefinition input or as the output of
// `aws ecs describe-task-definition` (whole or its inner taskDefinition), and
// every problem found is returned at once in a *ValidationError.
func ParseWithDefaultRegion(data []byte, defaultRegion string) (*Spec, error) {
	if len(data) > MaxSpecBytes {
		return nil, (problems{{Message: fmt.Sprintf("the spec is %d bytes; the limit is %d (256 KiB)", len(data), MaxSpecBytes)}}).err()
	}
	if p := checkSyntax(data); p != nil {
		return nil, (problems{*p}).err()
	}
	spec, td, ps, err := decodeSpec(data)
	if err != nil {
		return nil, err
	}
	if spec.Region == "" {
		spec.Region = defaultRegion
	}
	for _, p := range spec.check(td) {
		if !ps.covers(p.Path) {
			ps = append(ps, p)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// decodeSpec decodes syntactically valid JSON into a Spec and its decoded
// task definition (nil when absent), recording shape problems. What
// checkShape reports it removes, so the rest decodes cleanly and the semantic
// checks can still report their own problems.
func decodeSpec(data []byte) (*Spec, *ecs.RegisterTaskDefinitionInput, problems, error) {
	var doc map[string]any
	if err := decodeGeneric(data, &doc); err != nil {
		return nil, nil, nil, fmt.Errorf("deploy: decode checked spec: %w", err)
	}
	var ps problems
	rawTD, hasTD := doc["taskDefinition"]
	delete(doc, "taskDefinition")
	checkShape(&ps, "", doc, reflect.TypeFor[Spec]())
	spec := &Spec{}
	if err := redecode(doc, spec); err != nil {
		return nil, nil, nil, err
	}
	spec.normalize()
	if !hasTD {
		return spec, nil, ps, nil
	}
	spec.TaskDefinition = normalizeTaskDefinition(&ps, rawTD)
	if spec.TaskDefinition == nil {
		return spec, nil, ps, nil
	}
	td := &ecs.RegisterTaskDefinitionInput{}
	if err := json.Unmarshal(spec.TaskDefinition, td); err != nil {
		return nil, nil, nil, fmt.Errorf("deploy: decode checked task definition: %w", err)
	}
	return spec, td, ps, nil
}

// normalize makes empty lists nil so that a spec and its re-parsed JSON
// compare equal (JSON omits empty lists).
func (s *Spec) normalize() {
	svc := &s.Service
	svc.Subnets = nilIfEmpty(svc.Subnets)
	svc.SecurityGroupIDs = nilIfEmpty(svc.SecurityGroupIDs)
	if svc.NewSecurityGroup != nil {
		svc.NewSecurityGroup.IngressPorts = nilIfEmpty(svc.NewSecurityGroup.IngressPorts)
	}
	if s.LoadBalancer != nil {
		s.LoadBalancer.Subnets = nilIfEmpty(s.LoadBalancer.Subnets)
		if h := s.LoadBalancer.HTTPS; h != nil {
			h.AlternativeNames = nilIfEmpty(h.AlternativeNames)
		}
	}
}

func nilIfEmpty[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// JSON returns the spec's canonical JSON: compact, fields in declaration
// order, the task definition as normalized by Parse. It panics if
// TaskDefinition is set but is not valid JSON, which Parse never produces.
func (s *Spec) JSON() []byte {
	b, err := marshalCanonical(s)
	if err != nil {
		// A Spec holds only strings, numbers, bools and the task definition,
		// which Parse produced as valid JSON.
		panic(fmt.Sprintf("deploy: marshal spec: %v", err))
	}
	return b
}

// ServiceKey identifies the service the spec deploys: "<region>/<cluster>/<service>".
func (s *Spec) ServiceKey() string {
	return s.Region + "/" + s.Cluster.Name + "/" + s.Service.Name
}

// TaskDefinitionInput decodes the task definition into the SDK's input type,
// rejecting any member RegisterTaskDefinition does not accept.
func (s *Spec) TaskDefinitionInput() (*ecs.RegisterTaskDefinitionInput, error) {
	if len(s.TaskDefinition) == 0 {
		return nil, errors.New("deploy: the spec has no task definition")
	}
	in, err := decodeTaskDefinition(s.TaskDefinition)
	if err != nil {
		return nil, fmt.Errorf("deploy: decode task definition: %w", err)
	}
	return in, nil
}

func decodeTaskDefinition(raw json.RawMessage) (*ecs.RegisterTaskDefinitionInput, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	in := &ecs.RegisterTaskDefinitionInput{}
	if err := dec.Decode(in); err != nil {
		return nil, err
	}
	return in, nil
}

// marshalCanonical encodes v compactly without HTML escaping, so that
// characters such as < and & in commands survive export unchanged.
func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// redecode decodes shape-checked generic JSON into v.
func redecode(doc map[string]any, v any) error {
	b, err := marshalCanonical(doc)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("deploy: decode checked spec: %w", err)
	}
	return nil
}

// decodeGeneric decodes JSON keeping numbers as written (json.Number), so
// that integer checks see the literal and the task definition re-encodes
// exactly.
func decodeGeneric(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// isReadOnlyMember reports whether describe-task-definition returns member
// k but RegisterTaskDefinition does not accept it: the SDK's
// types.TaskDefinition fields absent from RegisterTaskDefinitionInput.
func isReadOnlyMember(k string) bool {
	switch k {
	case "compatibilities", "deleteRequestedAt", "deregisteredAt", "registeredAt",
		"registeredBy", "requiresAttributes", "revision", "status", "taskDefinitionArn":
		return true
	}
	return false
}

// normalizeTaskDefinition accepts RegisterTaskDefinition input or
// describe-task-definition output, checks its shape against the SDK's input
// type and returns it as canonical JSON (nil if it is not an object).
func normalizeTaskDefinition(ps *problems, raw any) json.RawMessage {
	const path = "taskDefinition"
	td, ok := raw.(map[string]any)
	if !ok {
		ps.add(path, "must be an object: RegisterTaskDefinition input, or the output of aws ecs describe-task-definition; found %s", describeJSON(raw))
		return nil
	}
	td = unwrapDescribeOutput(ps, td)
	for k := range td {
		if isReadOnlyMember(k) {
			delete(td, k)
		}
	}
	checkShape(ps, path, td, reflect.TypeFor[ecs.RegisterTaskDefinitionInput]())
	b, err := marshalCanonical(td)
	if err != nil {
		panic(fmt.Sprintf("deploy: re-encode decoded JSON: %v", err)) // it came from valid JSON
	}
	if len(b) > MaxTaskDefinitionBytes {
		ps.add(path, "is %d bytes; AWS accepts at most %d (64 KiB); shorten it, e.g. move large environment values to secrets", len(b), MaxTaskDefinitionBytes)
	}
	return b
}

// unwrapDescribeOutput returns the inner task definition when td is the
// whole describe-task-definition output, moving its top-level tags inside
// (RegisterTaskDefinition takes them as a member).
func unwrapDescribeOutput(ps *problems, td map[string]any) map[string]any {
	inner, ok := td["taskDefinition"].(map[string]any)
	if !ok {
		return td
	}
	for _, k := range sortedKeys(td) {
		if k != "taskDefinition" && k != "tags" {
			ps.add("taskDefinition."+k, "unknown field in describe-task-definition output; only taskDefinition and tags are expected")
		}
	}
	if tags, ok := td["tags"]; ok {
		if _, dup := inner["tags"]; dup {
			ps.add("taskDefinition.tags", "tags are given both inside and beside taskDefinition; keep one list")
		} else {
			inner["tags"] = tags
		}
	}
	return inner
}

// checkSyntax scans data token by token so that a syntax error, a repeated
// member or excessive nesting is reported with the path where it occurs.
// It also requires the document to be a single object.
func checkSyntax(data []byte) *Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	s := syntaxScan{dec: dec, data: data}
	return s.run()
}

// syntaxScan tracks where in the document the decoder is.
type syntaxScan struct {
	dec   *json.Decoder
	data  []byte
	stack []*scanFrame
	done  bool  // the top-level object has closed
	end   int64 // the offset just after it
}

type scanFrame struct {
	path   string
	object bool
	keys   map[string]bool
	key    string // the current member's name (objects)
	inKey  bool   // the next string is a member name (objects)
	index  int    // the current element (arrays)
}

func (s *syntaxScan) run() *Problem {
	for {
		tok, err := s.dec.Token()
		if errors.Is(err, io.EOF) {
			switch {
			case len(s.stack) > 0:
				return s.atOffset(int64(len(s.data)), "the JSON ends early; close every string, [ and {")
			case !s.done:
				return &Problem{Message: "the spec is empty; send a JSON object"}
			}
			return nil
		}
		if s.done {
			return s.trailingData()
		}
		if err != nil {
			return s.syntaxProblem(err)
		}
		if p := s.token(tok); p != nil {
			return p
		}
	}
}

func (s *syntaxScan) token(tok json.Token) *Problem {
	if len(s.stack) == 0 {
		if tok != json.Delim('{') {
			return &Problem{Message: "the spec must be a JSON object, starting with {"}
		}
	}
	top := s.top()
	if top != nil && top.object && top.inKey {
		if key, ok := tok.(string); ok {
			if top.keys[key] {
				return &Problem{Path: joinKey(top.path, key), Message: "appears twice in the same object; keep one"}
			}
			top.keys[key], top.key, top.inKey = true, key, false
			return nil
		}
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if len(s.stack) >= maxNesting {
			return &Problem{Path: s.valuePath(), Message: fmt.Sprintf("nests deeper than %d levels", maxNesting)}
		}
		s.stack = append(s.stack, &scanFrame{path: s.valuePath(), object: tok == json.Delim('{'), keys: map[string]bool{}, inKey: true})
		return nil
	case json.Delim('}'), json.Delim(']'):
		s.stack = s.stack[:len(s.stack)-1]
	}
	s.valueDone()
	return nil
}

func (s *syntaxScan) top() *scanFrame {
	if len(s.stack) == 0 {
		return nil
	}
	return s.stack[len(s.stack)-1]
}

// valuePath is the path of the value about to be read.
func (s *syntaxScan) valuePath() string {
	top := s.top()
	switch {
	case top == nil:
		return ""
	case top.object && top.inKey:
		return top.path
	case top.object:
		return joinKey(top.path, top.key)
	default:
		return fmt.Sprintf("%s[%d]", top.path, top.index)
	}
}

// valueDone moves past a complete value.
func (s *syntaxScan) valueDone() {
	top := s.top()
	switch {
	case top == nil:
		s.done, s.end = true, s.dec.InputOffset()
	case top.object:
		top.inKey = true
	default:
		top.index++
	}
}

// trailingData reports anything but whitespace after the top-level object.
func (s *syntaxScan) trailingData() *Problem {
	end := s.end
	rest := s.data[end:]
	end += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
	return s.atOffset(end, "unexpected data after the spec's closing brace; send exactly one JSON object")
}

// syntaxProblem locates a decoder error. Token returns *json.SyntaxError for
// malformed input and io.ErrUnexpectedEOF when the input stops mid-value.
func (s *syntaxScan) syntaxProblem(err error) *Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return s.atOffset(se.Offset, "invalid JSON: "+se.Error()+"; fix the syntax here")
	}
	return s.atOffset(int64(len(s.data)), "the JSON ends early; close every string, [ and {")
}

func (s *syntaxScan) atOffset(offset int64, msg string) *Problem {
	line, col := lineColumn(s.data, offset)
	return &Problem{Path: s.valuePath(), Message: fmt.Sprintf("line %d, column %d: %s", line, col, msg)}
}

// lineColumn converts the count of bytes before a position to its 1-based
// line and column.
func lineColumn(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// checkShape compares decoded JSON with the Go type it will be decoded into
// and records, with their paths, unknown or wrongly cased members, values of
// the wrong JSON type, integers out of range and unknown enum values. It
// removes what it reports, so that decoding the rest cannot fail and the
// semantic checks see only well-formed values. Member names are the json
// tag, or for the SDK's untagged structs the Go field name with a lower-case
// first letter, which is AWS's member name. It reports whether v is valid.
func checkShape(ps *problems, path string, v any, t reflect.Type) bool {
	if v == nil {
		return true // null: the same as absent
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkObject(ps, path, v, t)
	case reflect.Slice:
		return checkList(ps, path, v, t)
	case reflect.Map:
		return checkMap(ps, path, v, t)
	case reflect.String:
		return checkString(ps, path, v, t)
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.add(path, "must be true or false; found %s", describeJSON(v))
			return false
		}
		return true
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return checkInteger(ps, path, v, t.Bits())
	case reflect.Interface:
		// The SDK's union types (only GPU sharing strategies, in the task
		// definition) have no JSON form encoding/json can decode.
		ps.add(path, "is not supported by the console; remove it")
		return false
	default:
		panic(fmt.Sprintf("deploy: checkShape: unsupported kind %s at %s", t.Kind(), path))
	}
}

func checkObject(ps *problems, path string, v any, t reflect.Type) bool {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be an object; found %s", describeJSON(v))
		return false
	}
	fields := memberFields(t)
	for _, k := range sortedKeys(m) {
		f, ok := fields[k]
		switch {
		case !ok:
			ps.add(joinKey(path, k), "unknown field%s", suggestMember(k, fields))
			delete(m, k)
		case !checkShape(ps, joinKey(path, k), m[k], f.Type):
			delete(m, k)
		}
	}
	return true
}

func checkList(ps *problems, path string, v any, t reflect.Type) bool {
	list, ok := v.([]any)
	if !ok {
		ps.add(path, "must be a list; found %s", describeJSON(v))
		return false
	}
	for i, e := range list {
		if !checkShape(ps, fmt.Sprintf("%s[%d]", path, i), e, t.Elem()) {
			list[i] = nil // keeps the indexes of later elements
		}
	}
	return true
}

func checkMap(ps *problems, path string, v any, t reflect.Type) bool {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be an object; found %s", describeJSON(v))
		return false
	}
	for _, k := range sortedKeys(m) {
		if !checkShape(ps, joinKey(path, k), m[k], t.Elem()) {
			delete(m, k)
		}
	}
	return true
}

// memberFields maps the JSON member names of struct t to its fields.
func memberFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		fields[name] = f
	}
	return fields
}

// suggestMember proposes the member the user probably meant: one differing
// only in case, or within two edits. Long keys get no suggestion, which
// also bounds the edit-distance work an oversized key can cause.
func suggestMember(key string, fields map[string]reflect.StructField) string {
	const maxSuggestLength = 64
	best, bestDist := "", 3
	if len(key) > maxSuggestLength {
		return "; remove it"
	}
	for _, name := range sortedKeys(fields) {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("; member names are case-sensitive: write %q", name)
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; remove it"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkString also enforces the SDK's enum types (string types with a
// Values method), since AWS rejects values outside them.
func checkString(ps *problems, path string, v any, t reflect.Type) bool {
	s, ok := v.(string)
	if !ok {
		ps.add(path, "must be a string; found %s", describeJSON(v))
		return false
	}
	values := reflect.Zero(t).MethodByName("Values")
	if !values.IsValid() {
		return true
	}
	allowed := values.Call(nil)[0]
	names := make([]string, allowed.Len())
	for i := range names {
		names[i] = allowed.Index(i).String()
	}
	if !slices.Contains(names, s) {
		ps.add(path, "%q is not a valid value; use one of %s", s, strings.Join(names, ", "))
		return false
	}
	return true
}

func checkInteger(ps *problems, path string, v any, bits int) bool {
	n, ok := v.(json.Number)
	if !ok {
		ps.add(path, "must be a number; found %s", describeJSON(v))
		return false
	}
	_, err := strconv.ParseInt(n.String(), 10, bits)
	switch {
	case errors.Is(err, strconv.ErrRange):
		ps.add(path, "%s is out of range", n)
	case err != nil:
		ps.add(path, "%s is not a whole number; write it without a fraction or exponent", n)
	}
	return err == nil
}

// describeJSON names the JSON type of a decoded value for messages.
func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

// joinKey appends an object member to a path, quoting names that are not
// plain identifiers (e.g. docker label keys with dots).
func joinKey(path, key string) string {
	plain := key != "" && strings.IndexFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
