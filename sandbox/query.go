package sandbox

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// queryService is what the form-encoded protocols need to know about one
// service: its signing name (used by faults and logs), its XML namespace and
// whether it speaks ec2Query rather than awsQuery.
type queryService struct {
	name      string
	namespace string
	ec2       bool
}

// queryServiceFor maps the form's Version to its service (docs/aws-api.md §1.1).
func queryServiceFor(version string) (queryService, bool) {
	switch version {
	case elbVersion:
		return queryService{name: "elasticloadbalancing", namespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"}, true
	case stsVersion:
		return queryService{name: "sts", namespace: "https://sts.amazonaws.com/doc/2011-06-15/"}, true
	case iamVersion:
		return queryService{name: "iam", namespace: "https://iam.amazonaws.com/doc/2010-05-08/"}, true
	case ec2Version:
		return queryService{name: "ec2", namespace: "http://ec2.amazonaws.com/doc/2016-11-15/", ec2: true}, true
	}
	return queryService{}, false
}

// serveQuery handles the form-encoded services: ELBv2 and STS (awsQuery)
// and EC2 (ec2Query), routed by Version and Action.
func (s *Server) serveQuery(rw http.ResponseWriter, r *http.Request, form url.Values, region, requestID string) {
	version, action := form.Get("Version"), form.Get("Action")
	svc, _ := queryServiceFor(version)
	op, ok := s.queryOps[version+":"+action]
	var body any
	var err error
	if !ok {
		err = clientErr("InvalidAction", "The action %s is not valid for this web service.", action)
	} else {
		body, err = s.invoke(r, svc.name, action, region, requestID, func(c *call) (any, error) {
			out, err := op(c, form)
			if err != nil {
				return nil, err
			}
			// Encode under the lock: outputs may share slices with state
			// that later calls and scheduled events change.
			var buf bytes.Buffer
			if svc.ec2 {
				writeEC2Response(&buf, svc.namespace, action, out, requestID)
			} else {
				writeQueryResponse(&buf, svc.namespace, action, out, requestID)
			}
			return buf.Bytes(), nil
		})
	}
	rw.Header().Set("Content-Type", "text/xml")
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Status: 500, Code: "InternalFailure", Message: err.Error()}
		}
		rw.WriteHeader(ae.Status)
		if svc.ec2 {
			writeEC2Error(rw, ae, requestID)
		} else {
			writeQueryError(rw, svc.namespace, ae, requestID)
		}
		return
	}
	rw.WriteHeader(http.StatusOK)
	rw.Write(body.([]byte))
}

// writeQueryResponse writes the awsQuery envelope: <OpResponse><OpResult>…
// </OpResult><ResponseMetadata><RequestId>. The Go SDK insists on the Result
// element even when it is empty.
func writeQueryResponse(rw io.Writer, namespace, op string, out any, requestID string) {
	enc := xml.NewEncoder(rw)
	root := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}}}
	result := xml.StartElement{Name: xml.Name{Local: op + "Result"}}
	enc.EncodeToken(root)
	if out == nil {
		enc.EncodeToken(result)
		enc.EncodeToken(result.End())
	} else {
		enc.EncodeElement(out, result)
	}
	enc.EncodeElement(struct {
		RequestID string `xml:"RequestId"`
	}{requestID}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	enc.EncodeToken(root.End())
	enc.Flush()
}

// writeQueryError writes the awsQuery error envelope.
func writeQueryError(rw io.Writer, namespace string, ae *apiError, requestID string) {
	kind := "Sender"
	if ae.Status >= 500 {
		kind = "Receiver"
	}
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	body := struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr,omitempty"`
		Error     errorBody
		RequestID string `xml:"RequestId"`
	}{Xmlns: namespace, Error: errorBody{kind, ae.Code, ae.Message}, RequestID: requestID}
	xml.NewEncoder(rw).Encode(body)
}

// ec2Response is embedded first in every EC2 output struct: ec2Query puts
// the request id inside the response, before the output members.
type ec2Response struct {
	RequestID string `xml:"requestId"`
}

func (r *ec2Response) setRequestID(id string) { r.RequestID = id }

// writeEC2Response writes the ec2Query envelope: <OpResponse> holding
// <requestId> and the output members, with no Result wrapper.
func writeEC2Response(rw io.Writer, namespace, op string, out any, requestID string) {
	if out == nil {
		out = &ec2Response{}
	}
	if r, ok := out.(interface{ setRequestID(string) }); ok {
		r.setRequestID(requestID)
	}
	root := xml.StartElement{Name: xml.Name{Local: op + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}}}
	enc := xml.NewEncoder(rw)
	enc.EncodeElement(out, root)
	enc.Flush()
}

