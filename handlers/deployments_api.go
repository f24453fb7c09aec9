package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
)

// maxSpecBody bounds an API request body: the largest spec the parser
// takes (ecsconsole.MaxSpecBytes) and room for the reason and the envelope.
const maxSpecBody = ecsconsole.MaxSpecBytes + 16<<10

// specRequest is the body of POST /api/v1/plan and /api/v1/deployments.
type specRequest struct {
	Spec   json.RawMessage `json:"spec"`
	Reason string          `json:"reason"`
}

// maxReasonLength bounds a deployment's free-text reason.
const maxReasonLength = 500

// reasonProblem says what is wrong with a deployment's free-text reason,
// "" if nothing.
func reasonProblem(reason string) string {
	switch {
	case textProblem(reason) != "":
		return "Use plain text: this has a NUL or a byte that is not UTF-8."
	case utf8.RuneCountInString(reason) > maxReasonLength:
		return fmt.Sprintf("Use at most %d characters.", maxReasonLength)
	}
	return ""
}

// readSpecRequest decodes and validates the request's spec, reporting every
// problem with its JSON path.
func (s *Server) readSpecRequest(r *http.Request) (*ecsconsole.Spec, string, error) {
	var req specRequest
	if err := readJSON(r, &req, maxSpecBody, false, `a JSON object {"spec": {...}, "reason": "..."}`); err != nil {
		return nil, "", err
	}
	if len(req.Spec) == 0 || string(req.Spec) == "null" {
		return nil, "", errInvalid("The body has no spec.", FieldError{Path: "spec", Message: "required"})
	}
	if problem := reasonProblem(req.Reason); problem != "" {
		return nil, "", errInvalid("The reason cannot be stored.", FieldError{Path: "reason", Message: problem})
	}
	spec, err := deploy.ParseWithDefaultRegion(req.Spec, s.opts.Region)
	if err != nil {
		return nil, "", err
	}
	return spec, strings.TrimSpace(req.Reason), nil
}

func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) error {
	spec, _, err := s.readSpecRequest(r)
	if err != nil {
		return err
	}
	plan, err := s.engine.Plan(r.Context(), spec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, plan)
	return nil
}

