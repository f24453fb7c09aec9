package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"
	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
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

// errorKind is an error's status and machine-readable code. Every answer
// that is not a success has one of these kinds; errorTable says which
// errors are of which kind and what the user reads.
type errorKind struct {
	status int
	code   string
}

// The kinds of error, one line each: a closed set. Every *Error is made
// by errorKind.err from one of these; TestErrorKindsClosed fails on an
// errorKind or Error literal anywhere else in the package, so a new kind
// (a 423 "locked" for a freeze, say) is a new line here and nowhere else.
var (
	kindInvalid         = errorKind{http.StatusBadRequest, "invalid"}
	kindInvalidFields   = errorKind{http.StatusUnprocessableEntity, "invalid"} // a form's fields: well-formed, refused
	kindUnauthenticated = errorKind{http.StatusUnauthorized, "unauthenticated"}
	kindForbidden       = errorKind{http.StatusForbidden, "forbidden"}
	kindNotFound        = errorKind{http.StatusNotFound, "not_found"}
	kindMethod          = errorKind{http.StatusMethodNotAllowed, "method_not_allowed"}
	kindConflict        = errorKind{http.StatusConflict, "conflict"}
	kindBusy            = errorKind{http.StatusConflict, "deployment_in_progress"}
	kindTooLarge        = errorKind{http.StatusRequestEntityTooLarge, "too_large"}
	kindUnsupportedType = errorKind{http.StatusUnsupportedMediaType, "unsupported_media_type"}
	kindInvalidSpec     = errorKind{http.StatusUnprocessableEntity, "invalid_spec"}
	kindNotRollbackable = errorKind{http.StatusUnprocessableEntity, "not_rollbackable"}
	kindRateLimited     = errorKind{http.StatusTooManyRequests, "rate_limited"} // with Retry-After
	kindInternal        = errorKind{http.StatusInternalServerError, "internal"}
	kindAWSRefused      = errorKind{http.StatusBadGateway, "aws_error"}
	kindAWSUnreachable  = errorKind{http.StatusBadGateway, "aws_unreachable"}     // no connection, no answer
	kindAWSTimeout      = errorKind{http.StatusGatewayTimeout, "aws_timeout"}     // past the request's bound
	kindUnavailable     = errorKind{http.StatusServiceUnavailable, "unavailable"} // with Retry-After
	kindLocked          = errorKind{http.StatusLocked, "frozen"}                  // a frozen service refuses deploys (freeze.go)
)

// statusClientClosed is what the request log shows for a request whose
// client went away before the answer (nginx's 499): nobody reads it.
const statusClientClosed = 499

// unavailableRetryAfter is the Retry-After, in seconds, of kindUnavailable.
const unavailableRetryAfter = "5"

// err returns an *Error of kind k.
func (k errorKind) err(msg string, fields ...FieldError) *Error {
	return &Error{Status: k.status, Code: k.code, Message: msg, Fields: fields}
}

func errNotFound(msg string) *Error                      { return kindNotFound.err(msg) }
func errForbidden(msg string) *Error                     { return kindForbidden.err(msg) }
func errInvalid(msg string, fields ...FieldError) *Error { return kindInvalid.err(msg, fields...) }

// errorTable maps the errors of the store and the engine to their kind and
// the one wording the user reads, first match wins. A handler returns such
// errors as they are; it never maps them itself.
var errorTable = []func(err error) *Error{
	func(err error) *Error {
		if errors.Is(err, ecsconsole.ErrNotFound) {
			return kindNotFound.err("There is nothing here.")
		}
		return nil
	},
	func(err error) *Error {
		var fe *store.FieldErrors
		if !errors.As(err, &fe) {
			return nil
		}
		e := kindInvalidFields.err("Some fields need attention.")
		for _, k := range slices.Sorted(maps.Keys(fe.Fields)) { // a stable order
			e.Fields = append(e.Fields, FieldError{Path: k, Message: fe.Fields[k]})
		}
		return e
	},
	func(err error) *Error {
		var ve *ecsconsole.ValidationError
		if !errors.As(err, &ve) {
			return nil
		}
		e := kindInvalidSpec.err(fmt.Sprintf("The spec has %d problem(s).", len(ve.Problems)))
		for _, p := range ve.Problems {
			e.Fields = append(e.Fields, FieldError{Path: "spec." + p.Path, Message: p.Message})
		}
		return e
	},
	func(err error) *Error {
		var ae *ecsconsole.ActiveDeploymentError
		if !errors.As(err, &ae) {
			return nil
		}
		return kindBusy.err(fmt.Sprintf("Deployment #%d of %s is %s; try again once it finishes.",
			ae.Active.ID, ae.Active.ServiceKey, web.StatusLabel(string(ae.Active.Status))))
	},
	func(err error) *Error {
		var fe *store.FrozenError
		if !errors.As(err, &fe) {
			return nil
		}
		return kindLocked.err(fmt.Sprintf("%s is frozen: %s (frozen by %s, %s). Unfreeze it to deploy; a rollback is still allowed.",
			fe.Freeze.ServiceKey, fe.Freeze.Reason, fe.Freeze.FrozenBy, fe.Freeze.FrozenAt.UTC().Format("2006-01-02 15:04 UTC")))
	},
	func(err error) *Error {
		if errors.Is(err, ecsconsole.ErrConflict) {
			return kindConflict.err("That was changed at the same time by someone else, or already exists; reload and try again.")
		}
		return nil
	},
	func(err error) *Error {
		var nr *deploy.NotRollbackableError
		if errors.As(err, &nr) {
			return kindNotRollbackable.err(fmt.Sprintf("Deployment #%d cannot be restored: %s", nr.ID, nr.Why))
		}
		return nil
	},
	awsNoAnswer, // before the database's row: an SDK's network error is AWS's
	func(err error) *Error {
		if store.IsUnavailable(err) {
			return kindUnavailable.err("The database is unavailable right now, so the console cannot answer. Try again in a few seconds.")
		}
		return nil
	},
	func(err error) *Error {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return kindAWSRefused.err("AWS refused: " + ae.ErrorCode() + ": " + ae.ErrorMessage())
		}
		return nil
	},
}

