package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// The "deploy a change" page: what teams change daily (each container's
// image and environment, the desired count) on one page, starting from the
// service's latest deployment, with the diff and the engine's plan beside
// it. Everything else of the spec is kept as it was; the full wizard is one
// link away for the rest.

// maxChangeEnv bounds the environment rows read per container, so a
// hostile form cannot make the page loop.
const maxChangeEnv = 200

// changeEdits is what the change form says, by container index.
type changeEdits struct {
	desiredCount string
	containers   []containerEdits
	reason       string
}

// containerEdits is one container's part of the form.
type containerEdits struct {
	name  string // as the page showed it, to match the spec's container
	image string
	env   []envRow
}

// envRow is one environment variable row; row is its index on the form.
type envRow struct {
	row         int
	name, value string
	remove      bool
}

// changePage is GET /deployments/{id}/change: the change form filled from
// the service's latest deployment.
func (s *Server) changePage(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	base, err := s.latestOf(r.Context(), dep.ServiceKey)
	if err != nil {
		return err
	}
	spec, err := storedSpec(base)
	if err != nil {
		return err
	}
	v, err := s.changeView(r, dep.ID, base, spec, editsFromSpec(spec))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, s.changePageOf(r, v))
	return nil
}

// changeSubmit is POST /deployments/{id}/change: op=deploy deploys the
// edited spec; anything else (the Preview button, htmx as one types)
// shows the diff and plan of what was typed.
func (s *Server) changeSubmit(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	baseID, err := strconv.ParseInt(r.PostFormValue("base"), 10, 64)
	if err != nil || baseID <= 0 {
		return errInvalid("This form is not one the change page gave out; open it again from the service.")
	}
	base, err := s.deployment(r.Context(), baseID)
	if err != nil {
		return err
	}
	if base.ServiceKey != dep.ServiceKey {
		return errInvalid("This form is for another service; open it again from the service.")
	}
	spec, err := storedSpec(base)
	if err != nil {
		return err
	}
	edits := editsFromForm(r)
	deploying := r.PostFormValue("op") == "deploy"
	me, _ := userFrom(r.Context())
	if deploying && !me.Role.AtLeast(store.RoleDeployer) {
		return errForbidden("Viewers can look at a change but not deploy it; ask a deployer.")
	}

	// A stale page (the service got another deployment since it was
	// opened) is shown against the latest, with what that one changed.
	latest, err := s.latestOf(r.Context(), dep.ServiceKey)
	if err != nil {
		return err
	}
	var stale *web.StaleNotice
	if latest.ID != base.ID {
		if stale, err = s.staleNotice(base, latest); err != nil {
			return err
		}
		latestSpec, err := storedSpec(latest)
		if err != nil {
			return err
		}
		if !sameContainers(edits, latestSpec) {
			// The typed rows name containers the latest spec does not have
			// in that order: start again from the latest.
			edits = editsFromSpec(latestSpec)
			stale.Dropped = true
		}
		base, spec = latest, latestSpec
	}
	v, err := s.changeView(r, dep.ID, base, spec, edits)
	if err != nil {
		return err
	}
	v.Stale = stale
	switch {
	case stale != nil && deploying:
		v.Form.Error = "Nothing was deployed: the service changed since you opened this page."
		s.render(w, r, http.StatusConflict, s.changePageOf(r, v))
		return nil
	case !deploying || v.Form.Refused() || v.next == nil:
		status := http.StatusOK
		if deploying {
			status = http.StatusUnprocessableEntity
		}
		if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "change-preview" {
			s.render(w, r, status, web.ChangePreview(v.ChangeView))
			return nil
		}
		s.render(w, r, status, s.changePageOf(r, v))
		return nil
	}

	d, err := s.engine.Submit(r.Context(), v.next, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: edits.reason,
		InTx: store.RequireLatest(base.ID)})
	var ae *ecsconsole.ActiveDeploymentError
	var se *store.StaleError
	var ve *ecsconsole.ValidationError
	switch {
	case errors.As(err, &ae):
		v.Form.Error = fmt.Sprintf("Deployment #%d of %s is %s; deploy again once it finishes.", ae.Active.ID, ae.Active.Service, web.StatusLabel(string(ae.Active.Status)))
		v.Form.Link = &web.Link{Href: deploymentHref(ae.Active.ID), Label: fmt.Sprintf("Open #%d", ae.Active.ID)}
		s.render(w, r, http.StatusConflict, s.changePageOf(r, v))
		return nil
	case errors.As(err, &se):
		// Another deployment landed between the check above and the insert.
		v.Form.Error = fmt.Sprintf("Nothing was deployed: deployment #%d of the service was created meanwhile; open the page again to see it.", se.Latest)
		v.Form.Link = &web.Link{Href: deploymentHref(se.Latest), Label: fmt.Sprintf("Open #%d", se.Latest)}
		s.render(w, r, http.StatusConflict, s.changePageOf(r, v))
		return nil
	case errors.As(err, &ve):
		v.Form.Problems = append(v.Form.Problems, changeProblems(ve.Problems, edits)...)
		v.Form.Sort()
		s.render(w, r, http.StatusUnprocessableEntity, s.changePageOf(r, v))
		return nil
	case err != nil:
		if e := s.asError(r, err); e.Status < 500 || isAWSTrouble(e) {
			v.Form.Error = e.Message
			s.render(w, r, e.Status, s.changePageOf(r, v))
			return nil
		}
		return err
	}
	s.auditAs(r, "deployment.create", d.ServiceKey, map[string]any{"deployment_id": d.ID, "from": base.ID})
	s.sessions.Put(r.Context(), flashKey, "Deployment started.")
	http.Redirect(w, r, "/deployments/"+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
	return nil
}

