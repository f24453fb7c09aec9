package handlers

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// TestBusyServiceRefusalLinksToTheDeployment: a form refused because the
// service already has a deployment running links to that deployment.
func TestBusyServiceRefusalLinksToTheDeployment(t *testing.T) {
	busy := &ecsconsole.ActiveDeploymentError{Active: ecsconsole.Deployment{ID: 42, ServiceKey: "us-east-1/demo/web", Status: ecsconsole.StatusRunning}}
	err := refuse(busy, web.RollbackForm(), nil)
	e := testServer().asError(httptest.NewRequest("GET", "/", nil), err)
	if e.Status != 409 {
		t.Fatalf("asError = %v, want a 409", e)
	}
	f := formRefusal(web.RollbackForm(), e, err)
	if f.Error == "" || f.Link == nil || f.Link.Href != "/deployments/42" {
		t.Errorf("refused form = %+v, want the message and a link to /deployments/42", f)
	}
}

// TestFormRefusalPlacesProblems: problems go next to their fields in the
// form's order; one with no field of the form, and a refusal with no
// fields, go to the top.
func TestFormRefusalPlacesProblems(t *testing.T) {
	e := &Error{Status: 422, Message: "Some fields need attention.", Fields: []FieldError{
		{Path: "password", Message: "short"}, {Path: "colour", Message: "unknown"}, {Path: "username", Message: "bad"},
	}}
	f := formRefusal(web.NewUserForm(), e, e)
	var order []string
	for _, p := range f.Problems {
		order = append(order, p.Field)
	}
	if got := len(order); got != 3 || order[0] != "username" || order[1] != "password" || order[2] != "colour" {
		t.Errorf("problems in order %v, want username, password, colour", order)
	}
	if f.Error != "" || len(f.Unplaced()) != 1 {
		t.Errorf("top of the form: %q and %v, want only the problem with no field", f.Error, f.Unplaced())
	}
	f = formRefusal(web.NewUserForm(), &Error{Status: 409, Message: "busy"}, nil)
	if f.Error != "busy" {
		t.Errorf("form-wide message = %q", f.Error)
	}
}

// TestFieldErrorsInAStableOrder: the store's field problems (a map) come
// out of the adapter in the same order every time, for the API's "fields".
func TestFieldErrorsInAStableOrder(t *testing.T) {
	fe := &store.FieldErrors{Fields: map[string]string{"username": "a", "role": "b", "password": "c", "name": "d", "confirm": "e"}}
	for range 50 {
		var paths []string
		for _, f := range testServer().asError(httptest.NewRequest("GET", "/", nil), fe).Fields {
			paths = append(paths, f.Path)
		}
		if got := strings.Join(paths, ","); got != "confirm,name,password,role,username" {
			t.Fatalf("fields in order %s, want them sorted", got)
		}
	}
}

func testServer() *Server { return &Server{logger: slog.New(slog.DiscardHandler)} }

// TestRenderKeepsTheAddress: a page answering a boosted POST tells htmx not
// to push the POST's address, unless the handler named the address itself.
func TestRenderKeepsTheAddress(t *testing.T) {
	for _, tc := range []struct {
		name, method, preset, want string
	}{
		{"boosted POST", "POST", "", "false"},
		{"handler named it", "POST", "/deploy/drafts/1/cluster", ""},
		{"GET", "GET", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/x", nil)
			r.Header.Set("HX-Request", "true")
			r.Header.Set("HX-Boosted", "true")
			w := httptest.NewRecorder()
			if tc.preset != "" {
				w.Header().Set("HX-Replace-Url", tc.preset)
			}
			testServer().render(w, r, 200, templ.Raw("<p>page</p>"))
			if got := w.Header().Get("HX-Push-Url"); got != tc.want {
				t.Errorf("HX-Push-Url = %q, want %q", got, tc.want)
			}
		})
	}
}
