package web

import (
	"net/url"
	"testing"
)

func TestFormKeepsPrintableText(t *testing.T) {
	f := NewUserForm()
	f.Keep(url.Values{"username": {"a\x00b\xffc"}, "password": {"secret"}}, "username")
	if got := f.Value("username"); got != "a\uFFFDb\uFFFDc" {
		t.Errorf("kept %q", got)
	}
	if f.Value("password") != "" {
		t.Error("a field not named was kept")
	}
}

func TestFormInputAttributes(t *testing.T) {
	f := PasswordForm()
	if a := f.Input("current"); len(a) != 1 || a["id"] != "password-current" {
		t.Errorf("blank form's input = %v, want only its id", a)
	}
	f.Problems = []FieldProblem{{Field: "confirm", Message: "differ"}, {Field: "password", Message: "short"}}
	f.Sort()
	if a := f.Input("password"); a["aria-invalid"] != "true" || a["aria-describedby"] != "password-password-error" || a["autofocus"] != true {
		t.Errorf("first refused input = %v", a)
	}
	if a := f.Input("confirm"); a["autofocus"] != nil || a["aria-describedby"] != "password-confirm-error" {
		t.Errorf("second refused input = %v", a)
	}
	if _, ok := f.Input("current")["aria-invalid"]; ok {
		t.Error("an input with no problem is marked invalid")
	}

	g := LoginForm("/")
	g.Keep(url.Values{"username": {"ada"}}, "username")
	g.Error = "Wrong username or password."
	if a := g.Input("password"); a["autofocus"] != true || a["aria-describedby"] != "login-error" {
		t.Errorf("a form refused as a whole: password input = %v, want the focus and the form's message", a)
	}
}
