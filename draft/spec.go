package draft

// The one mapping between the wizard's form and the engine's spec: SpecDoc
// and Spec build an ecsconsole.Spec from a State, FromSpec and
// LoadTaskDefinition build a State from a spec. What the form has no
// control for is kept aside (TDExtra, Extra, HealthExtra, LogExtra) so
// that spec → draft → spec is the identity (spec_test.go). A container's
// fields map through their rows in container.go; fields.go holds the index
// of which field wrote which path.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
)

// Problems are the wizard's own problems (numbers that are not numbers,
// and such), found while building a spec, beside the engine's.
type Problems []ecsconsole.Problem

// Add records a problem at a spec path.
func (ps *Problems) Add(path, format string, args ...any) {
	*ps = append(*ps, ecsconsole.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// builder is what building a spec from the form gathers besides the
// document: the form's own problems and which field wrote each path.
type builder struct {
	region string // the spec's, for the awslogs options
	ps     Problems
	fields Index
}

// set writes m[key] = v, the member at path, and records field as its writer.
func (b *builder) set(m map[string]any, key string, v any, path, field string) {
	m[key] = v
	b.fields.put(path, field)
}

// wholeNumber reads a number field; "" is absent.
func wholeNumber(ps *Problems, path, s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		ps.Add(path, "%q is not a whole number", s)
		return nil, false
	}
	return json.Number(strconv.FormatInt(n, 10)), true
}

// TaskDefinitionDoc builds the task definition's JSON members from the form.
func (st *State) TaskDefinitionDoc(ps *Problems) map[string]any {
	b := builder{region: st.Region}
	td := st.taskDefinitionDoc(&b)
	*ps = append(*ps, b.ps...)
	return td
}

func (st *State) taskDefinitionDoc(b *builder) map[string]any {
	const path = "taskDefinition."
	td := maps.Clone(st.TDExtra)
	if td == nil {
		td = map[string]any{}
	}
	b.fields.put("taskDefinition", "tdjson") // members the form has no control for
	b.set(td, "family", strings.TrimSpace(st.Family), path+"family", "family")
	td["networkMode"] = "awsvpc"
	td["requiresCompatibilities"] = []any{"FARGATE"}
	b.set(td, "cpu", strings.TrimSpace(st.CPU), path+"cpu", "size")
	b.set(td, "memory", strings.TrimSpace(st.Memory), path+"memory", "size")
	b.setOrDelete(td, "executionRoleArn", strings.TrimSpace(st.ExecRole), path+"executionRoleArn", "execRole")
	b.setOrDelete(td, "taskRoleArn", strings.TrimSpace(st.TaskRole), path+"taskRoleArn", "taskRole")
	defs := make([]any, 0, len(st.Containers))
	for i, c := range st.Containers {
		defs = append(defs, containerDoc(c, b, i))
	}
	b.set(td, "containerDefinitions", defs, path+"containerDefinitions", "containers")
	return td
}

// setOrDelete writes m[k] = v, or removes k when v is empty; either way
// field is the writer of path.
func (b *builder) setOrDelete(m map[string]any, k, v, path, field string) {
	b.fields.put(path, field)
	if v == "" {
		delete(m, k)
	} else {
		m[k] = v
	}
}

func itemsDoc(items []NameValue, valueKey string) []any {
	var out []any
	for _, it := range items {
		if strings.TrimSpace(it.Name) == "" && strings.TrimSpace(it.Value) == "" {
			continue
		}
		out = append(out, map[string]any{"name": strings.TrimSpace(it.Name), valueKey: it.Value})
	}
	return out
}

func stringsDoc(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// number writes m[key] from a number field typed as s (absent when
// blank, a problem when not a whole number), the member at path, and
// records field as its writer.
func (b *builder) number(m map[string]any, key, s, path, field string) {
	b.fields.put(path, field)
	if n, ok := wholeNumber(&b.ps, path, s); ok {
		m[key] = n
	}
}

// SpecDoc builds the whole spec (docs/design.md §3) from the form, with the
// wizard's own problems.
func (st *State) SpecDoc() (map[string]any, Problems) {
	b := builder{region: st.Region}
	doc := st.specDoc(&b)
	return doc, b.ps
}

// Fields are the form fields that write each path of the spec the state
// makes: where a problem at a path is shown.
func (st *State) Fields() Index {
	b := builder{region: st.Region, fields: Index{}}
	st.specDoc(&b)
	return b.fields
}

func (st *State) specDoc(b *builder) map[string]any {
	doc := map[string]any{"region": st.Region}
	b.set(doc, "cluster", map[string]any{"name": st.ClusterName()}, "cluster", "cluster")
	doc["taskDefinition"] = st.taskDefinitionDoc(b)
	svc := map[string]any{}
	b.set(svc, "name", st.ServiceName(), "service.name", "service.name")
	b.set(svc, "assignPublicIp", st.PublicIP, "service.assignPublicIp", "publicIp")
	cb := map[string]any{}
	b.set(cb, "enable", st.CircuitBreaker, "service.circuitBreaker.enable", "circuitBreaker")
	b.set(cb, "rollback", st.Rollback && st.CircuitBreaker, "service.circuitBreaker.rollback", "rollback")
	b.set(svc, "circuitBreaker", cb, "service.circuitBreaker", "circuitBreaker")
	b.number(svc, "desiredCount", st.DesiredCount, "service.desiredCount", "service.desiredCount")
	b.number(svc, "minimumHealthyPercent", st.MinHealthy, "service.minimumHealthyPercent", "minHealthy")
	b.number(svc, "maximumPercent", st.MaxPercent, "service.maximumPercent", "maxPercent")
	b.fields.put("service.subnets", "subnets")
	if len(st.Subnets) > 0 {
		svc["subnets"] = stringsDoc(st.Subnets)
	}
	b.fields.put("service.securityGroupIds", "sgIds") // both choices' fields are on the page
	b.fields.put("service.newSecurityGroup", "sgPorts")
	if st.SGMode == "existing" {
		if len(st.SGIDs) > 0 {
			svc["securityGroupIds"] = stringsDoc(st.SGIDs)
		}
	} else {
		nsg := map[string]any{}
		b.set(nsg, "name", st.DerivedSGName(), "service.newSecurityGroup.name", "sgName")
		b.fields.put("service.newSecurityGroup.ingressPorts", "sgPorts")
		var ports []any
		for _, p := range SplitList(st.SGPorts) {
			if n, ok := wholeNumber(&b.ps, "service.newSecurityGroup.ingressPorts", p); ok {
				ports = append(ports, n)
			}
		}
		if len(ports) > 0 {
			nsg["ingressPorts"] = ports
		}
		b.set(svc, "newSecurityGroup", nsg, "service.newSecurityGroup", "sgPorts")
	}
	doc["service"] = svc
	// The load balancer's and HTTPS's fields are built (and recorded in
	// the index) when they are off too: a value typed there while off is
	// reported next to its field (handlers' wizardChecks). Only the
	// problems of parts that are on count.
	lbb := builder{region: b.region, fields: b.fields}
	lb := st.loadBalancerDoc(&lbb)
	if st.LBEnabled {
		b.ps = append(b.ps, lbb.ps...)
		b.set(doc, "loadBalancer", lb, "loadBalancer", "lbEnabled")
	}
	return doc
}

func (st *State) loadBalancerDoc(b *builder) map[string]any {
	tg := map[string]any{}
	b.set(tg, "name", st.DerivedTGName(), "loadBalancer.targetGroup.name", "tgName")
	b.set(tg, "healthCheckPath", strings.TrimSpace(st.HealthPath), "loadBalancer.targetGroup.healthCheckPath", "healthPath")
	name, port, ok := strings.Cut(st.Target, ":")
	b.set(tg, "containerName", name, "loadBalancer.targetGroup.containerName", "target")
	if ok {
		b.number(tg, "containerPort", port, "loadBalancer.targetGroup.containerPort", "target")
	}
	lb := map[string]any{}
	b.set(lb, "name", st.DerivedLBName(), "loadBalancer.name", "lbName")
	b.set(lb, "targetGroup", tg, "loadBalancer.targetGroup", "target")
	b.fields.put("loadBalancer.subnets", "lbSubnets")
	if len(st.LBSubnets) > 0 {
		lb["subnets"] = stringsDoc(st.LBSubnets)
	}
	h := map[string]any{}
	b.set(h, "redirectHttp", st.Redirect, "loadBalancer.https.redirectHttp", "redirect")
	b.set(h, "certificateArn", strings.TrimSpace(st.CertARN), "loadBalancer.https.certificateArn", "certArn")
	b.set(h, "requestDomain", strings.TrimSpace(st.Domain), "loadBalancer.https.requestDomain", "domain")
	b.fields.put("loadBalancer.https.alternativeNames", "altNames")
	if names := SplitList(st.AltNames); len(names) > 0 {
		h["alternativeNames"] = stringsDoc(names)
	}
	if st.HTTPSMode == "existing" { // one certificate or the other
		delete(h, "requestDomain")
		delete(h, "alternativeNames")
	} else {
		delete(h, "certificateArn")
	}
	b.fields.put("loadBalancer.https", "httpsMode")
	if st.HTTPSEnabled {
		lb["https"] = h
	}
	return lb
}

// LoadTaskDefinition replaces the task definition part of the state with a
// task definition document (deploy.TaskDefinitionDocument).
func (st *State) LoadTaskDefinition(td map[string]any) {
	td = maps.Clone(td)
	take := func(k string) string {
		v, _ := td[k].(string)
		delete(td, k)
		return v
	}
	st.Family, st.CPU, st.Memory = take("family"), take("cpu"), take("memory")
	st.ExecRole, st.TaskRole = take("executionRoleArn"), take("taskRoleArn")
	delete(td, "networkMode") // always awsvpc: the console runs on Fargate
	delete(td, "requiresCompatibilities")
	defs, _ := td["containerDefinitions"].([]any)
	delete(td, "containerDefinitions")
	st.Containers = nil
	for _, d := range defs {
		if m, ok := d.(map[string]any); ok {
			st.Containers = append(st.Containers, loadContainer(m))
		}
	}
	if len(st.Containers) == 0 {
		st.Containers = []Container{{Essential: true}}
	}
	st.TDExtra = dropEmpty(td)
}

func loadItems(m map[string]any, key, valueKey string) []NameValue {
	list, ok := m[key].([]any)
	delete(m, key)
	if !ok {
		return nil
	}
	var out []NameValue
	for _, e := range list {
		em, _ := e.(map[string]any)
		name, _ := em["name"].(string)
		value, _ := em[valueKey].(string)
		out = append(out, NameValue{Name: name, Value: value})
	}
	return out
}

func joinLines(xs []any) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, "\n")
}

