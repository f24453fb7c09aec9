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
		state := web.RollbackState{ID: dep.ID, Service: dep.ServiceKey, Checked: true, Form: web.RollbackForm()}
		state.Why = s.rollbackRefusal(r, dep.ID)
		s.render(w, r, http.StatusOK, web.RollbackSection(state))
		return nil
	}
	return s.renderRollbackConfirm(w, r, dep, http.StatusOK, web.RollbackForm())
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

// rollbackConfirmPage is deployment id's confirmation page showing the
// rollback form f.
func (s *Server) rollbackConfirmPage(id int64) formPage {
	return func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
		target, err := s.store.Deployment(r.Context(), id)
		if err != nil {
			return err
		}
		return s.renderRollbackConfirm(w, r, target, status, f)
	}
}

func (s *Server) renderRollbackConfirm(w http.ResponseWriter, r *http.Request, target store.Deployment, status int, f web.Form) error {
	ctx := r.Context()
	c := web.RollbackConfirm{Target: deploymentRow(target), Form: f}
	ok, how, err := s.engine.CheckRollback(ctx, target.ID)
	switch {
	case err != nil:
		s.logger.Warn("checking rollback", "request_id", requestID(ctx), "deployment_id", target.ID, "error", err.Error())
		c.Why = "AWS could not be asked whether its resources still exist; try again later."
	case !ok:
		c.Why = how
	case how != "":
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

// rollbackForm is the rollback's two steps. From the deployment page (not
// confirmed) it checks that the rollback could start and answers with the
// confirmation page, which shows what changes; confirmed, it starts the
// rollback and lands on its live progress. Either refusal is shown on the
// confirmation page, with what was typed.
func (s *Server) rollbackForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	me, _ := userFrom(ctx)
	form := web.RollbackForm()
	form.Keep(postForm(r), "reason")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if problem := reasonProblem(reason); problem != "" {
		return refuse(errInvalid("The reason cannot be stored.", FieldError{Path: "reason", Message: problem}), form, s.rollbackConfirmPage(id))
	}
	if r.PostFormValue("confirmed") != "yes" {
		target, err := s.deploymentParam(r, "id")
		if err != nil {
			return err
		}
		ok, why, err := s.engine.CheckRollback(ctx, id)
		switch {
		case err != nil:
			return refuse(err, form, s.rollbackConfirmPage(id))
		case !ok:
			return refuse(&deploy.NotRollbackableError{ID: id, Why: why}, form, s.rollbackConfirmPage(id))
		}
		if active, err := s.store.ActiveDeployment(ctx, target.ServiceKey); err == nil {
			return refuse(&store.ActiveDeploymentError{Active: active}, form, s.rollbackConfirmPage(id))
		}
		return s.renderRollbackConfirm(w, r, target, http.StatusOK, form)
	}
	d, err := s.engine.Rollback(ctx, id, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: reason})
	if err != nil {
		return refuse(err, form, s.rollbackConfirmPage(id))
	}
	s.auditAs(r, "deployment.rollback", d.ServiceKey, map[string]any{"deployment_id": d.ID, "rollback_of": id})
	s.sessions.Put(ctx, flashKey, fmt.Sprintf("Rolling back to deployment #%d.", id))
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