// isAWSTrouble reports whether e is AWS's refusal or silence: a page shows
// it beside the form that caused it rather than as an error page.
func isAWSTrouble(e *Error) bool {
	switch e.Code {
	case kindAWSRefused.code, kindAWSUnreachable.code, kindAWSTimeout.code:
		return true
	}
	return false
}

// awsNoAnswer is an AWS call that got no answer: no connection, or none
// within the bound of a request's calls (deploy.ForRequest). The operation
// is named so that a reader knows which part of AWS to look at.
func awsNoAnswer(err error) *Error {
	var oe *smithy.OperationError
	var ae smithy.APIError
	if !errors.As(err, &oe) || errors.As(err, &ae) { // an answer is aws_error's row
		return nil
	}
	k := kindAWSUnreachable
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		k = kindAWSTimeout
	}
	return k.err(fmt.Sprintf("AWS did not answer (%s, %s). Nothing was changed by this request; try again in a moment.",
		oe.Service(), oe.Operation()))
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

// asError maps any error to an *Error through errorTable, logging the
// internal ones (those no row matches) once with the request id.
func (s *Server) asError(r *http.Request, err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, row := range errorTable {
		if e := row(err); e != nil {
			return e
		}
	}
	s.logger.Error("internal error", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "error", err.Error())
	return kindInternal.err("Something went wrong. The error was logged; try again, and tell your administrator if it keeps happening.")
}

// abandoned reports whether err is only the end of a request whose client
// went away (or whose console is shutting down): its context is done and
// the handler's error is not a refusal of its own.
func abandoned(r *http.Request, err error) bool {
	var e *Error
	return r.Context().Err() != nil && !errors.As(err, &e)
}

// serveError writes err as JSON for the API and as a page otherwise. A
// request its client abandoned is logged as such and answered with
// nothing: it is no error of the console's.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	if abandoned(r, err) {
		s.logger.Debug("request abandoned by the client", "request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err.Error())
		w.WriteHeader(statusClientClosed)
		return
	}
	e := s.asError(r, err)
	if e.Status == kindUnavailable.status {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	if wantsJSON(r) {
		writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields}})
		return
	}
	if rf := (*refusedForm)(nil); errors.As(err, &rf) && s.serveRefusedForm(w, r, e, rf) {
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
	buf, err := encodeJSON(v)
	if err != nil { // only our own response types get here: a programming error
		http.Error(w, `{"error":{"code":"internal","message":"Something went wrong."}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf)
}

// encodeJSON is a response body: v as JSON and a newline.
func encodeJSON(v any) ([]byte, error) {
	buf, err := json.Marshal(v)
	return append(buf, '\n'), err
}

// renderFailed answers a page that could not be rendered: a programming
// error, logged, and a plain 500.
func (s *Server) renderFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.Error("rendering page", "request_id", requestID(r.Context()), "path", r.URL.Path, "error", err.Error())
	http.Error(w, "Something went wrong.", http.StatusInternalServerError)
}

// render renders c into a buffer first, so a template failure is a clean 500.
//
// A page that answers a boosted form's POST (a refused form shown again, a
// token's one-time secret) is the page the form is on, so the address bar
// stays where it is (HX-Push-Url: false): htmx would otherwise push the
// form's action, and reloading would GET an address that only takes POST
// (405). A form that moves on answers with a redirect (303), whose page is a
// GET that htmx pushes as usual; a handler that knows better sets
// HX-Push-Url or HX-Replace-Url itself.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.renderFailed(w, r, err)
		return
	}
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Header.Get("HX-Boosted") == "true" &&
		h.Get("HX-Push-Url") == "" && h.Get("HX-Replace-Url") == "" { // a handler that names the address wins
		h.Set("HX-Push-Url", "false")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
