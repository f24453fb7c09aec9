package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// fargateSizes are the task sizes Fargate accepts (docs/aws-api.md §3.5), as the
// size control offers them: only valid cpu/memory pairs.
var fargateSizes = func() []web.Option {
	var out []web.Option
	for _, cpu := range deploy.FargateCPUs {
		for _, m := range deploy.FargateMemories(cpu) {
			out = append(out, web.Option{
				Value: fmt.Sprintf("%d/%d", cpu, m),
				Label: fmt.Sprintf("%s vCPU, %s GB", strconv.FormatFloat(float64(cpu)/1024, 'f', -1, 64), strconv.FormatFloat(float64(m)/1024, 'f', -1, 64)),
			})
		}
	}
	return out
}()

// renderStep renders step of draft d with the problems the step owns.
func (s *Server) renderStep(w http.ResponseWriter, r *http.Request, status int, d store.Draft, st *wizardState, step string, ps []ecsconsole.Problem, badField string) error {
	v := s.wizardView(r, d, st, step)
	v.Errors, v.Problems = stepProblems(step, st.Fields(), ps)
	if badField != "" {
		v.Errors[displayField(badField)] = "holds bytes that are not text (NUL or invalid UTF-8); retype it"
		v.Problems = []web.Problem{{Path: badField, Field: badField, Message: "The field " + strconv.Quote(badField) + " holds bytes that are not text (NUL or invalid UTF-8); nothing was saved."}}
	}
	if status == http.StatusConflict && d.Deployed() {
		v.Error = fmt.Sprintf("This draft was deployed as #%d; it cannot be deployed again. Start a change from that deployment instead.", d.DeploymentID)
	}
	return s.renderWizard(w, r, status, v)
}

// renderStepMessage re-renders the review with a form-wide message, e.g. a
// deployment already running for the service (linked).
func (s *Server) renderStepMessage(w http.ResponseWriter, r *http.Request, status int, d store.Draft, st *wizardState, msg string, link int64) error {
	v := s.wizardView(r, d, st, "review")
	v.Errors, v.Error, v.ErrorLink = web.WizardErrors{}, msg, link
	return s.renderWizard(w, r, status, v)
}

func (s *Server) renderWizard(w http.ResponseWriter, r *http.Request, status int, v web.WizardView) error {
	if status >= 400 {
		// A refused POST shows under the step's own address, so a reload
		// is a GET of the step, never a 405.
		w.Header().Set("HX-Replace-Url", draftURL(v.DraftID, v.Step))
	}
	s.render(w, r, status, web.WizardPage(s.page(r, "Deploy: "+wizardStepTitles[v.Step], "deploy"), v))
	return nil
}