// writeEC2Error writes the ec2Query error envelope (note RequestID's capital D).
func writeEC2Error(rw io.Writer, ae *apiError, requestID string) {
	type ec2Error struct {
		Code    string
		Message string
	}
	body := struct {
		XMLName   xml.Name   `xml:"Response"`
		Errors    []ec2Error `xml:"Errors>Error"`
		RequestID string     `xml:"RequestID"`
	}{Errors: []ec2Error{{ae.Code, ae.Message}}, RequestID: requestID}
	rw.Write([]byte(xml.Header))
	xml.NewEncoder(rw).Encode(body)
}

// isoTime is a timestamp as the XML protocols send it: ISO-8601, UTC,
// milliseconds.
type isoTime time.Time

// MarshalText formats t as 2024-05-01T12:00:00.000Z.
func (t isoTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// formList is a list parameter of a form-encoded request: the prefixes of
// its items in order ("Tags.member.1", "Tags.member.2", or EC2's
// "Filter.1"), and whether the list was given at all. A bare "Key=" is an
// explicitly empty list, which differs from an absent one (a Modify call
// replaces the old list with it).
type formList struct {
	Items   []string
	Present bool
}

// memberList reads an awsQuery list, name.member.N[.Field].
func memberList(form url.Values, name string) formList {
	return indexedList(form, name, name+".member.")
}

// ec2List reads an ec2Query (always flattened) list, name.N[.Field].
func ec2List(form url.Values, name string) formList {
	return indexedList(form, name, name+".")
}

// indexedList collects the distinct indices N of keys prefix+N or
// prefix+N.…, sorted numerically.
func indexedList(form url.Values, name, prefix string) formList {
	_, present := form[name]
	var indices []int
	seen := map[int]bool{}
	for key := range form {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		if dot := strings.IndexByte(rest, '.'); dot >= 0 {
			rest = rest[:dot]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || seen[n] {
			continue
		}
		seen[n] = true
		indices = append(indices, n)
	}
	sort.Ints(indices)
	l := formList{Present: present || len(indices) > 0}
	for _, n := range indices {
		l.Items = append(l.Items, prefix+strconv.Itoa(n))
	}
	return l
}

// values returns the list's scalar values.
func (l formList) values(form url.Values) []string {
	out := make([]string, 0, len(l.Items))
	for _, item := range l.Items {
		out = append(out, form.Get(item))
	}
	return out
}

// memberStrings reads an awsQuery list of strings.
func memberStrings(form url.Values, name string) []string {
	return memberList(form, name).values(form)
}

// ec2Strings reads an ec2Query list of strings.
func ec2Strings(form url.Values, name string) []string {
	return ec2List(form, name).values(form)
}

// ec2Filter is one Filter.N of an EC2 Describe call: its values are OR-ed,
// different filters AND-ed.
type ec2Filter struct {
	Name   string
	Values []string
}

// ec2Filters reads Filter.N.Name and Filter.N.Value.M.
func ec2Filters(form url.Values) []ec2Filter {
	var out []ec2Filter
	for _, item := range ec2List(form, "Filter").Items {
		out = append(out, ec2Filter{Name: form.Get(item + ".Name"), Values: ec2Strings(form, item+".Value")})
	}
	return out
}

// formInt reads an optional integer parameter; present is false when the
// key is absent. A malformed number is reported with the awsQuery/ec2Query
// style validation error code given.
func formInt(form url.Values, key, code string) (n int, present bool, err error) {
	v, ok := form[key]
	if !ok {
		return 0, false, nil
	}
	n, convErr := strconv.Atoi(strings.TrimSpace(v[0]))
	if convErr != nil {
		return 0, true, clientErr(code, "Invalid value '%s' for %s: must be an integer", v[0], key)
	}
	return n, true, nil
}

// formBool reads an optional boolean parameter.
func formBool(form url.Values, key, code string) (b bool, present bool, err error) {
	v, ok := form[key]
	if !ok {
		return false, false, nil
	}
	b, convErr := strconv.ParseBool(v[0])
	if convErr != nil {
		return false, true, clientErr(code, "Invalid value '%s' for %s: must be true or false", v[0], key)
	}
	return b, true, nil
}

// page returns items[start:start+size] of a list paginated with an opaque
// token (the next offset), and the token for the following page ("" at the
// end). badToken is returned for a token this server did not issue.
func page[T any](items []T, token string, size int, badToken *apiError) ([]T, string, error) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", badToken
		}
		start = n
	}
	end := len(items)
	if size > 0 && start+size < end {
		end = start + size
	}
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}
