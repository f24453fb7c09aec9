package handlers

// The wizard's state: what a person typed at each step, kept as typed
// (valid or not) in their draft, and how it becomes a ecsconsole.Spec.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/web"
)

// wizardSteps are the wizard's steps in order; each is /deploy/drafts/{id}/{step}.
var wizardSteps = []string{"taskdef", "cluster", "service", "loadbalancer", "https", "review"}

// wizardStepTitles name the steps for people.
var wizardStepTitles = map[string]string{
	"taskdef": "Task definition", "cluster": "Cluster", "service": "Service",
	"loadbalancer": "Load balancer", "https": "HTTPS", "review": "Review",
}

func nextStep(step string) string {
	i := slices.Index(wizardSteps, step)
	if i < 0 || i+1 >= len(wizardSteps) {
		return "review"
	}
	return wizardSteps[i+1]
}

func prevStep(step string) string {
	i := slices.Index(wizardSteps, step)
	if i <= 0 {
		return ""
	}
	return wizardSteps[i-1]
}

// wizardState is a draft's content (web.WizardState) with what the
// handlers do with it.
type wizardState struct {
	web.WizardState
}

type containerState = web.WizardContainer
type nameItem = web.NameValue

// newWizardState is a blank draft with the defaults the issue asks for:
// Fargate 0.5 vCPU / 1 GB, circuit breaker with rollback, a load balancer.
func newWizardState(region string) *wizardState {
	return &wizardState{web.WizardState{
		Region: region, CPU: "512", Memory: "1024",
		Containers:    []containerState{{Essential: true}},
		ClusterChoice: "new", DesiredCount: "1", SGMode: "new", PublicIP: true,
		CircuitBreaker: true, Rollback: true, LBEnabled: true, HealthPath: "/",
		HTTPSMode: "request", Redirect: true,
	}}
}

// exampleState is the seed's case: a PHP web container on 8080 and a Redis
// sidecar on 6379 that only this task reaches (over localhost).
func exampleState(region, execRole string) *wizardState {
	st := newWizardState(region)
	st.Family, st.ExecRole, st.DesiredCount = "php-app", execRole, "2"
	st.Containers = []containerState{{
		Name: "web", Image: "php:8.3-apache", Essential: true, Ports: "8080",
		Env: []nameItem{{Name: "REDIS_HOST", Value: "localhost"}}, LogGroup: "/ecs/php-app",
	}, redisSidecar("/ecs/php-app")}
	return st
}

func redisSidecar(logGroup string) containerState {
	return containerState{Name: "redis", Image: "redis:7", Ports: "6379", LogGroup: logGroup,
		Extra: map[string]any{"memoryReservation": json.Number("128")}}
}

func (st *wizardState) saved(step string) bool { return slices.Contains(st.Saved, step) }

func (st *wizardState) markSaved(step string) {
	if !st.saved(step) {
		st.Saved = append(st.Saved, step)
	}
}

// title names the draft in lists.
func (st *wizardState) title() string {
	name := firstNonEmpty(st.Service, st.Family, "untitled")
	if c := st.clusterName(); c != "" {
		return name + " on " + c
	}
	return name
}

func (st *wizardState) clusterName() string {
	if st.ClusterChoice == "new" {
		return strings.TrimSpace(st.NewCluster)
	}
	return st.ClusterChoice
}

// Derived names: what the engine is given when a name is left empty.
func (st *wizardState) serviceName() string { return firstNonEmpty(st.Service, st.Family) }
func (st *wizardState) sgName() string      { return firstNonEmpty(st.SGName, st.serviceName()+"-tasks") }
func (st *wizardState) lbName() string      { return firstNonEmpty(st.LBName, st.serviceName()) }
func (st *wizardState) tgName() string      { return firstNonEmpty(st.TGName, st.serviceName()) }

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}

// targets are the container ports a target group can send traffic to, as
// "container:port".
func (st *wizardState) targets() []string {
	var out []string
	for _, c := range st.Containers {
		for _, p := range splitList(c.Ports) {
			port, proto, _ := strings.Cut(p, "/")
			if proto == "" || strings.EqualFold(proto, "tcp") {
				out = append(out, strings.TrimSpace(c.Name)+":"+port)
			}
		}
	}
	return out
}

// exposedPorts are the TCP ports of essential containers: what the tasks'
// security group opens by default. Sidecars (not essential) are reached
// over localhost inside the task, so their ports stay closed.
func (st *wizardState) exposedPorts() []string {
	var out []string
	for _, c := range st.Containers {
		if !c.Essential {
			continue
		}
		for _, p := range splitList(c.Ports) {
			port, proto, _ := strings.Cut(p, "/")
			if (proto == "" || strings.EqualFold(proto, "tcp")) && !slices.Contains(out, port) {
				out = append(out, port)
			}
		}
	}
	return out
}

