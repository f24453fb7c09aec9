package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/ecsconsole/ecsconsole/store"
)

// healthz says the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the console can serve: the database answers and its schema is
// current. 503 otherwise, so a load balancer sends traffic elsewhere.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return
	}
	if !s.schemaCurrent.Load() {
		if err := store.CheckSchema(ctx, s.store.Pool()); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "schema out of date: run ecsconsole migrate up"})
			return
		}
		s.schemaCurrent.Store(true)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}
