package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// rollbackCheck is two things at one URL: htmx's background question from
// the deployment page (can this deployment still be restored? it asks AWS,
// so the page does not wait for it), and, for a plain visit, the
// confirmation page showing what the rollback changes.
func (s *Server) rollbackCheck(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "HX-Request, HX-Boosted")
	// htmx's own request, not a boosted navigation (which wants the page).
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" {
		state := web.RollbackState{ID: dep.ID, Service: dep.ServiceKey, Checked: true}
		state.Why = s.rollbackRefusal(r, dep.ID)
		s.render(w, r, http.StatusOK, web.RollbackSection(state))
		return nil
	}
	return s.renderRollbackConfirm(w, r, dep, http.StatusOK, "", "")
}

// rollbackRefusal asks the engine whether deployment id can be restored:
// "" when it can, else why not in words.
func (s *Server) rollbackRefusal(r *http.Request, id int64) string {
	ok, why, err := s.engine.CheckRollback(r.Context(), id)
	switch {
	case err != nil:
		s.logger.Warn("checking rollback", "request_id", requestID(r.Context()), "deployment_id", id, "error", err.Error())
		return "AWS could not be asked whether its resources still exist; try again later."
	case !ok:
		return why
	}
	return ""
}

func (s *Server) renderRollbackConfirm(w http.ResponseWriter, r *http.Request, target store.Deployment, status int, reason, problem string) error {
	ctx := r.Context()
	c := web.RollbackConfirm{Target: deploymentRow(target), Reason: reason, Error: problem}
	ok, how, err := s.engine.CheckRollback(ctx, target.ID)
	switch {
	case err != nil:
		s.logger.Warn("checking rollback", "request_id", requestID(ctx), "deployment_id", target.ID, "error", err.Error())
		c.Why = "AWS could not be asked whether its resources still exist; try again later."
	case !ok:
		c.Why = how
	default:
		c.How = strings.ToUpper(how[:1]) + how[1:]
	}
	current, err := s.store.ServingDeployment(ctx, target.ServiceKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.Sections, err = diffSections(store.Deployment{Spec: []byte("{}")}, target)
	case err != nil:
		return err
	default:
		row := deploymentRow(current)
		c.Current = &row
		if current.ID == target.ID && c.Why == "" {
			c.Why = "it is what the service runs now"
		}
		c.Sections, err = diffSections(current, target)
	}
	if err != nil {
		return err
	}
	s.render(w, r, status, web.RollbackConfirmPage(s.page(r, fmt.Sprintf("Roll back to #%d", target.ID), "deployments"), c))
	return nil
}

// rollbackForm starts the rollback the confirmation page asked for and
// lands on its live progress.
func (s *Server) rollbackForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	reason := strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(r.PostFormValue("reason"), "\x00", ""), ""))
	if len([]rune(reason)) > maxReasonLength {
		reason = string([]rune(reason)[:maxReasonLength])
	}
	d, err := s.engine.Rollback(r.Context(), id, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: reason})
	var ae *store.ActiveDeploymentError
	switch {
	case errors.Is(err, deploy.ErrNotRollbackable):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "not_rollbackable", Message: "This deployment cannot be restored: " + strings.TrimPrefix(err.Error(), deploy.ErrNotRollbackable.Error()+" ")}
	case errors.As(err, &ae):
		s.sessions.Put(r.Context(), flashKey, fmt.Sprintf("Deployment #%d of this service is %s; the rollback can start once it finishes.", ae.Active.ID, web.StatusLabel(string(ae.Active.Status))))
		http.Redirect(w, r, "/deployments/"+strconv.FormatInt(ae.Active.ID, 10), http.StatusSeeOther)
		return nil
	case errors.Is(err, store.ErrNotFound):
		return errNotFound(fmt.Sprintf("There is no deployment %d.", id))
	case err != nil:
		return awsError(err)
	}
	s.auditAs(r, "deployment.rollback", d.ServiceKey, map[string]any{"deployment_id": d.ID, "rollback_of": id})
	s.sessions.Put(r.Context(), flashKey, fmt.Sprintf("Rolling back to deployment #%d.", id))
	http.Redirect(w, r, "/deployments/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}

// deploymentEvents is the deployment page's events fragment: the ECS
// service's events from the deployment's period (a minute either side).
func (s *Server) deploymentEvents(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/deployments/"+strconv.FormatInt(dep.ID, 10), http.StatusSeeOther)
		return nil
	}
	w.Header().Set("Vary", "HX-Request")
	live, err := s.liveService(r.Context(), dep.Region, dep.Cluster, dep.Service, fmt.Sprintf("%d-%s", dep.ID, dep.Status))
	if err != nil {
		s.logger.Warn("reading service events", "request_id", requestID(r.Context()), "deployment_id", dep.ID, "error", err.Error())
		s.render(w, r, http.StatusOK, web.ServiceEvents(nil, false, "ECS could not be asked for the service's events; try again later."))
		return nil
	}
	if !live.Found {
		s.render(w, r, http.StatusOK, web.ServiceEvents(nil, false, "ECS does not know this service (any more)."))
		return nil
	}
	from, to := dep.CreatedAt.Add(-time.Minute), time.Now()
	if dep.FinishedAt != nil {
		to = dep.FinishedAt.Add(time.Minute)
	}
	var rows []web.EventRow
	for _, ev := range live.Events {
		if !ev.At.Before(from) && !ev.At.After(to) {
			rows = append(rows, web.EventRow{At: ev.At.UTC().Format("15:04:05"), Message: ev.Message})
		}
	}
	latest := len(rows) == 0
	if latest {
		for _, ev := range live.Events[:min(10, len(live.Events))] {
			rows = append(rows, web.EventRow{At: ev.At.UTC().Format("2006-01-02 15:04:05"), Message: ev.Message})
		}
	}
	s.render(w, r, http.StatusOK, web.ServiceEvents(rows, latest, ""))
	return nil
}
