package handlers

import (
	"errors"
	"net/http"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, http.StatusOK, web.Account{Flash: s.sessions.PopString(r.Context(), flashKey)})
}

// renderAccount renders the account page; d's forms, when set, are shown
// as they are.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d web.Account) error {
	me, _ := userFrom(r.Context())
	tokens, err := s.store.ListTokens(r.Context(), me.ID)
	if err != nil {
		return err
	}
	if d.Password.ID == "" {
		d.Password = web.PasswordForm()
	}
	if d.Tokens.Form.ID == "" {
		d.Tokens.Form = web.TokenForm()
	}
	d.Tokens.Tokens = tokenRows(tokens)
	s.render(w, r, status, web.AccountPage(s.page(r, "Your account", ""), d))
	return nil
}

// passwordForm is the account page showing the change-password form f.
func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
	return s.renderAccount(w, r, status, web.Account{Password: f})
}

var (
	errPasswordsDiffer = kindInvalidFields.err("The two new passwords differ.",
		FieldError{Path: "confirm", Message: "The two new passwords differ."})
	errWrongPassword = kindInvalidFields.err("That is not your current password.",
		FieldError{Path: "current", Message: "That is not your current password."})
)

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	form := web.PasswordForm() // every field is a password: none is kept
	password, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if password != confirm {
		return refuse(errPasswordsDiffer, form, s.passwordForm)
	}
	err := s.store.ChangePassword(r.Context(), me.ID, r.PostFormValue("current"), password)
	if errors.Is(err, store.ErrInvalidCredentials) {
		s.audit(r, store.AuditEvent{Actor: me.Username, Action: "password.change_failure", Target: me.Username})
		err = errWrongPassword
	}
	if err != nil {
		return refuse(err, form, s.passwordForm)
	}
	// A new session token, so a session stolen before the change is worthless.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.auditAs(r, "password.change", me.Username, nil)
	s.sessions.Put(r.Context(), flashKey, "Your password was changed.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}
