package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
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

// renderRollbackConfirm shows the confirmation page of a rollback to
// target: what changes, the digests that will run, what was checked and
// what cannot be, and the form, bound (its "after" token) to the service's
// newest deployment as it is now.
func (s *Server) renderRollbackConfirm(w http.ResponseWriter, r *http.Request, target ecsconsole.Deployment, status int, f web.Form) error {
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
	for _, im := range deploy.RollbackImages(target) {
		c.Images = append(c.Images, web.RollbackImageRow{Container: im.Container, Image: im.Image, Runs: im.Runs, Pinned: im.Pinned})
		c.Unchecked = append(c.Unchecked, fmt.Sprintf("Image %s (%s): %s.", im.Runs, im.Container, im.Unchecked))
	}
	if why := s.checkRollbackNeeds(r, target, &c); why != "" && c.Why == "" {
		c.Why = why
	}
	current, err := s.store.ServingDeployment(ctx, target.ServiceKey)
	switch {
	case errors.Is(err, ecsconsole.ErrNotFound):
		c.Sections, err = diffSections(ecsconsole.Deployment{Spec: []byte("{}")}, target)
	case err != nil:
		return err
	default:
		row := deploymentRow(current)
		c.Current = &row
		if _, runs, rerr := s.engine.RunsNow(ctx, target); rerr == nil && runs && c.Why == "" {
			c.Why = "it is what the service runs now"
		}
		c.Sections, err = diffSections(current, target)
	}
	if err != nil {
		return err
	}
	after, err := s.store.LatestDeploymentID(ctx, target.ServiceKey)
	if err != nil {
		return err
	}
	if c.Form.Values == nil {
		c.Form.Values = map[string]string{}
	}
	c.Form.Values["after"] = strconv.FormatInt(after, 10)
	s.render(w, r, status, web.RollbackConfirmPage(s.page(r, fmt.Sprintf("Roll back to #%d", target.ID), "deployments"), c))
	return nil
}

// checkRollbackNeeds checks what a rollback to target needs besides its
// images where an API can tell (its IAM roles still exist), records on c
// what was checked and what cannot be (secrets), and returns why the
// rollback cannot work ("" when nothing found says so).
func (s *Server) checkRollbackNeeds(r *http.Request, target ecsconsole.Deployment, c *web.RollbackConfirm) string {
	roles, secrets := deploy.RollbackNeeds(target)
	why := ""
	if len(roles) > 0 {
		listed, err := s.catalog.Roles(r.Context(), target.Region)
		if err != nil {
			s.logger.Warn("listing IAM roles for a rollback", "request_id", requestID(r.Context()), "deployment_id", target.ID, "error", err.Error())
			for _, arn := range roles {
				c.Unchecked = append(c.Unchecked, fmt.Sprintf("IAM role %s: IAM could not be asked whether it still exists.", arn))
			}
		}
		for _, arn := range roles {
			if err != nil {
				break
			}
			if slices.ContainsFunc(listed, func(role catalog.Role) bool { return role.ARN == arn }) {
				c.Checked = append(c.Checked, fmt.Sprintf("IAM role %s still exists.", arn))
				continue
			}
			c.Checked = append(c.Checked, fmt.Sprintf("IAM role %s no longer exists: tasks that need it cannot start.", arn))
			if why == "" {
				why = fmt.Sprintf("IAM role %s, which its task definition names, no longer exists", arn)
			}
		}
	}
	for _, sec := range secrets {
		c.Unchecked = append(c.Unchecked, fmt.Sprintf("Secret %s: the console has no Secrets Manager or SSM client, so it cannot ask whether it still exists.", sec))
	}
	return why
}

// spentConfirmation refuses (409, starting nothing) a rollback confirmation
// made before the service's newest deployment: one already used, linking
// to the rollback it made, or one outdated by a deployment made since it
// was shown. It reports whether it answered.
func (s *Server) spentConfirmation(w http.ResponseWriter, r *http.Request, target ecsconsole.Deployment, after int64, form web.Form) (bool, error) {
	ctx := r.Context()
	latest, err := s.store.LatestDeploymentID(ctx, target.ServiceKey)
	if err != nil || latest == after {
		return false, err
	}
	made, err := s.store.RollbackSince(ctx, target.ServiceKey, target.ID, after)
	if err != nil {
		return false, err
	}
	if made != 0 {
		form.Error = fmt.Sprintf("This confirmation was already used: it made rollback #%d. Nothing new was started.", made)
		form.Link = &web.Link{Href: deploymentPath(made), Label: fmt.Sprintf("See rollback #%d.", made)}
	} else {
		form.Error = fmt.Sprintf("Deployment #%d of this service was made since this page was shown, so nothing was started; review what the rollback changes now and confirm again.", latest)
		form.Link = &web.Link{Href: deploymentPath(latest), Label: fmt.Sprintf("See deployment #%d.", latest)}
	}
	return true, s.renderRollbackConfirm(w, r, target, http.StatusConflict, form)
}

// rollbackError is the API's and the form's answer to a rollback the
// engine refused because it would change nothing.
func rollbackError(err error) error {
	var rn *deploy.RunsNowError
	if errors.As(err, &rn) {
		msg := fmt.Sprintf("Deployment #%d is what the service runs now; rolling back to it would change nothing.", rn.Target)
		if rn.Serving != rn.Target {
			msg = fmt.Sprintf("Deployment #%d's spec and images are what the service runs now (deployment #%d); rolling back would change nothing.", rn.Target, rn.Serving)
		}
		return kindConflict.err(msg + ` To roll back anyway, send "force": true.`)
	}
	return err
}

// rollbackForm is the rollback's two steps. From the deployment page (not
// confirmed) it checks that the rollback could start and answers with the
// confirmation page, which shows what changes; confirmed, it starts the
// rollback and lands on its live progress. Either refusal is shown on the
// confirmation page, with what was typed. A confirmation is good once: it
// carries the service's newest deployment when it was shown ("after"), and
// is refused, starting nothing, once another deployment exists.
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
	target, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	if r.PostFormValue("confirmed") != "yes" {
		ok, why, err := s.engine.CheckRollback(ctx, id)
		switch {
		case err != nil:
			return refuse(err, form, s.rollbackConfirmPage(id))
		case !ok:
			return refuse(&deploy.NotRollbackableError{ID: id, Why: why}, form, s.rollbackConfirmPage(id))
		}
		if active, err := s.store.ActiveDeployment(ctx, target.ServiceKey); err == nil {
			return refuse(&ecsconsole.ActiveDeploymentError{Active: active}, form, s.rollbackConfirmPage(id))
		}
		return s.renderRollbackConfirm(w, r, target, http.StatusOK, form)
	}
	after, err := strconv.ParseInt(r.PostFormValue("after"), 10, 64)
	if err != nil || after < 0 {
		form.Error = "This confirmation is incomplete (it does not say what the service's history was when it was shown); review the rollback below and confirm again."
		return s.renderRollbackConfirm(w, r, target, http.StatusUnprocessableEntity, form)
	}
	if spent, err := s.spentConfirmation(w, r, target, after, form); spent || err != nil {
		return err
	}
	d, err := s.engine.Rollback(ctx, id, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: reason})
	if err != nil {
		return refuse(rollbackError(err), form, s.rollbackConfirmPage(id))
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
