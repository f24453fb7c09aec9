package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Input is checked at the boundary: every body is bounded before it is
// read, and every form field, query parameter and JSON string is text
// Postgres can store (valid UTF-8, no NUL byte) before a handler sees it.

// Body limits. maxFormBody bounds every body before anything reads it:
// the wizard's forms (parseWizardForm, 512 KiB) are the largest, the API's
// specs (maxSpecBody) next; a form posted to a page is far smaller
// (maxPostedForm) and is parsed only within that, as a form's fields cost
// memory many times their bytes; a sign-in is tiny and needs no session,
// so its limit is the tightest. Each is what a console with 20 such
// bodies at once can hold (e2e TestHostileBodiesStayInsideTheMemoryLimit).
const (
	maxFormBody   = max(512<<10, maxSpecBody)
	maxPostedForm = 64 << 10
	maxLoginBody  = 8 << 10
)

// textProblem is the one check of text from outside: what is wrong with s,
// or "" when nothing is.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL byte"
	}
	return ""
}

// errBadText refuses a field whose text textProblem faults.
func errBadText(field, problem string) *Error {
	return errInvalid(fmt.Sprintf("The field %s %s.", strconv.Quote(strings.ToValidUTF8(field, "?")), problem),
		FieldError{Path: strings.ToValidUTF8(field, "?"), Message: problem})
}

// checkValues checks every name and value of a form or query.
func checkValues(values map[string][]string) error {
	for name, vs := range values {
		if p := textProblem(name); p != "" {
			return errBadText(name, p)
		}
		for _, v := range vs {
			if p := textProblem(v); p != "" {
				return errBadText(name, p)
			}
		}
	}
	return nil
}

// limitBody bounds the request body to n bytes; reading past it fails
// (and readForm or readJSON answer 413).
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// checkQuery refuses a request whose query parameters are not text.
func (s *Server) checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkValues(r.URL.Query()); err != nil {
			s.serveError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readForm parses a posted form (within maxPostedForm) and checks every
// field, so that handlers read only text; a body over the limit is 413.
// Other bodies (the JSON API's) are left to readJSON.
func (s *Server) readForm(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && !wantsJSON(r) {
			r.Body = http.MaxBytesReader(w, r.Body, maxPostedForm)
		}
		if err := parseForm(r); err != nil {
			s.serveError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func parseForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead || wantsJSON(r):
		return checkValues(r.URL.Query()) // the API's bodies are JSON: readJSON
	case ct == "multipart/form-data":
		err = r.ParseMultipartForm(maxPostedForm)
	case ct == "application/x-www-form-urlencoded" || ct == "":
		err = r.ParseForm()
	default:
		return checkValues(r.URL.Query())
	}
	if err != nil {
		return bodyError(err, "The form could not be read.")
	}
	return checkValues(r.Form)
}

// bodyError is 413 for a body over its limit, else 400 with msg.
func bodyError(err error, msg string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return kindTooLarge.err(fmt.Sprintf("The request body is over %d bytes.", mbe.Limit))
	}
	return errInvalid(msg)
}

// readJSON decodes the request's JSON body into v: application/json
// required (415), at most limit bytes (413), every string text (400 naming
// its path), exactly one value whose fields v knows (400). An empty body
// leaves v alone when allowEmpty; shape describes the body for messages.
func readJSON(r *http.Request, v any, limit int64, allowEmpty bool, shape string) error {
	// The depth is checked as the bytes arrive, before any decoder sees
	// them: a deeply nested body costs the decoders memory per level
	// (hundreds of MiB for 1 MiB of brackets) and is refused at the first
	// level too many, without reading the rest.
	body, err := readAllSized(&nestingLimit{r: http.MaxBytesReader(nil, r.Body, limit), max: maxJSONNesting}, r.ContentLength, limit)
	if errors.Is(err, errTooDeep) {
		return errInvalid(fmt.Sprintf("The body must be %s: it nests deeper than %d levels.", shape, maxJSONNesting))
	}
	if err != nil {
		return bodyError(err, "The body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if allowEmpty {
			return nil
		}
		return errInvalid("The body must be " + shape + ": the body is empty.")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return kindUnsupportedType.err("Send the body as JSON, with Content-Type: application/json.")
	}
	if path, problem := jsonTextProblem(body); problem != "" {
		return errBadText(cmp.Or(path, "body"), problem)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errInvalid("The body must be " + shape + ": " + jsonProblem(err) + ".")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalid("The body must be " + shape + ": there is more after the JSON value; send exactly one.")
	}
	return nil
}

