package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

func deploymentRow(d store.Deployment) web.DeploymentRow {
	r := web.DeploymentRow{
		ID: d.ID, Service: d.ServiceKey, Kind: d.Kind, RollbackOf: d.RollbackOf, Status: string(d.Status),
		CreatedBy: d.CreatedBy, Reason: d.Reason, CreatedAt: d.CreatedAt, URL: d.Outputs.URL,
	}
	if d.FinishedAt != nil {
		r.Duration = humanDuration(d.FinishedAt.Sub(d.CreatedAt))
	}
	return r
}

// humanDuration rounds a duration for people: 42s, 3m05s, 1h12m.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func statusNames() []string {
	names := make([]string, len(deploymentStatuses))
	for i, s := range deploymentStatuses {
		names[i] = string(s)
	}
	return names
}

func (s *Server) deploymentsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Set("service", strings.TrimSpace(q.Get("service")))
	d := web.DeploymentsList{Filter: web.FilterForm(), Statuses: statusNames()}
	d.Filter.Keep(q, "service", "status")
	f, _, err := deploymentFilter(url.Values{"service": {q.Get("service")}, "status": {q.Get("status")}}, s.opts.Region)
	if err != nil {
		return refuse(err, d.Filter, func(w http.ResponseWriter, r *http.Request, status int, filter web.Form) error {
			d.Filter = filter
			s.render(w, r, status, web.DeploymentsPage(s.page(r, "Deployments", "deployments"), d))
			return nil
		})
	}
	list, next, err := s.store.ListDeploymentSummaries(r.Context(), f, q.Get("cursor"), 50)
	if errors.Is(err, store.ErrBadCursor) {
		return errInvalid("That page link is broken; start from the newest deployments.")
	}
	if err != nil {
		return err
	}
	for _, dep := range list {
		d.Rows = append(d.Rows, deploymentRow(dep))
	}
	d.NextCursor = next
	s.render(w, r, http.StatusOK, web.DeploymentsPage(s.page(r, "Deployments", "deployments"), d))
	return nil
}

func (s *Server) deploymentPage(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	d, err := s.deploymentDetail(r, dep)
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "HX-Request, HX-Target")
	// One URL, two renderings: htmx's polling of the live part gets just
	// that part; boosted navigation (also an htmx request) gets the page.
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "deployment-live" {
		s.render(w, r, http.StatusOK, web.DeploymentLive(d))
		return nil
	}
	d.Flash = s.sessions.PopString(r.Context(), flashKey)
	return s.renderDeployment(w, r, http.StatusOK, dep, d)
}

func (s *Server) renderDeployment(w http.ResponseWriter, r *http.Request, status int, dep store.Deployment, d web.DeploymentDetail) error {
	s.render(w, r, status, web.DeploymentDetailPage(s.page(r, fmt.Sprintf("Deployment #%d", dep.ID), "deployments"), d))
	return nil
}

// rollbackFormPage is deployment id's page showing the rollback form f.
func (s *Server) rollbackFormPage(id int64) formPage {
	return func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
		dep, err := s.store.Deployment(r.Context(), id)
		if err != nil {
			return err
		}
		d, err := s.deploymentDetail(r, dep)
		if err != nil {
			return err
		}
		d.Rollback = f
		return s.renderDeployment(w, r, status, dep, d)
	}
}

func (s *Server) deploymentDetail(r *http.Request, dep store.Deployment) (web.DeploymentDetail, error) {
	ctx := r.Context()
	steps, err := s.store.Steps(ctx, dep.ID)
	if err != nil {
		return web.DeploymentDetail{}, err
	}
	d := web.DeploymentDetail{
		Row: deploymentRow(dep), Finished: dep.Status.Finished(),
		ErrorStep: dep.ErrorStep, ErrorCode: dep.ErrorCode, ErrorMessage: dep.ErrorMessage,
		Rollback: web.RollbackForm(),
	}
	for _, st := range steps {
		row := web.StepRow{Name: st.Name, Status: string(st.Status), Action: st.Action, ResourceARN: st.ResourceARN,
			Retries: st.Retries, Runs: st.Runs}
		if st.ErrorCode != "" || st.ErrorMessage != "" {
			row.Error = st.ErrorCode + ": " + st.ErrorMessage
		}
		if st.StartedAt != nil && st.FinishedAt != nil {
			row.Took = humanDuration(st.FinishedAt.Sub(*st.StartedAt))
		}
		d.Steps = append(d.Steps, row)
	}
	for _, rec := range dep.DNSValidation {
		d.DNS = append(d.DNS, web.DNSRow{Name: rec.Name, Type: rec.Type, Value: rec.Value, Status: rec.Status})
	}
	d.Outputs = outputRows(dep)
	for _, t := range dep.Outputs.Tasks {
		addr := t.PrivateIP
		if t.PublicIP != "" {
			addr += " (public " + t.PublicIP + ")"
		}
		d.Tasks = append(d.Tasks, web.KeyValue{Key: t.TaskARN[strings.LastIndex(t.TaskARN, "/")+1:], Value: addr})
	}
	if !d.Finished {
		return d, nil // the rest only matters once it is done; polling stays cheap
	}
	serving, _, err := s.store.ListDeploymentSummaries(ctx, store.DeploymentFilter{ServiceKey: dep.ServiceKey, Status: store.StatusSucceeded}, "", 1)
	if err != nil {
		return d, err
	}
	d.Serving = len(serving) == 1 && serving[0].ID == dep.ID
	me, _ := userFrom(ctx)
	d.MayRollback = me.Role.AtLeast(store.RoleDeployer) && dep.Status == store.StatusSucceeded && !d.Serving
	changes, err := s.changesSincePrevious(ctx, dep)
	if err != nil {
		return d, err
	}
	d.Previous = changes.Previous
	for _, c := range changes.Changes {
		d.Changes = append(d.Changes, web.ChangeRow{Path: c.Path, Kind: string(c.Kind), Old: string(c.Old), New: string(c.New)})
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, dep.Spec, "", "  ") == nil {
		d.SpecJSON = pretty.String()
	}
	return d, nil
}

