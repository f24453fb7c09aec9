package handlers

// The deploy wizard: a draft walked through six steps, each its own URL
// (GET shows it, POST checks that step only, saves and moves on), ending in
// a review that hands the spec to the engine's plan and submit.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/draft"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// maxWizardForm bounds a wizard POST body; a task definition is at most
// 64 KiB, and the JSON view may hold describe's longer form.
const maxWizardForm = 512 << 10

func draftURL(id int64, step string) string {
	return "/deploy/drafts/" + strconv.FormatInt(id, 10) + "/" + step
}

// wizardStart is GET /deploy: start a draft (blank, the example, from a
// family or an earlier deployment) or resume one. With ?from=<deployment>
// it makes a draft of that deployment's spec and goes to ?step= (default
// the task definition).
func (s *Server) wizardStart(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	if from := r.URL.Query().Get("from"); from != "" {
		id, err := strconv.ParseInt(from, 10, 64)
		if err != nil || id <= 0 {
			return errInvalid("?from= must be a deployment number.")
		}
		step := r.URL.Query().Get("step")
		if step == "" {
			step = "taskdef"
		}
		if !slices.Contains(wizardSteps, step) {
			return errInvalid("?step= must be one of " + strings.Join(wizardSteps, ", ") + ".")
		}
		d, err := s.draftFromDeployment(r, me, id)
		if err != nil {
			return err
		}
		http.Redirect(w, r, draftURL(d.ID, step), http.StatusSeeOther)
		return nil
	}
	return s.renderStart(w, r, http.StatusOK, "")
}

func (s *Server) renderStart(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	me, _ := userFrom(r.Context())
	ctx := r.Context()
	v := web.WizardStart{Error: msg, Region: s.opts.Region}
	drafts, err := s.store.ListDrafts(ctx, me.ID)
	if err != nil {
		return err
	}
	for _, d := range drafts {
		v.Drafts = append(v.Drafts, draftRow(d))
	}
	if fams, err := s.lookups.families(ctx, me.ID, s.opts.Region); err != nil {
		v.FamiliesErr = s.lookupFailed(r, "task definition families", err)
	} else {
		v.Families = fams
	}
	recent, _, err := s.store.ListDeployments(ctx, store.DeploymentFilter{}, "", 20)
	if err != nil {
		return err
	}
	for _, d := range recent {
		v.Deployments = append(v.Deployments, web.KeyValue{Key: strconv.FormatInt(d.ID, 10), Value: fmt.Sprintf("#%d %s (%s)", d.ID, d.ServiceKey, web.StatusLabel(string(d.Status)))})
	}
	s.render(w, r, status, web.WizardStartPage(s.page(r, "Deploy", "deploy"), v))
	return nil
}

func draftRow(d store.Draft) web.DraftRow {
	return web.DraftRow{ID: d.ID, Title: d.Title, Step: wizardStepTitles[d.Step], Href: draftURL(d.ID, d.Step), UpdatedAt: d.UpdatedAt}
}

// lookupFailed logs a failed AWS list and says so in words for the field.
func (s *Server) lookupFailed(r *http.Request, what string, err error) string {
	s.logger.Warn("wizard lookup failed", "request_id", requestID(r.Context()), "list", what, "error", err.Error())
	msg := "Could not list " + what + " from AWS"
	if m := awsRefusal(err); m != "" {
		msg += " (" + m + ")"
	}
	return msg + "; type the value instead."
}

// awsRefusal is AWS's refusal or silence in the error table's words, or ""
// when err is neither.
func awsRefusal(err error) string {
	for _, row := range errorTable {
		if e := row(err); e != nil && isAWSTrouble(e) {
			return e.Message
		}
	}
	return ""
}