// jsonProblem describes a JSON decoding error in the body's own terms,
// never naming a Go type.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "it is " + jsonKind(typ.Value)
		}
		return fmt.Sprintf("%s must be %s, not %s", typ.Field, goKind(typ.Type), jsonKind(typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too soon"
	}
	return "invalid JSON"
}

// jsonKind names a JSON value kind as encoding/json reports it.
func jsonKind(v string) string {
	switch v {
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "null":
		return "null"
	}
	return "a number"
}

// goKind names the JSON kind a Go type expects.
func goKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a number"
}

// readAllSized is io.ReadAll into one buffer of the announced length (when
// it is within limit), not a buffer doubled to size: a body costs its own
// size once.
func readAllSized(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength <= 0 || contentLength > limit {
		return io.ReadAll(r)
	}
	buf := bytes.NewBuffer(make([]byte, 0, contentLength+1)) // +1: io.EOF without growing
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// jsonTextProblem finds the first string (key or value) in a JSON document
// that is not text, and returns its path (e.g. spec.service.name) and the
// problem. Malformed JSON yields no problem here: the decoder reports it.
//
// Most bodies are text throughout: valid UTF-8 and no escaped NUL (a raw
// one is not JSON). Those are passed without tokenizing, which costs an
// allocation per token; only a body with a problem pays for its path.
func jsonTextProblem(body []byte) (path, problem string) {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return "", ""
	}
	type frame struct {
		object    bool
		key       string
		index     int
		expectKey bool
	}
	var stack []*frame
	pathOf := func(key string, isKey bool) string {
		var b strings.Builder
		for i, f := range stack {
			last := i == len(stack)-1
			switch {
			case f.object && last && isKey:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(key)
			case f.object:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			default:
				fmt.Fprintf(&b, "[%d]", f.index)
			}
		}
		return b.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		raw := body[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.expectKey {
			if p := rawTextProblem(raw, s); p != "" {
				return pathOf(strings.ToValidUTF8(s, "?"), true), "has a key that " + p
			}
			top.key, top.expectKey = s, false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{object: true, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if p := rawTextProblem(raw, t); p != "" {
				return pathOf("", false), p
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// rawTextProblem checks a decoded JSON string and the raw bytes it came
// from: the decoder turns invalid UTF-8 into U+FFFD, so only the raw bytes
// show it, and "\u0000" shows only once decoded.
func rawTextProblem(raw []byte, decoded string) string {
	if !utf8.Valid(raw) {
		return "is not valid UTF-8"
	}
	return textProblem(decoded)
}

// maxJSONNesting bounds how deep a JSON body may nest: the spec's own bound
// (64 levels, deploy's parser, which names the path) and the request's
// envelope around it.
const maxJSONNesting = 65

// errTooDeep is nestingLimit's refusal.
var errTooDeep = errors.New("JSON nests too deep")

// nestingLimit passes a JSON body through, failing with errTooDeep as soon
// as its objects and arrays nest deeper than max. It keeps three numbers,
// not a stack, and does not judge the JSON otherwise (the decoder does):
// brackets inside strings are skipped.
type nestingLimit struct {
	r        io.Reader
	max      int
	depth    int
	inString bool
	escaped  bool
}

func (n *nestingLimit) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	for _, c := range p[:k] {
		switch {
		case n.escaped:
			n.escaped = false
		case n.inString:
			switch c {
			case '\\':
				n.escaped = true
			case '"':
				n.inString = false
			}
		case c == '"':
			n.inString = true
		case c == '[' || c == '{':
			if n.depth++; n.depth > n.max {
				return 0, errTooDeep
			}
		case c == ']' || c == '}':
			n.depth--
		}
	}
	return k, err
}