// changesSincePrevious is what changed against the service's deployment
// before dep: as stored when dep was created, or, for deployments older
// than that, compared now.
func (s *Server) changesSincePrevious(ctx context.Context, dep store.Deployment) (deploy.StoredChanges, error) {
	var sc deploy.StoredChanges
	if dep.SpecChanges != nil && json.Unmarshal(dep.SpecChanges, &sc) == nil {
		return sc, nil
	}
	prev, err := s.store.PreviousDeployment(ctx, dep)
	if errors.Is(err, store.ErrNotFound) {
		return deploy.StoredChanges{}, nil
	}
	if err != nil {
		return sc, err
	}
	changes, err := specDiff(prev, dep)
	return deploy.StoredChanges{Previous: prev.ID, Changes: changes}, err
}

// outputRows lists a deployment's outputs in a stable order.
func outputRows(dep store.Deployment) []web.KeyValue {
	var rows []web.KeyValue
	if dep.Outputs.LoadBalancerDNS != "" {
		rows = append(rows, web.KeyValue{Key: "load balancer DNS", Value: dep.Outputs.LoadBalancerDNS})
	}
	if dep.TaskDefinitionARN != "" {
		rows = append(rows, web.KeyValue{Key: "task definition", Value: dep.TaskDefinitionARN})
	}
	keys := make([]string, 0, len(dep.Outputs.ARNs))
	for k := range dep.Outputs.ARNs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "taskDefinition" && dep.TaskDefinitionARN != "" {
			continue
		}
		rows = append(rows, web.KeyValue{Key: words(k), Value: dep.Outputs.ARNs[k]})
	}
	return rows
}

// words turns a camelCase key into lower-case words: httpListener → http listener.
func words(key string) string {
	var b strings.Builder
	for i, r := range key {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rollbackCheck answers the deployment page's background question: can
// this deployment still be restored? It asks AWS, so the page itself does
// not wait for it.
func (s *Server) rollbackCheck(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	if r.Header.Get("HX-Request") != "true" {
		http.Redirect(w, r, "/deployments/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	state := web.RollbackState{ID: dep.ID, Service: dep.ServiceKey, Checked: true, Form: web.RollbackForm()}
	ok, why, err := s.engine.CheckRollback(r.Context(), dep.ID)
	switch {
	case err != nil:
		s.logger.Warn("checking rollback", "request_id", requestID(r.Context()), "deployment_id", dep.ID, "error", err.Error())
		state.Why = "AWS could not be asked whether its resources still exist; try again later."
	case !ok:
		state.Why = why
	}
	w.Header().Set("Vary", "HX-Request")
	s.render(w, r, http.StatusOK, web.RollbackSection(state))
	return nil
}

func (s *Server) rollbackForm(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	form := web.RollbackForm()
	form.Keep(postForm(r), "reason")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if problem := reasonProblem(reason); problem != "" {
		return refuse(errInvalid("The reason cannot be stored.", FieldError{Path: "reason", Message: problem}), form, s.rollbackFormPage(id))
	}
	d, err := s.engine.Rollback(r.Context(), id, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: reason})
	if err != nil {
		return refuse(err, form, s.rollbackFormPage(id))
	}
	s.auditAs(r, "deployment.rollback", d.ServiceKey, map[string]any{"deployment_id": d.ID, "rollback_of": id})
	s.sessions.Put(r.Context(), flashKey, fmt.Sprintf("Rolling back to deployment #%d.", id))
	http.Redirect(w, r, "/deployments/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) servicesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.ListServices(r.Context())
	if err != nil {
		return err
	}
	rows := make([]web.ServiceRow, len(list))
	for i, sv := range list {
		rows[i] = web.ServiceRow{
			Service: sv.Latest.ServiceKey, LatestID: sv.Latest.ID, LatestStatus: string(sv.Latest.Status),
			LatestWhen: sv.Latest.CreatedAt.UTC().Format("2006-01-02 15:04"),
		}
		if sv.LastSucceeded != nil {
			rows[i].ServingID, rows[i].URL = sv.LastSucceeded.ID, sv.LastSucceeded.Outputs.URL
		}
	}
	s.render(w, r, http.StatusOK, web.ServicesPage(s.page(r, "Services", "services"), rows))
	return nil
}
