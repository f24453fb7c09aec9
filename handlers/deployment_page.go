package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

func (s *Server) deploymentPage(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	// One URL, two renderings: htmx's polling of the live part gets just
	// that part; boosted navigation (also an htmx request) gets the page.
	live := r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "deployment-live"
	key := detailKey{id: id, canDeploy: me.Role.AtLeast(store.RoleDeployer), liveOnly: live}
	// The page with a flash message is rendered for this response alone.
	flash := ""
	if !live {
		flash = s.sessions.PopString(r.Context(), flashKey)
	}
	var d web.DeploymentDetail
	load := func(ctx context.Context) (detailView, error) {
		dep, err := s.deployment(ctx, id)
		if err != nil {
			return detailView{}, err
		}
		if d, err = s.deploymentDetail(ctx, dep, key.canDeploy, key.liveOnly); err != nil {
			return detailView{}, err
		}
		c := web.DeploymentDetailContent(d)
		if key.liveOnly {
			c = web.DeploymentLive(d)
		}
		html, err := newFragment(ctx, c)
		return detailView{html: html, finished: dep.Status.Finished()}, err
	}
	var view detailView
	if flash != "" {
		view, err = load(r.Context())
	} else {
		view, err = s.views.detail.Get(r.Context(), key, load)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Vary", "HX-Request, HX-Target")
	if live {
		s.renderFragment(w, r, http.StatusOK, nil, view.html)
		return nil
	}
	p := s.page(r, fmt.Sprintf("Deployment #%d", id), "deployments")
	if flash != "" {
		d.Flash = flash
		s.render(w, r, http.StatusOK, web.DeploymentDetailPage(p, d))
		return nil
	}
	s.renderFragment(w, r, http.StatusOK, &p, view.html)
	return nil
}

// outcome says in words where a deployment stands or how it ended.
func outcome(dep ecsconsole.Deployment, serving bool) string {
	switch dep.Status {
	case ecsconsole.StatusQueued:
		return "Queued: waiting for a worker to start it."
	case ecsconsole.StatusRunning:
		return "Deploying: the steps below are under way."
	case ecsconsole.StatusWaitingForDNS:
		return "Waiting for DNS: the service answers over HTTP; HTTPS follows once the certificate is issued."
	case ecsconsole.StatusSucceeded:
		if serving {
			return "Succeeded: this is what the service runs now."
		}
		return "Succeeded; a later deployment has replaced it."
	case ecsconsole.StatusFailed:
		return "Failed: it stopped at the step below, and nothing after it was changed."
	case ecsconsole.StatusRolledBackByECS:
		return "Rolled back by ECS: the new tasks did not become healthy, so ECS's circuit breaker restored the previous revision."
	case ecsconsole.StatusSuperseded:
		return "Superseded: another deployment took the service over before this one's revision was stable."
	case ecsconsole.StatusInterrupted:
		return "Interrupted: it did not finish in time, or was stopped; the service may be between revisions."
	}
	return web.StatusLabel(string(dep.Status))
}

// deploymentDetail gathers what the deployment page shows of dep, for a
// viewer who may deploy or not; liveOnly leaves out what the polled live
// part does not show of an unfinished deployment.
func (s *Server) deploymentDetail(ctx context.Context, dep ecsconsole.Deployment, canDeploy, liveOnly bool) (web.DeploymentDetail, error) {
	steps, err := s.store.Steps(ctx, dep.ID)
	if err != nil {
		return web.DeploymentDetail{}, err
	}
	d := web.DeploymentDetail{
		Row: deploymentRow(dep), Finished: dep.Status.Finished(),
		ErrorStep: dep.ErrorStep, ErrorCode: awsCode(dep.ErrorCode), ErrorMessage: dep.ErrorMessage,
		CanDeploy: canDeploy, ALBDNS: dep.Outputs.LoadBalancerDNS,
		Rollback: web.RollbackForm(),
	}
	if dep.ErrorStep != "" {
		d.ErrorStepTitle = deploy.StepTitle(dep.ErrorStep)
	}
	if dep.Status == ecsconsole.StatusFailed || dep.Status == ecsconsole.StatusRolledBackByECS || dep.Status == ecsconsole.StatusInterrupted {
		fix := web.WizardStep(dep.ErrorStep)
		if dep.ErrorStep == "service-stable" {
			fix = "taskdef" // tasks that crash or fail their health check are fixed in their containers
		}
		d.FixURL = fmt.Sprintf("/deploy?from=%d&step=%s", dep.ID, fix)
	}
	sort.SliceStable(steps, func(i, j int) bool { return stepIndex(steps[i].Name) < stepIndex(steps[j].Name) })
	for _, st := range steps {
		title := deploy.StepTitle(st.Name)
		if st.Status == ecsconsole.StepRunning {
			title = web.RunningStepTitle(st.Name, title)
		}
		row := web.StepRow{Name: st.Name, Title: title, Status: string(st.Status),
			Action: st.Action, ResourceARN: st.ResourceARN, AWSRequestID: st.AWSRequestID, Progress: st.Progress,
			Retries: st.Retries, Runs: st.Runs}
		switch {
		case awsCode(st.ErrorCode) != "":
			row.Error = "AWS said (" + st.ErrorCode + "): " + st.ErrorMessage
		case st.ErrorMessage != "":
			row.Error = st.ErrorMessage
		}
		if st.StartedAt != nil && st.FinishedAt != nil {
			row.Took = humanDuration(st.FinishedAt.Sub(*st.StartedAt))
		}
		d.Steps = append(d.Steps, row)
	}
	for _, rec := range dep.DNSValidation {
		d.DNS = append(d.DNS, web.DNSRow{Name: rec.Name, Type: rec.Type, Value: rec.Value, Status: rec.Status})
	}
	if host, ok := strings.CutPrefix(dep.Outputs.URL, "https://"); ok {
		d.Domain = host
		d.Domains = append([]string{host}, alternativeNames(dep.Spec, host)...)
	}
	d.Polled = liveOnly
	d.Resources = resourceRows(dep)
	for _, t := range dep.Outputs.Tasks {
		d.Tasks = append(d.Tasks, web.TaskRow{ID: web.ShortARN(t.TaskARN), PrivateIP: t.PrivateIP, PublicIP: t.PublicIP})
	}
	for _, im := range deploy.RanImages(dep.Outputs) {
		d.Images = append(d.Images, web.ImageRow{Container: im.Container, Image: im.Image, Digest: im.Digest})
	}
	if d.RestoredBy, err = s.store.RestoredBy(ctx, dep.ID); err != nil {
		return d, err
	}
	serving, err := s.store.ServingDeployment(ctx, dep.ServiceKey)
	switch {
	case errors.Is(err, ecsconsole.ErrNotFound):
	case err != nil:
		return d, err
	default:
		d.Serving = serving.ID == dep.ID
		d.SameAsNow = !d.Serving && bytes.Equal(serving.Spec, dep.Spec)
	}
	d.Outcome = outcome(dep, d.Serving)
	if d.Serving && dep.Outputs.URL == "" {
		d.Addresses = taskURLs(dep.Spec, dep.Outputs.Tasks)
	}
	d.MayRollback = d.CanDeploy && dep.Status == ecsconsole.StatusSucceeded && !d.Serving && !d.SameAsNow
	changes, err := s.changesSincePrevious(ctx, dep)
	if err != nil {
		return d, err
	}
	d.Previous = changes.Previous
	d.Sections = explainChanges(changes.Changes)
	if !d.Finished && liveOnly {
		return d, nil // polling needs only the live part
	}
	d.SpecJSON = indentJSON(dep.Spec)
	d.TaskDefJSON = indentJSON(dep.TaskDefinition)
	return d, nil
}

// alternativeNames are the extra names of the spec's requested
// certificate (https.alternativeNames), without domain.
func alternativeNames(rawSpec []byte, domain string) []string {
	var spec ecsconsole.Spec
	if json.Unmarshal(rawSpec, &spec) != nil || spec.LoadBalancer == nil || spec.LoadBalancer.HTTPS == nil {
		return nil
	}
	var out []string
	for _, n := range spec.LoadBalancer.HTTPS.AlternativeNames {
		if n != domain && !strings.HasPrefix(n, "*.") { // a wildcard is not a record to add
			out = append(out, n)
		}
	}
	return out
}

// taskURLs is where each task of a service without a load balancer can be
// reached: http://PUBLIC_IP:PORT, the port the service's container listens
// on. Tasks without a public IP have no such address.
func taskURLs(rawSpec []byte, tasks []ecsconsole.TaskAddress) []string {
	port := servicePort(rawSpec)
	if port == 0 {
		return nil
	}
	var out []string
	for _, t := range tasks {
		if t.PublicIP != "" {
			out = append(out, "http://"+t.PublicIP+":"+strconv.Itoa(int(port)))
		}
	}
	return out
}

// servicePort is the container port a service without a load balancer is
// reached on: the first port mapping its new security group opens, else
// the first port mapping; 0 if none.
func servicePort(rawSpec []byte) int32 {
	var spec ecsconsole.Spec
	if json.Unmarshal(rawSpec, &spec) != nil || len(spec.TaskDefinition) == 0 {
		return 0
	}
	var td struct {
		ContainerDefinitions []struct {
			PortMappings []struct {
				ContainerPort int32 `json:"containerPort"`
			} `json:"portMappings"`
		} `json:"containerDefinitions"`
	}
	if json.Unmarshal(spec.TaskDefinition, &td) != nil {
		return 0
	}
	var open []int32
	if spec.Service.NewSecurityGroup != nil {
		open = spec.Service.NewSecurityGroup.IngressPorts
	}
	var first int32
	for _, c := range td.ContainerDefinitions {
		for _, pm := range c.PortMappings {
			if first == 0 {
				first = pm.ContainerPort
			}
			if slices.Contains(open, pm.ContainerPort) {
				return pm.ContainerPort
			}
		}
	}
	return first
}

// stepOrder is each step's place in the engine's graph.
var stepOrder = func() map[string]int {
	m := map[string]int{}
	for i, name := range deploy.StepOrder() {
		m[name] = i
	}
	return m
}()

// stepIndex is a step's place in the graph; unknown steps go last.
func stepIndex(name string) int {
	if i, ok := stepOrder[name]; ok {
		return i
	}
	return len(stepOrder)
}

func indentJSON(raw json.RawMessage) string {
	var pretty bytes.Buffer
	if len(raw) == 0 || json.Indent(&pretty, raw, "", "  ") != nil {
		return ""
	}
	return pretty.String()
}

// changesSincePrevious is what changed against the service's deployment
// before dep: as stored when dep was created, or, for deployments older
// than that, compared now.
func (s *Server) changesSincePrevious(ctx context.Context, dep ecsconsole.Deployment) (deploy.StoredChanges, error) {
	var sc deploy.StoredChanges
	if dep.SpecChanges != nil && json.Unmarshal(dep.SpecChanges, &sc) == nil {
		return sc, nil
	}
	prev, err := s.store.PreviousDeployment(ctx, dep)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return deploy.StoredChanges{}, nil
	}
	if err != nil {
		return sc, err
	}
	changes, err := specDiff(prev, dep)
	return deploy.StoredChanges{Previous: prev.ID, Changes: changes}, err
}