// deploymentHref is a deployment page's address, for a form's link.
func deploymentHref(id int64) templ.SafeURL {
	return templ.SafeURL("/deployments/" + strconv.FormatInt(id, 10))
}

// changePageOf is the whole change page of v.
func (s *Server) changePageOf(r *http.Request, v changeResult) templ.Component {
	return web.ChangePage(s.page(r, "Deploy a change to "+v.Base.Name, "services"), v.ChangeView)
}

// latestOf is the service's latest deployment, spec included.
func (s *Server) latestOf(ctx context.Context, serviceKey string) (ecsconsole.Deployment, error) {
	list, _, err := s.store.ListDeployments(ctx, store.DeploymentFilter{ServiceKey: serviceKey}, "", 1)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	if len(list) == 0 {
		return ecsconsole.Deployment{}, errNotFound("The console has no deployment of " + serviceKey + ".")
	}
	return s.deployment(ctx, list[0].ID)
}

// storedSpec decodes a stored deployment's spec.
func storedSpec(d ecsconsole.Deployment) (*ecsconsole.Spec, error) {
	var spec ecsconsole.Spec
	if err := json.Unmarshal(d.Spec, &spec); err != nil {
		return nil, fmt.Errorf("stored spec of deployment %d: %w", d.ID, err)
	}
	return &spec, nil
}

// taskDocument decodes a spec's task definition as generic JSON, numbers
// kept exact, so that editing two members leaves every other untouched.
func taskDocument(spec *ecsconsole.Spec) (map[string]any, []map[string]any, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(spec.TaskDefinition))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("decoding the task definition: %w", err)
	}
	list, _ := doc["containerDefinitions"].([]any)
	var defs []map[string]any
	for _, c := range list {
		if m, ok := c.(map[string]any); ok {
			defs = append(defs, m)
		}
	}
	return doc, defs, nil
}

// editsFromSpec is the form as a spec fills it.
func editsFromSpec(spec *ecsconsole.Spec) changeEdits {
	var e changeEdits
	if spec.Service.DesiredCount != nil {
		e.desiredCount = strconv.Itoa(int(*spec.Service.DesiredCount))
	}
	_, defs, _ := taskDocument(spec)
	for _, def := range defs {
		c := containerEdits{}
		c.name, _ = def["name"].(string)
		c.image, _ = def["image"].(string)
		env, _ := def["environment"].([]any)
		for j, kv := range env {
			m, _ := kv.(map[string]any)
			name, _ := m["name"].(string)
			value, _ := m["value"].(string)
			c.env = append(c.env, envRow{row: j, name: name, value: value})
		}
		e.containers = append(e.containers, c)
	}
	return e
}

// editsFromForm reads the change form.
func editsFromForm(r *http.Request) changeEdits {
	f := r.PostForm
	e := changeEdits{desiredCount: strings.TrimSpace(f.Get("desiredCount")), reason: strings.TrimSpace(f.Get("reason"))}
	for i := 0; i < 64; i++ {
		p := "c" + strconv.Itoa(i) + "."
		if _, ok := f[p+"name"]; !ok {
			break
		}
		c := containerEdits{name: f.Get(p + "name"), image: strings.TrimSpace(f.Get(p + "image"))}
		for j := 0; j < maxChangeEnv; j++ {
			q := p + "env" + strconv.Itoa(j) + "."
			if _, ok := f[q+"name"]; !ok {
				break
			}
			c.env = append(c.env, envRow{row: j, name: strings.TrimSpace(f.Get(q + "name")), value: f.Get(q + "value"), remove: f.Get(q+"remove") != ""})
		}
		e.containers = append(e.containers, c)
	}
	return e
}