// wizardCreate is POST /deploy/drafts: a new draft.
func (s *Server) wizardCreate(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	if err := s.parseWizardForm(w, r); err != nil {
		return err
	}
	if field := badBytesField(r); field != "" {
		return s.renderStart(w, r, http.StatusUnprocessableEntity, "The field "+field+" holds bytes that are not text (NUL or invalid UTF-8).")
	}
	var st *wizardState
	switch r.PostFormValue("start") {
	case "blank":
		st = draft.New(s.opts.Region)
	case "example":
		st = draft.Example(s.opts.Region, s.executionRole(r))
	case "family":
		family := strings.TrimSpace(r.PostFormValue("family"))
		if family == "" {
			return s.renderStart(w, r, http.StatusUnprocessableEntity, "Choose a task definition family to start from.")
		}
		td, err := s.catalog.LatestTaskDefinition(r.Context(), s.opts.Region, family)
		if err != nil {
			return s.renderStart(w, r, http.StatusBadGateway, s.lookupFailed(r, "the latest revision of "+family, err))
		}
		doc, err := deploy.TaskDefinitionDocument(td)
		if err != nil {
			return err
		}
		st = draft.New(s.opts.Region)
		st.LoadTaskDefinition(doc)
	case "deployment":
		id, err := strconv.ParseInt(r.PostFormValue("deployment"), 10, 64)
		if err != nil {
			return s.renderStart(w, r, http.StatusUnprocessableEntity, "Choose a deployment to start from.")
		}
		d, err := s.draftFromDeployment(r, me, id)
		if err != nil {
			return err
		}
		http.Redirect(w, r, draftURL(d.ID, "taskdef"), http.StatusSeeOther)
		return nil
	default:
		return s.renderStart(w, r, http.StatusUnprocessableEntity, "Choose how to start.")
	}
	d, err := s.store.CreateDraft(r.Context(), me.ID, st.Title(), "taskdef", st.Encode())
	if err != nil {
		return err
	}
	http.Redirect(w, r, draftURL(d.ID, "taskdef"), http.StatusSeeOther)
	return nil
}

// executionRole is the ecsTaskExecutionRole's ARN when the account has it.
func (s *Server) executionRole(r *http.Request) string {
	me, _ := userFrom(r.Context())
	roles, err := s.lookups.roles(r.Context(), me.ID, s.opts.Region)
	if err != nil {
		return ""
	}
	for _, role := range roles {
		if role.Name == "ecsTaskExecutionRole" {
			return role.ARN
		}
	}
	return ""
}

// draftFromDeployment makes a draft holding deployment id's spec.
func (s *Server) draftFromDeployment(r *http.Request, me store.User, id int64) (store.Draft, error) {
	dep, err := s.store.Deployment(r.Context(), id)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return store.Draft{}, errNotFound(fmt.Sprintf("There is no deployment #%d.", id))
	}
	if err != nil {
		return store.Draft{}, err
	}
	var spec ecsconsole.Spec
	if err := json.Unmarshal(dep.Spec, &spec); err != nil {
		return store.Draft{}, fmt.Errorf("stored spec of deployment %d: %w", id, err)
	}
	st := draft.FromSpec(&spec, s.opts.Region)
	st.FromDeployment = id
	return s.store.CreateDraft(r.Context(), me.ID, st.Title(), "taskdef", st.Encode())
}

// loadDraft reads the signed-in user's draft {draft} and its state.
func (s *Server) loadDraft(r *http.Request) (store.Draft, *wizardState, error) {
	me, _ := userFrom(r.Context())
	id, err := strconv.ParseInt(chi.URLParam(r, "draft"), 10, 64)
	if err != nil {
		return store.Draft{}, nil, errNotFound("There is no such draft.")
	}
	d, err := s.store.Draft(r.Context(), me.ID, id)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return store.Draft{}, nil, errNotFound("There is no such draft: it was discarded, or it is someone else's.")
	}
	if err != nil {
		return store.Draft{}, nil, err
	}
	st, err := draft.Decode(d.State)
	if err != nil {
		return store.Draft{}, nil, fmt.Errorf("reading draft %d: %w", d.ID, err)
	}
	return d, st, nil
}

func stepParam(r *http.Request) (string, error) {
	step := chi.URLParam(r, "step")
	if !slices.Contains(wizardSteps, step) {
		return "", errNotFound("The wizard has no step " + strconv.Quote(step) + ".")
	}
	return step, nil
}

// wizardStep is GET /deploy/drafts/{draft}/{step}; the step shown is
// where the draft resumes.
func (s *Server) wizardStep(w http.ResponseWriter, r *http.Request) error {
	step, err := stepParam(r)
	if err != nil {
		return err
	}
	d, st, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	if r.URL.Query().Get("refresh") != "" {
		s.lookups.forget(me.ID)
		http.Redirect(w, r, draftURL(d.ID, step), http.StatusSeeOther)
		return nil
	}
	if d.Step != step && !d.Deployed() {
		if err := s.store.SetDraftStep(r.Context(), me.ID, d.ID, step); err != nil {
			return err
		}
	}
	return s.renderStep(w, r, http.StatusOK, d, st, step, nil, "")
}