// splitList splits a list typed with commas, spaces or newlines; nil when empty.
func splitList(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(out) == 0 {
		return nil
	}
	return out
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// problemList collects the wizard's own problems (numbers that are not
// numbers, and such) beside the engine's.
type problemList []ecsconsole.Problem

func (ps *problemList) add(path, format string, args ...any) {
	*ps = append(*ps, ecsconsole.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// wholeNumber reads a number field; "" is absent.
func wholeNumber(ps *problemList, path, s string) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		ps.add(path, "%q is not a whole number", s)
		return nil, false
	}
	return json.Number(strconv.FormatInt(n, 10)), true
}

// taskDefinitionDoc builds the task definition's JSON members from the form.
func (st *wizardState) taskDefinitionDoc(ps *problemList) map[string]any {
	td := maps.Clone(st.TDExtra)
	if td == nil {
		td = map[string]any{}
	}
	td["family"] = strings.TrimSpace(st.Family)
	td["networkMode"] = "awsvpc"
	td["requiresCompatibilities"] = []any{"FARGATE"}
	td["cpu"] = strings.TrimSpace(st.CPU)
	td["memory"] = strings.TrimSpace(st.Memory)
	setOrDelete(td, "executionRoleArn", strings.TrimSpace(st.ExecRole))
	setOrDelete(td, "taskRoleArn", strings.TrimSpace(st.TaskRole))
	defs := make([]any, 0, len(st.Containers))
	for i, c := range st.Containers {
		defs = append(defs, containerDoc(c, ps, fmt.Sprintf("taskDefinition.containerDefinitions[%d]", i), st.Region))
	}
	td["containerDefinitions"] = defs
	return td
}

func setOrDelete(m map[string]any, k, v string) {
	if v == "" {
		delete(m, k)
	} else {
		m[k] = v
	}
}

func containerDoc(c containerState, ps *problemList, path, region string) map[string]any {
	m := maps.Clone(c.Extra)
	if m == nil {
		m = map[string]any{}
	}
	m["name"] = strings.TrimSpace(c.Name)
	m["image"] = strings.TrimSpace(c.Image)
	m["essential"] = c.Essential
	delete(m, "portMappings")
	var pms []any
	for _, p := range splitList(c.Ports) {
		port, proto, _ := strings.Cut(p, "/")
		n, err := strconv.ParseInt(port, 10, 32)
		if err != nil {
			ps.add(path+".portMappings", "%q is not a port; list port numbers such as 8080, or 53/udp", p)
			continue
		}
		pm := map[string]any{"containerPort": json.Number(strconv.FormatInt(n, 10)), "protocol": strings.ToLower(firstNonEmpty(proto, "tcp"))}
		pms = append(pms, pm)
	}
	if len(pms) > 0 {
		m["portMappings"] = pms
	}
	delete(m, "environment")
	if env := itemsDoc(c.Env, "value"); len(env) > 0 {
		m["environment"] = env
	}
	delete(m, "secrets")
	if sec := itemsDoc(c.Secrets, "valueFrom"); len(sec) > 0 {
		m["secrets"] = sec
	}
	delete(m, "command")
	if cmd := lines(c.Command); len(cmd) > 0 {
		m["command"] = stringsDoc(cmd)
	}
	delete(m, "healthCheck")
	if hc := lines(c.Health); len(hc) > 0 {
		h := maps.Clone(c.HealthExtra)
		if h == nil {
			h = map[string]any{}
		}
		if hc[0] != "CMD" && hc[0] != "CMD-SHELL" {
			hc = []string{"CMD-SHELL", strings.Join(hc, " ")}
		}
		h["command"] = stringsDoc(hc)
		m["healthCheck"] = h
	}
	if g := strings.TrimSpace(c.LogGroup); g != "" {
		opts := maps.Clone(c.LogExtra)
		if opts == nil {
			opts = map[string]any{}
		}
		opts["awslogs-group"] = g
		opts["awslogs-region"] = region
		opts["awslogs-stream-prefix"] = firstNonEmpty(c.LogPrefix, c.Name, "ecs")
		if _, ok := opts["awslogs-create-group"]; !ok {
			opts["awslogs-create-group"] = "true"
		}
		m["logConfiguration"] = map[string]any{"logDriver": "awslogs", "options": opts}
	} else if lc, ok := m["logConfiguration"].(map[string]any); ok && lc["logDriver"] == "awslogs" {
		delete(m, "logConfiguration") // the log group was cleared: no logs
	}
	return m
}

func itemsDoc(items []nameItem, valueKey string) []any {
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

// specDoc builds the whole spec (docs/design.md §3) from the form, with the
// wizard's own problems.
func (st *wizardState) specDoc() (map[string]any, problemList) {
	var ps problemList
	doc := map[string]any{
		"region":         st.Region,
		"cluster":        map[string]any{"name": st.clusterName()},
		"taskDefinition": st.taskDefinitionDoc(&ps),
	}
	svc := map[string]any{
		"name":           st.serviceName(),
		"assignPublicIp": st.PublicIP,
		"circuitBreaker": map[string]any{"enable": st.CircuitBreaker, "rollback": st.Rollback && st.CircuitBreaker},
	}
	if n, ok := wholeNumber(&ps, "service.desiredCount", st.DesiredCount); ok {
		svc["desiredCount"] = n
	}
	if n, ok := wholeNumber(&ps, "service.minimumHealthyPercent", st.MinHealthy); ok {
		svc["minimumHealthyPercent"] = n
	}
	if n, ok := wholeNumber(&ps, "service.maximumPercent", st.MaxPercent); ok {
		svc["maximumPercent"] = n
	}
	if len(st.Subnets) > 0 {
		svc["subnets"] = stringsDoc(st.Subnets)
	}
	if st.SGMode == "existing" {
		if len(st.SGIDs) > 0 {
			svc["securityGroupIds"] = stringsDoc(st.SGIDs)
		}
	} else {
		nsg := map[string]any{"name": st.sgName()}
		var ports []any
		for _, p := range splitList(st.SGPorts) {
			if n, ok := wholeNumber(&ps, "service.newSecurityGroup.ingressPorts", p); ok {
				ports = append(ports, n)
			}
		}
		if len(ports) > 0 {
			nsg["ingressPorts"] = ports
		}
		svc["newSecurityGroup"] = nsg
	}
	doc["service"] = svc
	if st.LBEnabled {
		tg := map[string]any{"name": st.tgName(), "healthCheckPath": strings.TrimSpace(st.HealthPath)}
		if name, port, ok := strings.Cut(st.Target, ":"); ok {
			tg["containerName"] = name
			if n, ok := wholeNumber(&ps, "loadBalancer.targetGroup.containerPort", port); ok {
				tg["containerPort"] = n
			}
		} else {
			tg["containerName"] = ""
		}
		lb := map[string]any{"name": st.lbName(), "targetGroup": tg}
		if len(st.LBSubnets) > 0 {
			lb["subnets"] = stringsDoc(st.LBSubnets)
		}
		if st.HTTPSEnabled {
			h := map[string]any{"redirectHttp": st.Redirect}
			if st.HTTPSMode == "existing" {
				h["certificateArn"] = strings.TrimSpace(st.CertARN)
			} else {
				h["requestDomain"] = strings.TrimSpace(st.Domain)
				if names := splitList(st.AltNames); len(names) > 0 {
					h["alternativeNames"] = stringsDoc(names)
				}
			}
			lb["https"] = h
		}
		doc["loadBalancer"] = lb
	}
	return doc, ps
}

// marshalDoc encodes generic JSON without HTML escaping.
func marshalDoc(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("handlers: encoding the wizard's own JSON: %v", err)) // only strings, numbers, bools, maps and lists
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// prettyJSON indents JSON for reading.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// loadTaskDefinition replaces the task definition part of the state with a
// task definition document (deploy.TaskDefinitionDocument).
func (st *wizardState) loadTaskDefinition(td map[string]any) {
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
		st.Containers = []containerState{{Essential: true}}
	}
	st.TDExtra = dropEmpty(td)
}

func loadContainer(m map[string]any) containerState {
	m = maps.Clone(m)
	str := func(k string) string {
		v, _ := m[k].(string)
		delete(m, k)
		return v
	}
	c := containerState{Name: str("name"), Image: str("image"), Essential: true}
	if e, ok := m["essential"].(bool); ok {
		c.Essential = e
	}
	delete(m, "essential")
	if pms, ok := m["portMappings"].([]any); ok {
		var ports []string
		for _, pm := range pms {
			p, _ := pm.(map[string]any)
			port := fmt.Sprint(p["containerPort"])
			if proto, _ := p["protocol"].(string); proto != "" && proto != "tcp" {
				port += "/" + proto
			}
			ports = append(ports, port)
		}
		c.Ports = strings.Join(ports, ", ")
		delete(m, "portMappings")
	}
	c.Env = loadItems(m, "environment", "value")
	c.Secrets = loadItems(m, "secrets", "valueFrom")
	if cmd, ok := m["command"].([]any); ok {
		c.Command = joinLines(cmd)
		delete(m, "command")
	}
	if hc, ok := m["healthCheck"].(map[string]any); ok {
		hc = maps.Clone(hc)
		if cmd, ok := hc["command"].([]any); ok {
			c.Health = joinLines(cmd)
		}
		delete(hc, "command")
		c.HealthExtra = dropEmpty(hc)
		delete(m, "healthCheck")
	}
	if lc, ok := m["logConfiguration"].(map[string]any); ok && lc["logDriver"] == "awslogs" {
		opts, _ := lc["options"].(map[string]any)
		opts = maps.Clone(opts)
		c.LogGroup, _ = opts["awslogs-group"].(string)
		c.LogPrefix, _ = opts["awslogs-stream-prefix"].(string)
		delete(opts, "awslogs-group")
		delete(opts, "awslogs-stream-prefix")
		delete(opts, "awslogs-region") // always the spec's region
		c.LogExtra = dropEmpty(opts)
		delete(m, "logConfiguration")
	}
	c.Extra = dropEmpty(m)
	return c
}

func loadItems(m map[string]any, key, valueKey string) []nameItem {
	list, ok := m[key].([]any)
	delete(m, key)
	if !ok {
		return nil
	}
	var out []nameItem
	for _, e := range list {
		em, _ := e.(map[string]any)
		name, _ := em["name"].(string)
		value, _ := em[valueKey].(string)
		out = append(out, nameItem{Name: name, Value: value})
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