// sameContainers reports whether the form's containers are the spec's, in
// order.
func sameContainers(e changeEdits, spec *ecsconsole.Spec) bool {
	fresh := editsFromSpec(spec)
	return slices.EqualFunc(e.containers, fresh.containers, func(a, b containerEdits) bool { return a.name == b.name })
}

// kept are the rows that stay: named (or given a value, which then needs a
// name) and not marked for removal.
func (c containerEdits) kept() []envRow {
	var out []envRow
	for _, kv := range c.env {
		if !kv.remove && (kv.name != "" || kv.value != "") {
			out = append(out, kv)
		}
	}
	return out
}

// applyEdits is spec with the edits made: a new spec, parsed and validated
// as the API's would be. Problems come back keyed to the form's fields.
func (s *Server) applyEdits(spec *ecsconsole.Spec, e changeEdits) (*ecsconsole.Spec, []web.FieldProblem, error) {
	var ps []web.FieldProblem
	doc, defs, err := taskDocument(spec)
	if err != nil {
		return nil, nil, err
	}
	if len(defs) != len(e.containers) {
		return nil, []web.FieldProblem{{Field: "base", Message: "The form's containers are not the spec's; open the page again."}}, nil
	}
	for i, c := range e.containers {
		p := "c" + strconv.Itoa(i) + "."
		if msg := textProblem(c.image); msg != "" {
			ps = append(ps, web.FieldProblem{Field: p + "image", Message: msg})
		}
		defs[i]["image"] = c.image
		var env []any
		for _, kv := range c.kept() {
			q := p + "env" + strconv.Itoa(kv.row) + "."
			switch {
			case textProblem(kv.name) != "":
				ps = append(ps, web.FieldProblem{Field: q + "name", Message: textProblem(kv.name)})
			case textProblem(kv.value) != "":
				ps = append(ps, web.FieldProblem{Field: q + "value", Message: textProblem(kv.value)})
			case kv.name == "":
				ps = append(ps, web.FieldProblem{Field: q + "name", Message: "Give this variable a name, or clear its value to drop it."})
			}
			env = append(env, map[string]any{"name": kv.name, "value": kv.value})
		}
		if len(env) == 0 {
			delete(defs[i], "environment")
		} else {
			defs[i]["environment"] = env
		}
	}
	next := *spec
	if n, err := strconv.ParseInt(e.desiredCount, 10, 32); err != nil {
		ps = append(ps, web.FieldProblem{Field: "desiredCount", Message: "Enter a whole number of tasks, such as 2."})
	} else {
		count := int32(n)
		next.Service.DesiredCount = &count
	}
	if msg := reasonProblem(e.reason); msg != "" {
		ps = append(ps, web.FieldProblem{Field: "reason", Message: msg})
	}
	td, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the task definition: %w", err)
	}
	next.TaskDefinition = td
	// The spec is checked even when the form already has problems, so that
	// every one is shown at once; a field keeps the form's own message.
	parsed, err := deploy.ParseWithDefaultRegion(next.JSON(), s.opts.Region)
	var ve *ecsconsole.ValidationError
	if errors.As(err, &ve) {
		for _, p := range changeProblems(ve.Problems, e) {
			if !slices.ContainsFunc(ps, func(q web.FieldProblem) bool { return q.Field == p.Field }) {
				ps = append(ps, p)
			}
		}
		return nil, ps, nil
	}
	if err != nil || len(ps) > 0 {
		return nil, ps, err
	}
	return parsed, nil, nil
}

// changeProblems keys the spec's problems to the form's fields; a problem
// with a part of the spec the page does not show keeps its path and is
// shown at the top of the form.
func changeProblems(problems []ecsconsole.Problem, e changeEdits) []web.FieldProblem {
	out := make([]web.FieldProblem, 0, len(problems))
	for _, p := range problems {
		out = append(out, web.FieldProblem{Field: changeField(p.Path, e), Message: p.Message})
	}
	return out
}

