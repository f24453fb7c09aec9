package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/web"
)

// formPage renders the page that holds a form, showing f, with status.
type formPage func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error

// refusedForm is what a form handler returns when the form was refused: the
// adapter maps err to its status and messages as for any error, and then —
// for a page, not the API — re-renders the page holding the form with them
// and with what was typed, instead of an error page. With JavaScript on
// (htmx swaps refusals, see web.head) and off alike, the person sees the
// form again with the message next to the field.
type refusedForm struct {
	err  error
	form web.Form
	page formPage
}

func (e *refusedForm) Error() string { return e.err.Error() }
func (e *refusedForm) Unwrap() error { return e.err }

// refuse wraps err (nil stays nil) so the adapter shows it on the form's page.
func refuse(err error, f web.Form, page formPage) error {
	if err == nil {
		return nil
	}
	return &refusedForm{err: err, form: f, page: page}
}

// serveRefusedForm shows e on the page holding the form; it reports false
// when that page could not be rendered (say, its user is gone), and the
// adapter then shows the error page.
func (s *Server) serveRefusedForm(w http.ResponseWriter, r *http.Request, e *Error, rf *refusedForm) bool {
	f := formRefusal(rf.form, e, rf.err)
	if r.Header.Get("HX-Boosted") == "true" {
		// htmx scrolls a boosted answer to its top; a refused form may be
		// far down its page, so show the form instead.
		w.Header().Set("HX-Reswap", "innerHTML show:#"+f.ID+":top")
	}
	if err := rf.page(w, r, e.Status, f); err != nil {
		s.asError(r, err) // logged when internal
		w.Header().Del("HX-Reswap")
		return false
	}
	return true
}

// formRefusal is f showing e: its field problems next to their fields, in
// the form's order; its message at the top when no field says it. A refusal
// because the service is busy links to the deployment in the way.
func formRefusal(f web.Form, e *Error, err error) web.Form {
	f.Problems = nil
	for _, fe := range e.Fields {
		f.Problems = append(f.Problems, web.FieldProblem{Field: fe.Path, Message: fe.Message})
	}
	f.Sort()
	if len(f.Problems) == len(f.Unplaced()) {
		f.Error = e.Message
	}
	var ae *ecsconsole.ActiveDeploymentError
	if errors.As(err, &ae) {
		f.Link = &web.Link{
			Href:  deploymentPath(ae.Active.ID),
			Label: fmt.Sprintf("See deployment #%d.", ae.Active.ID),
		}
	}
	return f
}

// deploymentPath is a deployment's page.
func deploymentPath(id int64) templ.SafeURL {
	return templ.SafeURL("/deployments/" + strconv.FormatInt(id, 10))
}

// postForm is the submitted form's fields (parsed on first use; a body that
// does not parse leaves what did).
func postForm(r *http.Request) url.Values {
	r.ParseForm()
	return r.PostForm
}