// wizardView gathers what step shows: the state (with defaults on a step
// not saved yet), the live lists it picks from, the names it derives.
func (s *Server) wizardView(r *http.Request, d store.Draft, st *wizardState, step string) web.WizardView {
	me, _ := userFrom(r.Context())
	v := web.WizardView{
		DraftID: d.ID, Version: d.Version, Step: step, Title: d.Title, Deployed: d.DeploymentID,
		CanDeploy: me.Role.AtLeast(store.RoleDeployer), Errors: web.WizardErrors{},
		Flash: s.sessions.PopString(r.Context(), flashKey),
	}
	reached := true
	for _, k := range wizardSteps {
		state := "todo"
		switch {
		case k == step:
			state, reached = "current", false
		case reached || st.IsSaved(k):
			state = "done"
		}
		v.Steps = append(v.Steps, web.StepLink{Key: k, Title: wizardStepTitles[k], Href: draftURL(d.ID, k), State: state})
	}
	v.Back = prevStep(step)
	if v.Back != "" {
		v.BackHref = draftURL(d.ID, v.Back)
	}
	ctx, region := r.Context(), st.Region
	switch step {
	case "taskdef":
		roles, err := s.lookups.roles(ctx, me.ID, region)
		if err != nil {
			v.RolesErr = s.lookupFailed(r, "IAM roles", err)
		}
		for _, role := range roles {
			label := role.Name
			if role.ForTasks {
				label += " (ECS tasks can assume it)"
			}
			v.Roles = append(v.Roles, web.Option{Value: role.ARN, Label: label})
			if role.Name == "ecsTaskExecutionRole" {
				v.ExecRoleSuggest = role.ARN
				if !st.IsSaved("taskdef") && st.ExecRole == "" {
					st.ExecRole = role.ARN
				}
			}
		}
		if !st.IsSaved("taskdef") {
			for i := range st.Containers {
				if st.Containers[i].LogGroup == "" {
					st.Containers[i].LogGroup = st.LogGroup()
				}
			}
		}
		v.Sizes = fargateSizes
		v.Size = strings.TrimSpace(st.CPU) + "/" + strings.TrimSpace(st.Memory)
		if !slices.ContainsFunc(fargateSizes, func(o web.Option) bool { return o.Value == v.Size }) {
			v.SizeInvalid = true
		}
		v.TDJSONBase = st.TaskDefinitionJSON()
		v.TDJSON = firstNonEmpty(st.TDJSON, v.TDJSONBase)
	case "cluster":
		clusters, err := s.lookups.clusters(ctx, me.ID, region)
		if err != nil {
			v.ClustersErr = s.lookupFailed(r, "clusters", err)
		}
		for _, c := range clusters {
			v.Clusters = append(v.Clusters, web.ClusterOption{Name: c.Name, Status: c.Status, Services: int(c.ActiveServices), Running: int(c.RunningTasks), Pending: int(c.PendingTasks)})
		}
		exists := func(name string) bool {
			return slices.ContainsFunc(clusters, func(c catalog.ClusterSummary) bool { return c.Name == name })
		}
		switch {
		case st.ClusterChoice != "new" && !exists(st.ClusterChoice) && err == nil:
			st.NewCluster, st.ClusterChoice = st.ClusterChoice, "new" // not there (any more): it will be created
		case st.ClusterChoice == "new" && exists(strings.TrimSpace(st.NewCluster)):
			st.ClusterChoice, st.NewCluster = strings.TrimSpace(st.NewCluster), "" // the name typed is a cluster now
		case st.ClusterChoice == "new" && strings.TrimSpace(st.NewCluster) == "" && !st.IsSaved("cluster") && len(clusters) > 0:
			st.ClusterChoice = clusters[0].Name // a cluster is there: suggest it rather than another
		}
	case "service", "loadbalancer":
		s.networkView(r, me, st, step, &v)
	case "https":
		certs, err := s.lookups.certificates(ctx, me.ID, region)
		if err != nil {
			v.CertsErr = s.lookupFailed(r, "certificates", err)
		}
		for _, c := range certs {
			v.Certs = append(v.Certs, web.CertOption{ARN: c.ARN, Domain: c.Domain, Names: strings.Join(c.Names, ", "), Status: c.Status,
				Covers: strings.TrimSpace(st.Domain) != "" && c.Covers(strings.TrimSpace(st.Domain))})
		}
	case "review":
		s.reviewView(r, d, st, &v)
	}
	v.Derived = web.DerivedNames{
		Service: st.ServiceName(), SecurityGroup: st.DerivedSGName(), LoadBalancer: st.DerivedLBName(), TargetGroup: st.DerivedTGName(),
		LoadBalancerSG: st.DerivedLBName() + "-alb", Family: strings.TrimSpace(st.Family),
	}
	v.State = *st
	return v
}

