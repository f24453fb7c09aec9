package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
)

// sessionUserID is the session key holding the signed-in user's id.
const sessionUserID = "user_id"

func userFrom(ctx context.Context) (store.User, bool) {
	u, ok := ctx.Value(userKey).(store.User)
	return u, ok
}

// authenticate finds the request's user from a bearer token or the session
// cookie (one middleware for both) and puts it in the context. A disabled
// user, an unknown token or a stale session leaves the request anonymous.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, err := s.userOf(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if user != nil {
			setLogUser(r, user.Username)
			r = r.WithContext(context.WithValue(r.Context(), userKey, *user))
		}
		next.ServeHTTP(w, r)
	})
}

// setLogUser names the user in the request's log line.
func setLogUser(r *http.Request, username string) {
	if name, ok := r.Context().Value(logUserKey).(*string); ok {
		*name = username
	}
}

func (s *Server) userOf(r *http.Request) (*store.User, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, nil
		}
		u, err := s.store.UserByToken(r.Context(), strings.TrimSpace(secret))
		if errors.Is(err, store.ErrInvalidCredentials) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &u, nil
	}
	id := s.sessions.GetInt64(r.Context(), sessionUserID)
	if id == 0 {
		return nil, nil
	}
	u, ok := prefetchedUser(r.Context(), id)
	var err error
	if !ok {
		u, err = s.store.UserByID(r.Context(), id)
	}
	if errors.Is(err, ecsconsole.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// requireUser sends anonymous browsers to the login page and anonymous API
// clients a 401.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := userFrom(r.Context()); ok {
			next.ServeHTTP(w, r)
			return
		}
		if wantsJSON(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ecsconsole"`)
			s.serveError(w, r, kindUnauthenticated.err("Sign in or send an API token: Authorization: Bearer <token>."))
			return
		}
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
	})
}

// requireSession refuses requests authenticated by an API token: what it
// guards (passwords, new tokens) needs a person signed in, so that a leaked
// token cannot entrench itself.
func (s *Server) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			s.serveError(w, r, errForbidden("This needs a signed-in session; an API token cannot do it."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole refuses users below min with 403.
func (s *Server) requireRole(min store.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := userFrom(r.Context())
			if !u.Role.AtLeast(min) {
				s.serveError(w, r, errForbidden("This needs the "+string(min)+" role; you are "+string(u.Role)+". Ask an admin."))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// safeNext returns next if it is a same-site path, else "/". It refuses
// absolute URLs, scheme-relative "//host" and backslash tricks.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" {
		return "/"
	}
	return next
}
