package handlers

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// loginFailed is the one message for every failed sign-in, so it never tells
// whether the username exists.
const loginFailed = "Wrong username or password."

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := userFrom(r.Context()); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	return s.loginForm(w, r, http.StatusOK, web.LoginForm(safeNext(r.URL.Query().Get("next"))))
}

// loginForm is the sign-in page showing the form f.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
	s.render(w, r, status, web.Login(s.page(r, "Sign in", ""), f, s.signInOptions(f.Value("next"))))
	return nil
}

// errLocalSignInOff refuses the sign-in form's POST when local sign-in is
// turned off (Options.DisableLocalSignIn).
func errLocalSignInOff(provider string) *Error {
	msg := "Sign-in with a username and password is turned off here."
	if provider != "" {
		msg += " Sign in with " + provider + "."
	}
	return errForbidden(msg)
}

var errLoginFailed = kindUnauthenticated.err(loginFailed)

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	username := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := clientIP(r)
	form := web.LoginForm(next)
	form.Keep(postForm(r), "username") // never the password
	if s.opts.DisableLocalSignIn {
		return refuse(errLocalSignInOff(s.signInOptions(next).Provider), form, s.loginForm)
	}

	wait, err := s.signInWait(r, username)
	if err != nil {
		return err
	}
	if wait > 0 {
		return s.refuseSignIn(w, r, form, wait)
	}
	user, err := s.store.Authenticate(r.Context(), username, password)
	if errors.Is(err, store.ErrInvalidCredentials) {
		if err := s.store.RecordSignInFailure(r.Context(), ip, username); err != nil {
			return err
		}
		s.audit(r, store.AuditEvent{Actor: username, Action: "login.failure", IP: ip})
		return refuse(errLoginFailed, form, s.loginForm)
	}
	if err != nil {
		return refuse(err, form, s.loginForm)
	}
	if err := s.store.ClearSignInFailures(r.Context(), ip, username); err != nil {
		return err
	}
	// A fresh token at sign-in, so a token planted before it is worthless.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), sessionUserID, user.ID)
	setLogUser(r, user.Username)
	s.audit(r, store.AuditEvent{Actor: user.Username, Action: "login.success", IP: ip})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logoutPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := userFrom(r.Context()); !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	s.render(w, r, http.StatusOK, web.Logout(s.page(r, "Sign out", "")))
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if u, ok := userFrom(r.Context()); ok {
		s.audit(r, store.AuditEvent{Actor: u.Username, Action: "logout", IP: clientIP(r)})
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// audit records an event; a failure to record is logged, not shown, because
// the action it describes already happened.
func (s *Server) audit(r *http.Request, e store.AuditEvent) {
	if e.IP == "" {
		e.IP = clientIP(r)
	}
	if err := s.store.Audit(r.Context(), e); err != nil {
		s.logger.Error("audit", "request_id", requestID(r.Context()), "action", e.Action, "error", err.Error())
	}
}

// clientIP is the peer address. Forwarded headers are not trusted: behind a
// proxy, the proxy's address is what rate limits and audits see.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