// wizardSave is POST /deploy/drafts/{draft}/{step}: read the step's form,
// save the draft (even when refused, so a reload shows what was typed),
// then go on (Next, or a step's pill), stay for an in-step action (add a
// container, apply the JSON view, choose a VPC), or re-render with the
// step's problems (422). A form rendered before the draft's last save
// (Back, a second tab) is refused (409) with the saved values shown.
func (s *Server) wizardSave(w http.ResponseWriter, r *http.Request) error {
	step, err := stepParam(r)
	if err != nil {
		return err
	}
	d, st, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if err := s.parseWizardForm(w, r); err != nil {
		return err
	}
	if d.Deployed() {
		return s.renderStep(w, r, http.StatusConflict, d, st, step, nil, "")
	}
	if field := badBytesField(r); field != "" {
		ps := []ecsconsole.Problem{{Path: "form." + field, Message: "holds bytes that are not text (NUL or invalid UTF-8); retype it"}}
		return s.renderStep(w, r, http.StatusUnprocessableEntity, d, st, step, ps, field)
	}
	op := r.PostFormValue("op")
	if op == "preview" && step == "taskdef" {
		return s.wizardPreview(w, r, st)
	}
	if stale, err := s.staleForm(w, r, d, st, step); stale || err != nil {
		return err
	}
	if step == "review" {
		return s.wizardDeploy(w, r, d, st)
	}
	var ps []ecsconsole.Problem
	switch step {
	case "taskdef":
		ps = readTaskDefForm(r, st, op)
	case "cluster":
		readClusterForm(r, st)
	case "service":
		readServiceForm(r, st)
	case "loadbalancer":
		readLoadBalancerForm(r, st)
	case "https":
		readHTTPSForm(r, st)
	}
	st.MarkSaved(step)
	dest := step // an in-step action, or a refusal: stay
	goTo, _ := strings.CutPrefix(op, "goto:")
	switch {
	case op == "next":
		dest = nextStep(step)
	case slices.Contains(wizardSteps, goTo):
		dest = goTo
	}
	if len(ps) == 0 && dest != step && slices.Index(wizardSteps, dest) > slices.Index(wizardSteps, step) {
		// Going on (Next, or a later step's pill): only with this step whole.
		if _, list := stepProblems(step, nil, s.checkState(r, st)); len(list) > 0 {
			ps = s.checkState(r, st)
		}
	}
	if len(ps) == 0 && op == "json" {
		ps = s.checkState(r, st) // the applied JSON's problems, at once
	}
	if _, list := stepProblems(step, nil, ps); len(list) > 0 {
		dest = step
	}
	me, _ := userFrom(r.Context())
	version, err := s.store.SaveDraftAt(r.Context(), me.ID, d.ID, d.Version, st.Title(), dest, st.Encode())
	if err != nil {
		if errors.Is(err, store.ErrDraftDeployed) || errors.Is(err, store.ErrDraftStale) {
			return s.loadStale(w, r, step) // saved meanwhile: what is saved now, and why
		}
		return err
	}
	d.Version = version
	if _, list := stepProblems(step, nil, ps); len(list) > 0 {
		return s.renderStep(w, r, http.StatusUnprocessableEntity, d, st, step, ps, "")
	}
	http.Redirect(w, r, draftURL(d.ID, dest), http.StatusSeeOther)
	return nil
}

// wizardPreview answers the task definition step's JSON view (wizard.js)
// with the task definition the form makes as it stands, unsaved.
func (s *Server) wizardPreview(w http.ResponseWriter, r *http.Request, st *wizardState) error {
	readTaskDefForm(r, st, "")
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write([]byte(st.TaskDefinitionJSON()))
	return err
}

// parseWizardForm reads a bounded form body.
func (s *Server) parseWizardForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxWizardForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return kindTooLarge.err(fmt.Sprintf("The form is over %d KiB; shorten it.", maxWizardForm>>10))
		}
		return errInvalid("The form could not be read.")
	}
	return nil
}

