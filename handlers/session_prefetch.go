package handlers

import (
	"context"
	"net/http"

	"github.com/ecsconsole/ecsconsole/store"
)

type prefetchedUserKey struct{}

// prefetchSession reads the request's session and its user in one query
// (store.SessionStore.Prefetch) before scs loads the session, which then
// reuses it: a page view costs one query for who is asking, not two.
// Requests with a bearer token, or without a session cookie, pass as they are.
func (s *Server) prefetchSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.quiet == nil || r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		cookie, err := r.Cookie(s.sessions.Cookie.Name)
		if err != nil || cookie.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, user, err := s.quiet.Prefetch(r.Context(), cookie.Value)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if user != nil {
			ctx = context.WithValue(ctx, prefetchedUserKey{}, *user)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// prefetchedUser is the user prefetchSession read with the session, if it
// is the session's user id.
func prefetchedUser(ctx context.Context, id int64) (store.User, bool) {
	u, ok := ctx.Value(prefetchedUserKey{}).(store.User)
	return u, ok && u.ID == id
}
