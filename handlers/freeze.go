package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// freezeService is the service key of the {region}/{cluster}/{name} URL
// parameters; a malformed one is nothing the console deployed.
func freezeService(r *http.Request) (key, name string, err error) {
	region, cluster, name := chi.URLParam(r, "region"), chi.URLParam(r, "cluster"), chi.URLParam(r, "name")
	if !deploy.IsRegion(region) || !isResourceName(cluster) || !isResourceName(name) {
		return "", "", errNotFound("There is no such service.")
	}
	return region + "/" + cluster + "/" + name, name, nil
}

// isResourceName reports whether s could be an ECS cluster or service
// name: letters, digits, hyphens and underscores, 1 to 255 of them.
func isResourceName(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == ""
}

// freezeNote is f as pages show it.
func freezeNote(f store.Freeze) *web.FreezeNote {
	return &web.FreezeNote{Reason: f.Reason, By: f.FrozenBy, At: f.FrozenAt, Rollback: f.AfterRollback}
}

// freezePage shows whether a service is frozen, with the form that
// freezes or unfreezes it.
func (s *Server) freezePage(w http.ResponseWriter, r *http.Request) error {
	return s.renderFreeze(w, r, http.StatusOK, web.FreezeForm())
}

func (s *Server) renderFreeze(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
	key, name, err := freezeService(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	v := web.FreezeView{Service: key, Name: name, CanChange: me.Role.AtLeast(store.RoleDeployer), Form: f,
		Flash: s.sessions.PopString(r.Context(), flashKey)}
	switch fr, err := s.store.ServiceFreeze(r.Context(), key); {
	case err == nil:
		v.Frozen = freezeNote(fr)
	case !errors.Is(err, ecsconsole.ErrNotFound):
		return err
	}
	s.render(w, r, status, web.FreezePage(s.page(r, "Freeze "+name, "services"), v))
	return nil
}

// freezeForm freezes a service from its freeze page.
func (s *Server) freezeForm(w http.ResponseWriter, r *http.Request) error {
	form := web.FreezeForm()
	form.Keep(postForm(r), "reason")
	if _, err := s.freeze(r, r.PostFormValue("reason")); err != nil {
		return refuse(err, form, s.renderFreeze)
	}
	key, _, _ := freezeService(r)
	s.sessions.Put(r.Context(), flashKey, "Frozen: deploys of "+key+" are refused until it is unfrozen.")
	http.Redirect(w, r, web.FreezePath(key), http.StatusSeeOther)
	return nil
}

// unfreezeForm unfreezes a service from its freeze page.
func (s *Server) unfreezeForm(w http.ResponseWriter, r *http.Request) error {
	key, was, err := s.unfreeze(r)
	if err != nil {
		return err
	}
	if was {
		s.sessions.Put(r.Context(), flashKey, "Unfrozen: "+key+" can be deployed again.")
	}
	http.Redirect(w, r, web.FreezePath(key), http.StatusSeeOther)
	return nil
}

// freezeJSON is a service's freeze in the API.
type freezeJSON struct {
	Service  string     `json:"service"`
	Frozen   bool       `json:"frozen"`
	Reason   string     `json:"reason,omitempty"`
	FrozenBy string     `json:"frozenBy,omitempty"`
	FrozenAt *time.Time `json:"frozenAt,omitempty"`
	// AfterRollback is the rollback that froze the service by itself.
	AfterRollback int64 `json:"afterRollback,omitempty"`
}

func freezeBody(key string, f *store.Freeze) freezeJSON {
	if f == nil {
		return freezeJSON{Service: key}
	}
	at := f.FrozenAt.UTC()
	return freezeJSON{Service: key, Frozen: true, Reason: f.Reason, FrozenBy: f.FrozenBy, FrozenAt: &at, AfterRollback: f.AfterRollback}
}

// apiFreeze answers GET /api/v1/services/{region}/{cluster}/{name}/freeze.
func (s *Server) apiFreeze(w http.ResponseWriter, r *http.Request) error {
	key, _, err := freezeService(r)
	if err != nil {
		return err
	}
	f, err := s.store.ServiceFreeze(r.Context(), key)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		writeJSON(w, http.StatusOK, freezeBody(key, nil))
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, freezeBody(key, &f))
	return nil
}

// apiFreezeService freezes a service: POST with {"reason": "..."}.
func (s *Server) apiFreezeService(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &req, 64<<10, false, `{"reason": "..."}`); err != nil {
		return err
	}
	f, err := s.freeze(r, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, freezeBody(f.ServiceKey, &f))
	return nil
}

// apiUnfreezeService unfreezes a service (POST …/unfreeze or DELETE
// …/freeze); unfreezing one that is not frozen is not an error.
func (s *Server) apiUnfreezeService(w http.ResponseWriter, r *http.Request) error {
	key, _, err := s.unfreeze(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, freezeBody(key, nil))
	return nil
}

// freeze freezes the URL's service for the request's user (audited by the
// store, in the freeze's transaction).
func (s *Server) freeze(r *http.Request, reason string) (store.Freeze, error) {
	key, _, err := freezeService(r)
	if err != nil {
		return store.Freeze{}, err
	}
	if problem := reasonProblem(reason); problem != "" {
		return store.Freeze{}, errInvalid("The reason cannot be stored.", FieldError{Path: "reason", Message: problem})
	}
	me, _ := userFrom(r.Context())
	f, err := s.store.FreezeService(r.Context(), store.FreezeRequest{ServiceKey: key, Reason: reason,
		UserID: me.ID, Username: me.Username, IP: clientIP(r)})
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return store.Freeze{}, errNotFound(fmt.Sprintf("The console has no deployments of %s to freeze.", key))
	}
	return f, err
}

func (s *Server) unfreeze(r *http.Request) (key string, was bool, err error) {
	key, _, err = freezeService(r)
	if err != nil {
		return "", false, err
	}
	me, _ := userFrom(r.Context())
	was, err = s.store.UnfreezeService(r.Context(), key, me.ID, me.Username, clientIP(r))
	return key, was, err
}