// badBytesField names the first posted field (in name order) whose name or
// value is not text: invalid UTF-8 or a NUL, which Postgres cannot store.
func badBytesField(r *http.Request) string {
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		bad := !utf8.ValidString(k) || strings.ContainsRune(k, 0)
		for _, v := range r.PostForm[k] {
			bad = bad || !utf8.ValidString(v) || strings.ContainsRune(v, 0)
		}
		if bad {
			return strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "?")
		}
	}
	return ""
}

// checkState validates the whole spec the state makes, with the engine's
// rules (deploy.Parse) and the wizard's own.
func (s *Server) checkState(r *http.Request, st *wizardState) []ecsconsole.Problem {
	ps, _ := s.specOf(r, st)
	return ps
}

// specOf builds and validates the state's spec (draft.State.Spec, the
// one mapping) with the wizard's own checks: its problems, or the spec.
func (s *Server) specOf(r *http.Request, st *wizardState) ([]ecsconsole.Problem, *ecsconsole.Spec) {
	spec, ps := st.Spec(s.opts.Region, s.wizardChecks(r, st))
	return ps, spec
}

// wizardChecks are rules the engine cannot know: they need the form's
// intent (names derived from the service's) or the live lists.
func (s *Server) wizardChecks(r *http.Request, st *wizardState) draft.Problems {
	var ps draft.Problems
	me, _ := userFrom(r.Context())
	if st.LBEnabled && (strings.TrimSpace(st.LBName) == "" || strings.TrimSpace(st.TGName) == "") {
		if n := len(st.ServiceName()); n > 32 {
			ps.Add("service.name", "is %d characters; the load balancer and target group are named after the service and AWS allows at most 32: shorten it, or give them names of their own below", n)
		}
	}
	if st.LBEnabled && len(st.LBSubnets) >= 2 {
		if subnets, err := s.lookups.subnets(r.Context(), me.ID, st.Region); err == nil {
			zones := map[string]bool{}
			for _, id := range st.LBSubnets {
				for _, sn := range subnets {
					if sn.ID == id {
						zones[sn.AvailabilityZone] = true
					}
				}
			}
			if len(zones) == 1 {
				ps.Add("loadBalancer.subnets", "are all in one Availability Zone; an Application Load Balancer needs subnets in at least two")
			}
		}
	}
	if !st.HTTPSEnabled && (strings.TrimSpace(st.Domain) != "" || strings.TrimSpace(st.AltNames) != "") {
		ps.Add("loadBalancer.https.requestDomain", "The domain is typed but Serve HTTPS is not ticked, so it would be ignored: tick Serve HTTPS, or clear the domain")
	}
	if st.HTTPSEnabled && !st.LBEnabled {
		ps.Add("loadBalancer.https", "needs the load balancer: turn it on in the Load balancer step, or turn HTTPS off")
	}
	if st.HTTPSEnabled && st.LBEnabled && st.HTTPSMode == "existing" && strings.TrimSpace(st.CertARN) != "" {
		if certs, err := s.lookups.certificates(r.Context(), me.ID, st.Region); err == nil {
			i := slices.IndexFunc(certs, func(c catalog.Certificate) bool { return c.ARN == strings.TrimSpace(st.CertARN) })
			switch {
			case i < 0:
			case certs[i].Status != "ISSUED":
				ps.Add("loadBalancer.https.certificateArn", "is %s, not ISSUED; a listener needs an issued certificate", certs[i].Status)
			case strings.TrimSpace(st.Domain) != "" && !certs[i].Covers(strings.TrimSpace(st.Domain)):
				ps.Add("loadBalancer.https.certificateArn", "is for %s, which does not cover %s", strings.Join(certs[i].Names, ", "), strings.TrimSpace(st.Domain))
			}
		}
	}
	return ps
}

func readTaskDefForm(r *http.Request, st *wizardState, op string) []ecsconsole.Problem {
	f := r.PostForm
	if op == "json" {
		return applyTaskDefJSON(r, st)
	}
	readTaskDefFields(f, st, op)
	return nil
}