// diffSections compares two stored deployments in words.
func diffSections(a, b ecsconsole.Deployment) ([]web.DiffSection, error) {
	changes, err := specDiff(a, b)
	if err != nil {
		return nil, err
	}
	return explainChanges(changes), nil
}

// explainChanges words changes by section for the pages.
func explainChanges(changes []deploy.Change) []web.DiffSection {
	var out []web.DiffSection
	for _, sec := range wordChanges(changes) {
		ws := web.DiffSection{Title: sec.Title}
		for _, c := range sec.Changes {
			ws.Changes = append(ws.Changes, web.ChangeRow{Path: c.Path, What: c.What, Kind: string(c.Kind), Old: c.Old, New: c.New, Hidden: c.Hidden})
		}
		out = append(out, ws)
	}
	return out
}

// resourceRows lists a deployment's resources in a stable order.
func resourceRows(dep ecsconsole.Deployment) []web.KeyValue {
	var rows []web.KeyValue
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

// deploymentDocument downloads a deployment's spec or its task definition
// as registered.
func (s *Server) deploymentDocument(which string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		dep, err := s.deploymentParam(r, "id")
		if err != nil {
			return err
		}
		doc := dep.Spec
		if which == "task-definition" {
			doc = dep.TaskDefinition
		}
		if len(doc) == 0 {
			return errNotFound(fmt.Sprintf("Deployment %d has no %s yet.", dep.ID, strings.ReplaceAll(which, "-", " ")))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="deployment-%d-%s.json"`, dep.ID, which))
		w.Write([]byte(indentJSON(doc) + "\n"))
		return nil
	}
}

// diffPage compares two deployments: /deployments/{a}/diff/{b}.
func (s *Server) diffPage(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deploymentParam(r, "a")
	if err != nil {
		return err
	}
	b, err := s.deploymentParam(r, "b")
	if err != nil {
		return err
	}
	v := web.DiffView{From: deploymentRow(a), To: deploymentRow(b)}
	if v.Sections, err = diffSections(a, b); err != nil {
		return err
	}
	// The picker shows each deployment's number, outcome, time and author,
	// read from an index alone (ListDeploymentChoices): a third of the
	// page's time went to listing whole rows, spread over 100 table pages.
	others, err := s.store.ListDeploymentChoices(r.Context(), b.ServiceKey, 100)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != b.ID {
			v.Others = append(v.Others, deploymentRow(o))
		}
	}
	s.render(w, r, http.StatusOK, web.DiffPage(s.page(r, fmt.Sprintf("#%d → #%d", a.ID, b.ID), "deployments"), v))
	return nil
}

// diffWith answers the diff page's picker: ?with=N redirects to the diff
// from N to this deployment.
func (s *Server) diffWith(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	with, err := strconv.ParseInt(r.URL.Query().Get("with"), 10, 64)
	if err != nil || with <= 0 {
		return errInvalid("Choose a deployment to compare with.", FieldError{Path: "with", Message: "required"})
	}
	http.Redirect(w, r, fmt.Sprintf("/deployments/%d/diff/%d", with, id), http.StatusSeeOther)
	return nil
}

// awsCode is code when AWS answered with it, "" for the engine's own codes,
// whose message is shown in the console's words, not as "AWS said (…)".
func awsCode(code string) string {
	if deploy.IsEngineCode(code) {
		return ""
	}
	return code
}