// changeField is the form field a spec path is about, or the path.
func changeField(path string, e changeEdits) string {
	if path == "service.desiredCount" {
		return "desiredCount"
	}
	rest, ok := strings.CutPrefix(path, "taskDefinition.containerDefinitions[")
	if !ok {
		return path
	}
	n, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(n)
	if !ok || err != nil || i < 0 || i >= len(e.containers) {
		return path
	}
	p := "c" + strconv.Itoa(i) + "."
	switch {
	case rest == ".image":
		return p + "image"
	case strings.HasPrefix(rest, ".environment["):
		n, member, _ := strings.Cut(strings.TrimPrefix(rest, ".environment["), "]")
		k, err := strconv.Atoi(n)
		kept := e.containers[i].kept()
		if err != nil || k < 0 || k >= len(kept) {
			return p + "image"
		}
		field := "name"
		if member == ".value" {
			field = "value"
		}
		return p + "env" + strconv.Itoa(kept[k].row) + "." + field
	}
	return path
}

// changeView builds the page: the form as edited, and, when the edits make
// a valid spec, its diff against base and the engine's plan.
func (s *Server) changeView(r *http.Request, pageID int64, base ecsconsole.Deployment, spec *ecsconsole.Spec, e changeEdits) (changeResult, error) {
	me, _ := userFrom(r.Context())
	v := web.ChangeView{
		PageID: pageID, Base: deploymentRow(base), CanDeploy: me.Role.AtLeast(store.RoleDeployer),
		Form: web.Form{ID: "change", Values: map[string]string{"desiredCount": e.desiredCount, "reason": e.reason}},
	}
	for i, c := range e.containers {
		p := "c" + strconv.Itoa(i) + "."
		wc := web.ChangeContainer{Prefix: p, Name: c.name}
		v.Form.Values[p+"image"] = c.image
		v.Form.Fields = append(v.Form.Fields, p+"image")
		rows := c.env
		next := 0
		for _, kv := range rows {
			q := p + "env" + strconv.Itoa(kv.row) + "."
			wc.Env = append(wc.Env, web.ChangeEnvRow{Prefix: q, Remove: kv.remove})
			v.Form.Values[q+"name"], v.Form.Values[q+"value"] = kv.name, kv.value
			v.Form.Fields = append(v.Form.Fields, q+"name", q+"value")
			next = max(next, kv.row+1)
		}
		// One blank row to add a variable (without JavaScript, Preview
		// adds another).
		if next < maxChangeEnv && (len(rows) == 0 || rows[len(rows)-1].name != "" || rows[len(rows)-1].value != "") {
			q := p + "env" + strconv.Itoa(next) + "."
			wc.Env = append(wc.Env, web.ChangeEnvRow{Prefix: q, New: true})
			v.Form.Fields = append(v.Form.Fields, q+"name", q+"value")
		}
		v.Containers = append(v.Containers, wc)
	}
	v.Form.Fields = append(v.Form.Fields, "desiredCount", "reason")

	next, problems, err := s.applyEdits(spec, e)
	if err != nil {
		return changeResult{}, err
	}
	v.Form.Problems = problems
	v.Form.Sort()
	res := changeResult{ChangeView: v}
	if next == nil {
		return res, nil
	}
	res.next, res.Valid = next, true
	changes, err := specDiff(base, ecsconsole.Deployment{Spec: next.JSON()})
	if err != nil {
		return changeResult{}, err
	}
	res.Sections = explainChanges(changes)
	plan, err := s.engine.Plan(r.Context(), next)
	var ve *ecsconsole.ValidationError
	switch {
	case errors.As(err, &ve):
		// What only AWS knows (a subnet gone, …): shown like the rest.
		res.Form.Problems = append(res.Form.Problems, changeProblems(ve.Problems, e)...)
		res.Form.Sort()
	case err != nil:
		s.logger.Warn("planning a change", "request_id", requestID(r.Context()), "error", err.Error())
		res.PlanErr = "The plan could not be read from AWS just now; deploying may still work."
	}
	res.Plan = planRows(plan)
	return res, nil
}

// changeResult is the page's view and the spec it would deploy (nil while
// the form has problems).
type changeResult struct {
	web.ChangeView
	next *ecsconsole.Spec
}

// staleNotice says what the deployment that landed since the page was
// opened changed.
func (s *Server) staleNotice(base, latest ecsconsole.Deployment) (*web.StaleNotice, error) {
	changes, err := specDiff(base, latest)
	if err != nil {
		return nil, err
	}
	return &web.StaleNotice{Latest: deploymentRow(latest), Sections: explainChanges(changes)}, nil
}