// dropEmpty removes members describe prints empty ([] or {}), which mean
// the same as absent; nil when nothing is left.
func dropEmpty(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			if len(x) == 0 {
				delete(m, k)
			}
		case nil:
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// FromSpec fills the wizard from a spec; every step counts as saved,
// so no default overrides what the spec says.
func FromSpec(spec *ecsconsole.Spec, region string) *State {
	st := New(FirstNonEmpty(spec.Region, region))
	st.Saved = slices.Clone(Steps)
	if len(spec.TaskDefinition) > 0 {
		if doc, err := deploy.TaskDefinitionDocument(spec.TaskDefinition); err == nil {
			st.LoadTaskDefinition(doc)
		}
	}
	st.ClusterChoice = spec.Cluster.Name
	svc := spec.Service
	st.Service = svc.Name
	if svc.DesiredCount != nil {
		st.DesiredCount = strconv.Itoa(int(*svc.DesiredCount))
	}
	st.Subnets = svc.Subnets
	st.PublicIP = svc.AssignPublicIP
	st.SGIDs = svc.SecurityGroupIDs
	st.SGMode = "existing"
	if nsg := svc.NewSecurityGroup; nsg != nil {
		st.SGMode = "new"
		if nsg.Name != svc.Name+"-tasks" {
			st.SGName = nsg.Name
		}
		var ports []string
		for _, p := range nsg.IngressPorts {
			ports = append(ports, strconv.Itoa(int(p)))
		}
		st.SGPorts = strings.Join(ports, ", ")
	}
	st.CircuitBreaker, st.Rollback = false, false
	if cb := svc.CircuitBreaker; cb != nil {
		st.CircuitBreaker, st.Rollback = cb.Enable, cb.Rollback
	}
	if p := svc.MinimumHealthyPercent; p != nil {
		st.MinHealthy = strconv.Itoa(int(*p))
	}
	if p := svc.MaximumPercent; p != nil {
		st.MaxPercent = strconv.Itoa(int(*p))
	}
	st.LBEnabled = spec.LoadBalancer != nil
	st.HTTPSEnabled = false
	if lb := spec.LoadBalancer; lb != nil {
		if lb.Name != svc.Name {
			st.LBName = lb.Name
		}
		if lb.TargetGroup.Name != svc.Name {
			st.TGName = lb.TargetGroup.Name
		}
		st.LBSubnets = lb.Subnets
		st.Target = lb.TargetGroup.ContainerName + ":" + strconv.Itoa(int(lb.TargetGroup.ContainerPort))
		st.HealthPath = lb.TargetGroup.HealthCheckPath
		if h := lb.HTTPS; h != nil {
			st.HTTPSEnabled, st.Redirect = true, h.RedirectHTTP
			if h.CertificateArn != "" {
				st.HTTPSMode, st.CertARN = "existing", h.CertificateArn
			} else {
				st.HTTPSMode, st.Domain = "request", h.RequestDomain
				st.AltNames = strings.Join(h.AlternativeNames, ", ")
			}
		}
	}
	return st
}

// Spec builds and validates the state's spec with the engine's rules
// (deploy.ParseWithDefaultRegion): the spec, or every problem found (the
// form's own first, then the engine's that are not about the same place).
func (st *State) Spec(defaultRegion string, more Problems) (*ecsconsole.Spec, []ecsconsole.Problem) {
	doc, own := st.SpecDoc()
	own = append(own, more...)
	// Handed over as values, not text: no encode, scan and decode again.
	// A deep copy, because the engine's shape check removes what it
	// refuses and the document shares the state's kept-aside members.
	spec, err := deploy.ParseDocument(cloneJSON(doc).(map[string]any), defaultRegion)
	ps := []ecsconsole.Problem(own)
	var ve *ecsconsole.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if !slices.ContainsFunc(own, func(o ecsconsole.Problem) bool { return Under(p.Path, o.Path) }) {
				ps = append(ps, p)
			}
		}
	} else if err != nil {
		ps = append(ps, ecsconsole.Problem{Message: err.Error()})
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return spec, nil
}

// cloneJSON is a deep copy of generic JSON values.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneJSON(e)
		}
		return l
	}
	return v
}

// Under reports whether path is prefix or inside it.
func Under(path, prefix string) bool {
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

// TaskDefinitionJSON is the task definition the form makes, indented for
// the JSON view.
func (st *State) TaskDefinitionJSON() string {
	var ps Problems
	return prettyJSON(MarshalJSON(st.TaskDefinitionDoc(&ps)))
}

// prettyJSON indents JSON for reading.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// lines are the non-blank lines of s, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
