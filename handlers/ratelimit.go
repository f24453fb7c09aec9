package handlers

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/ecsconsole/ecsconsole/web"
)

// Sign-in limits. Failures count per address, and per username from that
// address, over a sliding window, in the database (store.SignInWait), so
// every console on it refuses alike. Failures from one address never refuse
// another: whoever guesses at the admin from elsewhere cannot keep the
// admin out. A success clears that username's failures from its address.
const (
	signInWindow          = 5 * time.Minute
	signInAddressFailures = 20 // any usernames, from one address
	signInUserFailures    = 5  // one username, from one address
)

// throttleSignIn refuses a sign-in from an address over its failure budget
// before the body is read, so a flood costs one indexed query per request.
func (s *Server) throttleSignIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait, err := s.store.SignInWait(r.Context(), clientIP(r), "", signInWindow, signInAddressFailures)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if wait > 0 {
			if err := s.refuseSignIn(w, r, web.LoginForm("/"), wait); err != nil {
				s.serveError(w, r, err)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// signInWait is how long username must wait to try again from r's address.
func (s *Server) signInWait(r *http.Request, username string) (time.Duration, error) {
	return s.store.SignInWait(r.Context(), clientIP(r), username, signInWindow, signInUserFailures)
}

// refuseSignIn answers 429 with Retry-After. Refusals are not audited: a
// flood of refused attempts must not become a flood of writes; the request
// log has each one.
func (s *Server) refuseSignIn(w http.ResponseWriter, r *http.Request, form web.Form, wait time.Duration) error {
	secs := retryAfterSeconds(wait)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return refuse(kindRateLimited.err(
		"Too many failed sign-ins from your address. Wait "+strconv.Itoa(secs)+" seconds and try again."), form, s.loginForm)
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