// applyTaskDefJSON is "Apply JSON to the form". The page carries the task
// definition its form made when shown (tdjsonBase): when the JSON view
// still holds it, the form's own edits are what is kept; when only the
// JSON was edited, it replaces the form; when both were, nothing typed is dropped: the form's edits are
// saved, the JSON view keeps its text, and the problem says which edits a
// second Apply would replace.
func applyTaskDefJSON(r *http.Request, st *wizardState) []ecsconsole.Problem {
	f := r.PostForm
	text := f.Get("tdjson")
	readTaskDefFields(f, st, "")
	typed := st.TaskDefinitionJSON()
	base, hasBase := f["tdjsonBase"]
	jsonEdited := !hasBase || strings.TrimSpace(text) != strings.TrimSpace(base[0])
	if !jsonEdited {
		return nil // the JSON view shows what the form had: the form's edits win
	}
	if path, problem := jsonTextProblem([]byte(text)); problem != "" {
		st.TDJSON = text
		return []ecsconsole.Problem{{Path: "taskDefinition", Message: "taskDefinition." + path + " " + problem + "; remove it"}}
	}
	doc, err := deploy.TaskDefinitionDocument([]byte(text))
	var ve *ecsconsole.ValidationError
	if errors.As(err, &ve) {
		st.TDJSON = text
		var ps []ecsconsole.Problem
		for _, p := range ve.Problems {
			ps = append(ps, ecsconsole.Problem{Path: "taskDefinition", Message: strings.TrimPrefix(p.String(), ": ")})
		}
		return ps
	}
	if err != nil {
		st.TDJSON = text
		return []ecsconsole.Problem{{Path: "taskDefinition", Message: "could not be read"}}
	}
	if hasBase && strings.TrimSpace(typed) != strings.TrimSpace(base[0]) && strings.TrimSpace(typed) != strings.TrimSpace(text) {
		st.TDJSON = text
		return []ecsconsole.Problem{{Path: "taskDefinition", Message: "The form and the JSON view were both edited, so the JSON was not applied: your form edits are saved and the JSON view keeps your text. Press Apply JSON again to replace the form with the JSON (the form's edits would be lost), or discard the JSON edit by closing the view and pressing Next."}}
	}
	st.TDJSON = ""
	st.LoadTaskDefinition(doc)
	return nil
}

func readClusterForm(r *http.Request, st *wizardState) {
	st.ClusterChoice = firstNonEmpty(r.PostForm.Get("cluster"), "new")
	st.NewCluster = r.PostForm.Get("newCluster")
}

func readServiceForm(r *http.Request, st *wizardState) {
	f := r.PostForm
	st.Service, st.DesiredCount = f.Get("service.name"), f.Get("service.desiredCount")
	vpc := f.Get("vpc")
	if vpc != st.VPC {
		st.Subnets, st.SGIDs = nil, nil // another VPC: its own subnets and groups
	}
	st.VPC = vpc
	if f.Get("op") != "vpc" {
		st.Subnets = append(slices.Clone(f["subnets"]), draft.SplitList(f.Get("subnetsTyped"))...)
		st.SGIDs = append(slices.Clone(f["sgIds"]), draft.SplitList(f.Get("sgIdsTyped"))...)
	}
	st.SGMode = firstNonEmpty(f.Get("sgMode"), "new")
	st.SGName, st.SGPorts = f.Get("sgName"), f.Get("sgPorts")
	st.PublicIP, st.CircuitBreaker, st.Rollback = f.Get("publicIp") != "", f.Get("circuitBreaker") != "", f.Get("rollback") != ""
	st.MinHealthy, st.MaxPercent = f.Get("minHealthy"), f.Get("maxPercent")
	st.LBName, st.TGName = f.Get("lbName"), f.Get("tgName")
}

func readLoadBalancerForm(r *http.Request, st *wizardState) {
	f := r.PostForm
	st.LBEnabled = f.Get("lbEnabled") != ""
	st.LBSubnets = append(slices.Clone(f["lbSubnets"]), draft.SplitList(f.Get("lbSubnetsTyped"))...)
	st.Target, st.HealthPath = f.Get("target"), f.Get("healthPath")
}

func readHTTPSForm(r *http.Request, st *wizardState) {
	f := r.PostForm
	st.HTTPSEnabled = f.Get("httpsEnabled") != ""
	st.HTTPSMode = firstNonEmpty(f.Get("httpsMode"), "request")
	st.Domain, st.CertARN, st.AltNames = f.Get("domain"), f.Get("certArn"), f.Get("altNames")
	st.Redirect = f.Get("redirect") != ""
}

