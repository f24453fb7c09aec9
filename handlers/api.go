package handlers

import (
	"net/http"
)

// apiMe answers who the caller is: a quick end-to-end check of a token.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	u, _ := userFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "username": u.Username, "role": u.Role})
	return nil
}