func (s *Server) apiCreateDeployment(w http.ResponseWriter, r *http.Request) error {
	spec, reason, err := s.readSpecRequest(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	d, err := s.engine.Submit(r.Context(), spec, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: reason})
	if err != nil {
		return err
	}
	s.auditAs(r, "deployment.create", d.ServiceKey, map[string]any{"deployment_id": d.ID})
	w.Header().Set("Location", "/api/v1/deployments/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "status": d.Status})
	return nil
}

func (s *Server) apiRollback(w http.ResponseWriter, r *http.Request) error {
	id, err := deploymentID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
		Force  bool   `json:"force"` // roll back even to what runs now
	}
	if err := readJSON(r, &req, 64<<10, true, `empty or {"reason": "...", "force": false}`); err != nil {
		return err
	}
	if len([]rune(req.Reason)) > maxReasonLength {
		return errInvalid("The reason is too long.", FieldError{Path: "reason", Message: fmt.Sprintf("use at most %d characters", maxReasonLength)})
	}
	if problem := reasonProblem(req.Reason); problem != "" {
		return errInvalid("The reason cannot be stored.", FieldError{Path: "reason", Message: problem})
	}
	me, _ := userFrom(r.Context())
	d, err := s.engine.Rollback(r.Context(), id, deploy.SubmitOptions{UserID: me.ID, Username: me.Username,
		Reason: strings.TrimSpace(req.Reason), Force: req.Force})
	if err != nil {
		return rollbackError(err)
	}
	s.auditAs(r, "deployment.rollback", d.ServiceKey, map[string]any{"deployment_id": d.ID, "rollback_of": id})
	w.Header().Set("Location", "/api/v1/deployments/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "status": d.Status, "rollbackOf": id})
	return nil
}

func (s *Server) apiDeployment(w http.ResponseWriter, r *http.Request) error {
	d, err := s.deploymentParam(r, "id")
	if err != nil {
		return err
	}
	steps, err := s.store.Steps(r.Context(), d.ID)
	if err != nil {
		return err
	}
	out := deploymentJSON(d)
	out.Steps = make([]stepJSON, len(steps))
	for i, st := range steps {
		out.Steps[i] = stepJSON{
			Name: st.Name, Status: string(st.Status), Action: st.Action, ResourceARN: st.ResourceARN,
			AWSRequestID: st.AWSRequestID, ErrorCode: st.ErrorCode, ErrorMessage: st.ErrorMessage, Progress: st.Progress,
			Runs: st.Runs, Calls: st.Calls, Retries: st.Retries, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiListDeployments(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, limit, err := deploymentFilter(q, s.opts.Region)
	if err != nil {
		return err
	}
	key := historyKey{filter: f, cursor: q.Get("cursor"), limit: limit}
	encoded, err := s.views.apiList.Get(r.Context(), key, func(ctx context.Context) (*fragment, error) {
		list, next, err := s.store.ListDeployments(ctx, key.filter, key.cursor, key.limit)
		if err != nil {
			return nil, err
		}
		body := struct {
			Deployments []deploymentBody `json:"deployments"`
			NextCursor  *string          `json:"nextCursor"`
		}{Deployments: make([]deploymentBody, len(list))}
		for i, d := range list {
			body.Deployments[i] = deploymentJSON(d) // without its spec: GET /deployments/{id} has it
		}
		if next != "" {
			body.NextCursor = &next
		}
		b, err := encodeJSON(body)
		return fragmentOf(b), err
	})
	if errors.Is(err, store.ErrBadCursor) {
		return errInvalid("The cursor is not one this API gave out.", FieldError{Path: "cursor", Message: "invalid"})
	}
	if err != nil {
		return err
	}
	writeSpliced(w, r, http.StatusOK, "application/json", bareLayout, encoded)
	return nil
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request) error {
	a, err := s.deploymentParam(r, "a")
	if err != nil {
		return err
	}
	b, err := s.deploymentParam(r, "b")
	if err != nil {
		return err
	}
	changes, err := specDiff(a, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": a.ID, "to": b.ID, "changes": changes})
	return nil
}

// apiSubnets lists a region's subnets (?region=, default the console's),
// so people writing specs can find their subnet ids.
func (s *Server) apiSubnets(w http.ResponseWriter, r *http.Request) error {
	region := r.URL.Query().Get("region")
	if region == "" {
		region = s.opts.Region
	}
	if !deploy.IsRegion(region) {
		return errInvalid("Unknown region "+strconv.Quote(region)+".", FieldError{Path: "region", Message: "use e.g. us-east-1"})
	}
	subnets, err := s.engine.Subnets(r.Context(), region)
	if err != nil {
		return err
	}
	if subnets == nil {
		subnets = []deploy.Subnet{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"region": region, "subnets": subnets})
	return nil
}

// specDiff compares two stored deployments' specs. Stored specs are read
// leniently, not re-validated: a spec accepted long ago must stay
// comparable even if today's rules would refuse it.
func specDiff(a, b ecsconsole.Deployment) ([]deploy.Change, error) {
	var sa, sb ecsconsole.Spec
	if err := json.Unmarshal(a.Spec, &sa); err != nil {
		return nil, fmt.Errorf("stored spec of deployment %d: %w", a.ID, err)
	}
	if err := json.Unmarshal(b.Spec, &sb); err != nil {
		return nil, fmt.Errorf("stored spec of deployment %d: %w", b.ID, err)
	}
	changes := deploy.Diff(&sa, &sb)
	if changes == nil {
		changes = []deploy.Change{}
	}
	return changes, nil
}

// deploymentFilter reads ?service= (a name, cluster/name or
// region/cluster/name), ?status=, ?kind=, ?user=, ?since= and ?until=
// (dates, YYYY-MM-DD, until inclusive; or RFC 3339 times) and ?limit=.
func deploymentFilter(q map[string][]string, region string) (store.DeploymentFilter, int, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var f store.DeploymentFilter
	for _, k := range historyFields {
		v := get(k)
		if p := textProblem(v); p != "" {
			return f, 0, errBadText(k, p)
		}
		if len(v) > 300 {
			return f, 0, errInvalid("The "+k+" filter is too long.", FieldError{Path: k, Message: "Use at most 300 characters."})
		}
	}
	if svc := get("service"); svc != "" {
		switch strings.Count(svc, "/") {
		case 0:
			f.Service = svc
		case 1:
			f.ServiceKey = region + "/" + svc
		case 2:
			f.ServiceKey = svc
		default:
			return f, 0, errInvalid("Service must be a name (php-app), cluster/name (demo/php-app) or region/cluster/name (us-east-1/demo/php-app).", FieldError{Path: "service", Message: "Use a name, cluster/name or region/cluster/name."})
		}
	}
	if st := get("status"); st != "" {
		f.Status = ecsconsole.DeploymentStatus(st)
		if !slices.Contains(deploymentStatuses, f.Status) {
			return f, 0, errInvalid("Unknown status "+strconv.Quote(st)+".", FieldError{Path: "status", Message: "Use queued, running, waiting_for_dns, succeeded, failed, rolled_back_by_ecs, superseded or interrupted."})
		}
	}
	switch k := get("kind"); k {
	case "", ecsconsole.KindDeploy, ecsconsole.KindRollback:
		f.Kind = k
	default:
		return f, 0, errInvalid("Unknown kind "+strconv.Quote(k)+".", FieldError{Path: "kind", Message: "Use deploy or rollback."})
	}
	f.CreatedBy = get("user")
	var err error
	if f.Since, err = filterTime(get("since"), false); err != nil {
		return f, 0, errInvalid("The start date must be a date like 2026-11-30.", FieldError{Path: "since", Message: "Use a date like 2026-11-30."})
	}
	if f.Until, err = filterTime(get("until"), true); err != nil {
		return f, 0, errInvalid("The end date must be a date like 2026-11-30.", FieldError{Path: "until", Message: "Use a date like 2026-11-30."})
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, 0, errInvalid("The start date is after the end date.", FieldError{Path: "since", Message: "Pick a start date before the end date."})
	}
	limit := 50
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxDeploymentPage {
			return f, 0, errInvalid(fmt.Sprintf("limit must be 1–%d.", store.MaxDeploymentPage), FieldError{Path: "limit", Message: "invalid"})
		}
		limit = n
	}
	return f, limit, nil
}

// filterTime reads a date (UTC; an end date includes its whole day) or an
// RFC 3339 time.
func filterTime(v string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

// deploymentStatuses are the values ?status= accepts.
var deploymentStatuses = []ecsconsole.DeploymentStatus{
	ecsconsole.StatusQueued, ecsconsole.StatusRunning, ecsconsole.StatusWaitingForDNS, ecsconsole.StatusSucceeded,
	ecsconsole.StatusFailed, ecsconsole.StatusRolledBackByECS, ecsconsole.StatusSuperseded, ecsconsole.StatusInterrupted,
}

func deploymentID(r *http.Request, param string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, param), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound("There is no such deployment.")
	}
	return id, nil
}

// deploymentParam loads the deployment named by a URL parameter.
func (s *Server) deploymentParam(r *http.Request, param string) (ecsconsole.Deployment, error) {
	id, err := deploymentID(r, param)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	return s.deployment(r.Context(), id)
}

// deployment reads deployment id whole, or answers 404.
func (s *Server) deployment(ctx context.Context, id int64) (ecsconsole.Deployment, error) {
	d, err := s.store.Deployment(ctx, id)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return ecsconsole.Deployment{}, errNotFound(fmt.Sprintf("There is no deployment %d.", id))
	}
	return d, err
}

// deploymentBody is the API's view of a deployment.
type deploymentBody struct {
	ID                int64                  `json:"id"`
	ServiceKey        string                 `json:"service"`
	Status            string                 `json:"status"`
	Kind              string                 `json:"kind"`
	RollbackOf        *int64                 `json:"rollbackOf"`
	CreatedBy         string                 `json:"createdBy"`
	Reason            string                 `json:"reason"`
	Spec              json.RawMessage        `json:"spec,omitempty"`
	TaskDefinitionARN string                 `json:"taskDefinitionArn"`
	Error             *deploymentError       `json:"error,omitempty"`
	Steps             []stepJSON             `json:"steps,omitempty"`
	Outputs           ecsconsole.Outputs     `json:"outputs"`
	DNSValidation     []ecsconsole.DNSRecord `json:"dnsValidation"`
	CreatedAt         time.Time              `json:"createdAt"`
	StartedAt         *time.Time             `json:"startedAt"`
	FinishedAt        *time.Time             `json:"finishedAt"`
}

type deploymentError struct {
	Step    string `json:"step"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type stepJSON struct {
	Name         string `json:"name"`
	Status       string `json:"status"`
	Action       string `json:"action,omitempty"`
	ResourceARN  string `json:"resourceArn,omitempty"`
	AWSRequestID string `json:"awsRequestId,omitempty"`
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Progress is a wait's latest observation ("1 of 2 targets healthy"),
	// or what a read after the service was stable could not read.
	Progress   string     `json:"progress,omitempty"`
	Runs       int        `json:"runs"`
	Calls      int        `json:"calls"`
	Retries    int        `json:"retries"`
	StartedAt  *time.Time `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
}

func deploymentJSON(d ecsconsole.Deployment) deploymentBody {
	b := deploymentBody{
		ID: d.ID, ServiceKey: d.ServiceKey, Status: string(d.Status), Kind: d.Kind, CreatedBy: d.CreatedBy,
		Reason: d.Reason, Spec: d.Spec, TaskDefinitionARN: d.TaskDefinitionARN, Outputs: d.Outputs,
		DNSValidation: d.DNSValidation, CreatedAt: d.CreatedAt, StartedAt: d.StartedAt, FinishedAt: d.FinishedAt,
	}
	if d.RollbackOf != 0 {
		b.RollbackOf = &d.RollbackOf
	}
	if d.ErrorCode != "" || d.ErrorMessage != "" {
		b.Error = &deploymentError{Step: d.ErrorStep, Code: d.ErrorCode, Message: d.ErrorMessage}
	}
	if b.DNSValidation == nil {
		b.DNSValidation = []ecsconsole.DNSRecord{}
	}
	return b
}