// wizardDiscard is POST /deploy/drafts/{draft}/discard.
func (s *Server) wizardDiscard(w http.ResponseWriter, r *http.Request) error {
	me, _ := userFrom(r.Context())
	if err := s.parseWizardForm(w, r); err != nil {
		return err
	}
	d, _, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteDraft(r.Context(), me.ID, d.ID); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), flashKey, "Draft "+d.Title+" discarded.")
	next := "/deploy"
	if r.PostFormValue("from") == "home" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// wizardSpecJSON is GET /deploy/drafts/{draft}/spec.json: the spec as it
// stands, to download and use with the CLI or API.
func (s *Server) wizardSpecJSON(w http.ResponseWriter, r *http.Request) error {
	d, st, err := s.loadDraft(r)
	if err != nil {
		return err
	}
	doc, _ := st.SpecDoc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="spec-%d.json"`, d.ID))
	w.Write([]byte(prettyJSON(marshalDoc(doc)) + "\n"))
	return nil
}

// wizardDeploy submits the draft's spec (POST on the review step): deployers
// only; the draft is marked deployed in the deployment's own transaction.
func (s *Server) wizardDeploy(w http.ResponseWriter, r *http.Request, d store.Draft, st *wizardState) error {
	me, _ := userFrom(r.Context())
	if !me.Role.AtLeast(store.RoleDeployer) {
		return errForbidden("Viewers can prepare a deployment but not start it; ask a deployer to deploy this draft.")
	}
	st.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	if p := reasonProblem(st.Reason); p != "" {
		ps := []ecsconsole.Problem{{Path: "reason", Message: p}}
		return s.renderStep(w, r, http.StatusUnprocessableEntity, d, st, "review", ps, "")
	}
	version, err := s.store.SaveDraftAt(r.Context(), me.ID, d.ID, d.Version, st.Title(), "review", st.Encode())
	if err != nil {
		if errors.Is(err, store.ErrDraftDeployed) || errors.Is(err, store.ErrDraftStale) {
			return s.loadStale(w, r, "review")
		}
		return err
	}
	// A refusal below renders the form again: it must carry the version
	// just saved, or deploying again from it would be refused as stale.
	d.Version = version
	ps, spec := s.specOf(r, st)
	if spec == nil {
		return s.renderStep(w, r, http.StatusUnprocessableEntity, d, st, "review", ps, "")
	}
	dep, err := s.engine.Submit(r.Context(), spec, deploy.SubmitOptions{UserID: me.ID, Username: me.Username, Reason: st.Reason,
		InTx: store.MarkDraftDeployed(me.ID, d.ID)})
	var ae *ecsconsole.ActiveDeploymentError
	var ve *ecsconsole.ValidationError
	switch {
	case errors.As(err, &ae):
		msg := fmt.Sprintf("Deployment #%d of %s is %s; deploy again once it finishes.", ae.Active.ID, ae.Active.ServiceKey, web.StatusLabel(string(ae.Active.Status)))
		return s.renderStepMessage(w, r, http.StatusConflict, d, st, msg, ae.Active.ID)
	case errors.Is(err, store.ErrDraftDeployed):
		fresh, ferr := s.store.Draft(r.Context(), me.ID, d.ID)
		if ferr != nil {
			return ferr
		}
		return s.renderStep(w, r, http.StatusConflict, fresh, st, "review", nil, "")
	case errors.As(err, &ve):
		// The engine's preflight refused what only AWS knows (a subnet that
		// does not exist, …): listed by step, like the wizard's own.
		return s.renderStep(w, r, http.StatusUnprocessableEntity, d, st, "review", ve.Problems, "")
	case err != nil:
		if e := s.asError(r, err); e.Status < 500 || isAWSTrouble(e) {
			return s.renderStepMessage(w, r, e.Status, d, st, e.Message, 0)
		}
		return err
	}
	s.auditAs(r, "deployment.create", dep.ServiceKey, map[string]any{"deployment_id": dep.ID, "draft_id": d.ID})
	s.sessions.Put(r.Context(), flashKey, "Deployment started.")
	http.Redirect(w, r, "/deployments/"+strconv.FormatInt(dep.ID, 10), http.StatusSeeOther)
	return nil
}
