package handlers

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// RequestObserver hears of every answered request, for metrics
// (metrics.Metrics): the route is chi's pattern, e.g. /deployments/{id},
// never the raw path.
type RequestObserver interface {
	ObserveHTTP(route, method string, status int, took time.Duration)
}

// observeRequests tells the request observer, if any, of each request
// once it is answered, when routing has found its pattern.
func (s *Server) observeRequests(next http.Handler) http.Handler {
	if s.requests == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		route := ""
		if rc := chi.RouteContext(r.Context()); rc != nil {
			route = rc.RoutePattern()
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.requests.ObserveHTTP(route, r.Method, status, time.Since(start))
	})
}