// networkView fills the service and load balancer steps' pickers.
func (s *Server) networkView(r *http.Request, me store.User, st *wizardState, step string, v *web.WizardView) {
	ctx, region := r.Context(), st.Region
	vpcs, err := s.lookups.vpcs(ctx, me.ID, region)
	if err != nil {
		v.VPCsErr = s.lookupFailed(r, "VPCs", err)
	}
	for _, vpc := range vpcs {
		label := vpc.ID + " " + vpc.CIDR
		if vpc.Name != "" {
			label += " " + vpc.Name
		}
		if vpc.IsDefault {
			label += " (default)"
		}
		v.VPCs = append(v.VPCs, web.Option{Value: vpc.ID, Label: label})
	}
	if st.VPC == "" && len(vpcs) > 0 {
		st.VPC = vpcs[0].ID // the default VPC comes first
	}
	subnets, err := s.lookups.subnets(ctx, me.ID, region)
	if err != nil {
		v.SubnetsErr = s.lookupFailed(r, "subnets", err)
	}
	for _, sn := range subnets {
		if sn.VpcID != st.VPC && st.VPC != "" {
			continue
		}
		v.Subnets = append(v.Subnets, web.SubnetOption{ID: sn.ID, AZ: sn.AvailabilityZone, CIDR: sn.CIDR, Public: sn.Public, Name: sn.Name})
	}
	if step == "service" && !st.IsSaved("service") {
		if st.Service == "" {
			st.Service = st.Family
		}
		if st.Subnets == nil {
			for _, sn := range subnets {
				if sn.VpcID == st.VPC && sn.DefaultForAZ {
					st.Subnets = append(st.Subnets, sn.ID)
				}
			}
		}
		if st.SGPorts == "" {
			st.SGPorts = strings.Join(st.ExposedPorts(), ", ")
		}
	}
	if step == "loadbalancer" && !st.IsSaved("loadbalancer") {
		if st.LBSubnets == nil {
			st.LBSubnets = slices.Clone(st.Subnets)
		}
		if st.Target == "" {
			if ports := st.ExposedPorts(); len(ports) > 0 {
				for _, t := range st.Targets() {
					if strings.HasSuffix(t, ":"+ports[0]) {
						st.Target = t
						break
					}
				}
			}
		}
	}
	v.Targets = st.Targets()
	v.ExposedPorts = strings.Join(st.ExposedPorts(), ", ")
	if step == "service" {
		groups, err := s.lookups.securityGroups(ctx, me.ID, region)
		if err != nil {
			v.SGsErr = s.lookupFailed(r, "security groups", err)
		}
		for _, g := range groups {
			if g.VpcID == st.VPC || st.VPC == "" {
				v.SGs = append(v.SGs, web.Option{Value: g.ID, Label: g.Name + " (" + g.ID + ")"})
			}
		}
	}
}

// reviewView plans the spec and compares it with the service's last
// deployment, when the spec is whole.
func (s *Server) reviewView(r *http.Request, d store.Draft, st *wizardState, v *web.WizardView) {
	doc, _ := st.SpecDoc()
	v.SpecJSON = prettyJSON(marshalDoc(doc))
	ps, spec := s.specOf(r, st)
	if spec == nil {
		_, v.Pending = stepProblems("review", st.Fields(), ps)
		return
	}
	plan, err := s.engine.Plan(r.Context(), spec)
	var ve *ecsconsole.ValidationError
	switch {
	case errors.As(err, &ve):
		_, v.Pending = stepProblems("review", st.Fields(), ve.Problems) // e.g. a subnet AWS does not know
	case err != nil:
		s.logger.Warn("planning in the wizard", "request_id", requestID(r.Context()), "error", err.Error())
		v.PlanErr = "The plan could not be read from AWS; deploying may still work. " + awsRefusal(err)
	}
	v.Plan = planRows(plan)
	v.ServiceKey = spec.ServiceKey()
	list, _, err := s.store.ListDeployments(r.Context(), store.DeploymentFilter{ServiceKey: spec.ServiceKey()}, "", 1)
	if err != nil || len(list) == 0 {
		return
	}
	last, err := s.store.Deployment(r.Context(), list[0].ID)
	if err != nil {
		return
	}
	changes, err := specDiff(last, ecsconsole.Deployment{Spec: spec.JSON()})
	if err != nil {
		return
	}
	v.DiffAgainst = last.ID
	for _, c := range changes {
		v.Changes = append(v.Changes, web.ChangeRow{Path: c.Path, Kind: string(c.Kind), Old: string(c.Old), New: string(c.New)})
	}
}

// displayField is the field whose message slot shows a problem with a
// posted form value (e.g. one environment row shows at the container's
// environment).
func displayField(name string) string {
	switch name {
	case "newCluster":
		return "cluster"
	case "subnetsTyped":
		return "subnets"
	case "lbSubnetsTyped":
		return "lbSubnets"
	case "sgIdsTyped":
		return "sgIds"
	}
	for suffix, field := range map[string]string{".env.name": ".env", ".env.value": ".env", ".secret.name": ".secrets", ".secret.valueFrom": ".secrets"} {
		if c, ok := strings.CutSuffix(name, suffix); ok {
			return c + field
		}
	}
	return name
}

// planRows is the engine's plan as the pages show it (the wizard's review
// and the change page).
func planRows(plan deploy.Plan) []web.PlanRow {
	rows := make([]web.PlanRow, 0, len(plan.Items))
	for _, it := range plan.Items {
		rows = append(rows, web.PlanRow{Resource: it.Resource, Name: it.Name, Action: it.Action, Reason: it.Reason})
	}
	return rows
}
