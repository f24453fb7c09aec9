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

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d web.Account) error {
	me, _ := userFrom(r.Context())
	tokens, err := s.store.ListTokens(r.Context(), me.ID)
	if err != nil {
		return err
	}
	d.Tokens.Tokens = tokenRows(tokens)
	s.render(w, r, status, web.AccountPage(s.page(r, "Your account", ""), d))
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	password, confirm := r.PostFormValue("password"), r.PostFormValue("confirm")
	if password != confirm {
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, web.Account{PasswordErrors: web.FieldErrors{"confirm": "The two new passwords differ."}})
	}
	err := s.store.ChangePassword(r.Context(), me.ID, r.PostFormValue("current"), password)
	var fe *store.FieldErrors
	switch {
	case errors.Is(err, store.ErrInvalidCredentials):
		s.audit(r, store.AuditEvent{Actor: me.Username, Action: "password.change_failure", Target: me.Username})
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, web.Account{PasswordErrors: web.FieldErrors{"current": "That is not your current password."}})
	case errors.As(err, &fe):
		return s.renderAccount(w, r, http.StatusUnprocessableEntity, web.Account{PasswordErrors: fe.Fields})
	case err != nil:
		return err
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
