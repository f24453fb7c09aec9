package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// Error is an error with a status and a message safe to show to the user.
// Anything else a handler returns is internal: logged once, shown as
// "Something went wrong".
type Error struct {
	Status  int
	Code    string // machine-readable, for the JSON API
	Message string
	Fields  []FieldError
}

// FieldError is a problem with one input field, by JSON path or form name.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errNotFound(msg string) *Error { return &Error{Status: 404, Code: "not_found", Message: msg} }
func errForbidden(msg string) *Error {
	return &Error{Status: 403, Code: "forbidden", Message: msg}
}

// errUnavailable answers while the database cannot be reached: 503 with
// Retry-After (unavailableRetryAfter), never a 500.
var errUnavailable = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
	Message: "The database is unavailable right now, so the console cannot answer. Try again in a few seconds."}

// unavailableRetryAfter is the Retry-After, in seconds, of errUnavailable.
const unavailableRetryAfter = "5"

func errInvalid(msg string, fields ...FieldError) *Error {
	return &Error{Status: 400, Code: "invalid", Message: msg, Fields: fields}
}

// handlerFunc is an HTTP handler that returns its error for the adapter.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: errors become a page or a JSON body.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.serveError(w, r, err)
		}
	}
}

// asError maps any error to an *Error, logging internal ones.
func (s *Server) asError(r *http.Request, err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound):
		return errNotFound("There is nothing here.")
	case store.IsUnavailable(err):
		s.logger.Warn("database unavailable", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
		return errUnavailable
	}
	var fe *store.FieldErrors
	if errors.As(err, &fe) {
		e := errInvalid("Some fields need attention.")
		for k, v := range fe.Fields {
			e.Fields = append(e.Fields, FieldError{Path: k, Message: v})
		}
		return e
	}
	s.logger.Error("internal error", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
	return &Error{Status: 500, Code: "internal", Message: "Something went wrong. The error was logged; try again, and tell your administrator if it keeps happening."}
}

// serveError writes err as JSON for the API and as a page otherwise.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	e := s.asError(r, err)
	if e.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	if wantsJSON(r) {
		writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}})
		return
	}
	title := http.StatusText(e.Status)
	s.render(w, r, e.Status, web.ErrorPage(s.page(r, title, ""), e.Status, title, e.Message))
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []FieldError `json:"fields,omitempty"`
}

func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/")
}

// writeJSON writes v with status; the body is encoded before the header is
// sent, so an encoding failure is a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil { // only our own response types get here: a programming error
		http.Error(w, `{"error":{"code":"internal","message":"Something went wrong."}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf)
	w.Write([]byte("\n"))
}

// render renders c into a buffer first, so a template failure is a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.logger.Error("rendering page", "request_id", requestID(r.Context()), "path", r.URL.Path, "error", err.Error())
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
