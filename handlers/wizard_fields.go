package handlers

// The wizard's form fields: which step owns a spec problem, the problems
// placed next to the fields that wrote their paths (draft.Index, recorded
// where the spec is built), a state's values by field (formValues), and
// the task definition step's fields read into the state
// (readTaskDefFields). A container's fields are read and shown through
// draft.ContainerFields: a new container field needs no code here.

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/draft"
	"github.com/ecsconsole/ecsconsole/web"
)

// stepPaths are the spec paths each step edits: Next on a step reports
// only problems under them.
var stepPaths = map[string][]string{
	"taskdef":      {"taskDefinition"},
	"cluster":      {"cluster"},
	"service":      {"service", "loadBalancer.name", "loadBalancer.targetGroup.name"},
	"loadbalancer": {"loadBalancer.subnets", "loadBalancer.targetGroup.containerName", "loadBalancer.targetGroup.containerPort", "loadBalancer.targetGroup.healthCheckPath", "loadBalancer.enabled"},
	"https":        {"loadBalancer.https"},
	"review":       {""},
}

// under reports whether path is prefix or inside it.
var under = draft.Under

// stepOfPath is the step where a problem at path is fixed.
func stepOfPath(path string) string {
	best, bestLen := "review", -1
	for _, step := range wizardSteps[:len(wizardSteps)-1] {
		for _, p := range stepPaths[step] {
			if under(path, p) && len(p) > bestLen {
				best, bestLen = step, len(p)
			}
		}
	}
	return best
}

// fieldLabel is field's label, for messages that name it.
var fieldLabel = draft.Label

// continuations are the first words of messages that go on from their
// subject: "is required", "must be …".
var continuations = []string{"is", "are", "must", "has", "have", "holds", "needs", "need", "should", "cannot", "can",
	"does", "do", "was", "were", "exceeds", "contains", "may", "lists", "names", "uses", "points", "repeats", "allows", "gives"}

// sentence makes a problem a whole sentence: a message that goes on from
// its subject ("is required") is given the field's label, and every one
// starts with a capital and ends with a full stop.
func sentence(label, msg string) string {
	msg = strings.TrimSpace(msg)
	first, _, _ := strings.Cut(msg, " ")
	switch r, _ := utf8.DecodeRuneInString(msg); {
	case label == "" || !unicode.IsLower(r):
	case slices.Contains(continuations, first):
		msg = label + " " + msg
	default:
		msg = label + ": " + msg
	}
	if r, size := utf8.DecodeRuneInString(msg); unicode.IsLower(r) {
		msg = string(unicode.ToUpper(r)) + msg[size:]
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

// stepProblems keeps the problems step owns, in the order found (the
// spec's document order, the wizard's own first), and places each next to
// its field: the first message per field is shown there, all are listed
// at the top, each a sentence naming the field by its label.
func stepProblems(step string, fields draft.Index, all []ecsconsole.Problem) (web.WizardErrors, []web.Problem) {
	errs := web.WizardErrors{}
	var list []web.Problem
	for _, p := range all {
		if step != "review" && !slices.ContainsFunc(stepPaths[step], func(prefix string) bool { return under(p.Path, prefix) }) {
			continue
		}
		f, _ := fields.FieldOf(p.Path)
		field, label := f.Name, f.Label
		msg := sentence(label, p.Message)
		if _, taken := errs[field]; !taken && field != "" {
			errs[field] = msg
		} else if field != "" && !strings.Contains(errs[field], msg) {
			errs[field] += " " + msg
		}
		s := stepOfPath(p.Path)
		list = append(list, web.Problem{Path: p.Path, Message: msg, Field: field, Label: label, Step: s, StepTitle: wizardStepTitles[s]})
	}
	return errs, list
}

type orderedValues struct {
	order  []string
	values map[string]string
}

func (o *orderedValues) set(field, value string) {
	o.order = append(o.order, field)
	o.values[field] = value
}

// formValues are a state's values by form field, as the form shows them.
func formValues(st *wizardState) orderedValues {
	o := orderedValues{values: map[string]string{}}
	onOff := draft.OnOff
	o.set("family", st.Family)
	o.set("size", st.CPU+"/"+st.Memory)
	o.set("execRole", st.ExecRole)
	o.set("taskRole", st.TaskRole)
	for i, c := range st.Containers {
		for _, f := range draft.ContainerFields {
			o.set(draft.ContainerField(i, f.Name), f.Show(c))
		}
	}
	o.set("cluster", st.ClusterName())
	o.set("service.name", st.Service)
	o.set("service.desiredCount", st.DesiredCount)
	o.set("subnets", strings.Join(st.Subnets, ", "))
	o.set("publicIp", onOff(st.PublicIP))
	o.set("sgMode", st.SGMode)
	o.set("sgPorts", st.SGPorts)
	o.set("sgName", st.SGName)
	o.set("sgIds", strings.Join(st.SGIDs, ", "))
	o.set("circuitBreaker", onOff(st.CircuitBreaker))
	o.set("rollback", onOff(st.Rollback))
	o.set("minHealthy", st.MinHealthy)
	o.set("maxPercent", st.MaxPercent)
	o.set("lbName", st.LBName)
	o.set("tgName", st.TGName)
	o.set("lbEnabled", onOff(st.LBEnabled))
	o.set("lbSubnets", strings.Join(st.LBSubnets, ", "))
	o.set("target", st.Target)
	o.set("healthPath", st.HealthPath)
	o.set("httpsEnabled", onOff(st.HTTPSEnabled))
	o.set("httpsMode", st.HTTPSMode)
	o.set("domain", st.Domain)
	o.set("certArn", st.CertARN)
	o.set("altNames", st.AltNames)
	o.set("redirect", onOff(st.Redirect))
	o.set("reason", st.Reason)
	return o
}

// readTaskDefFields reads the task definition step's fields and runs its
// in-step action (add, remove or move a container).
func readTaskDefFields(f url.Values, st *wizardState, op string) {
	st.TDJSON = ""
	st.Family = f.Get("family")
	if cpu, mem, ok := strings.Cut(f.Get("size"), "/"); ok {
		st.CPU, st.Memory = cpu, mem
	}
	st.ExecRole, st.TaskRole = f.Get("execRole"), f.Get("taskRole")
	n, _ := strconv.Atoi(f.Get("containers"))
	n = min(max(n, 0), 20)
	old := st.Containers
	st.Containers = make([]draft.Container, n)
	for i := range n {
		var c draft.Container
		if i < len(old) {
			c = old[i] // keeps what the form does not show
		}
		for _, field := range draft.ContainerFields {
			field.Read(f, "c"+strconv.Itoa(i)+".", &c)
		}
		st.Containers[i] = c
	}
	kind, arg, _ := strings.Cut(op, ":")
	i, _ := strconv.Atoi(arg)
	valid := i >= 0 && i < len(st.Containers)
	switch {
	case kind == "add" && len(st.Containers) < 10:
		st.Containers = append(st.Containers, draft.Container{Essential: len(st.Containers) == 0, LogGroup: st.LogGroup()})
	case kind == "redis" && len(st.Containers) < 10 && !st.HasRedis():
		st.Containers = append(st.Containers, draft.RedisSidecar(st.LogGroup()))
	case kind == "remove" && valid:
		st.Containers = slices.Delete(st.Containers, i, i+1)
	case kind == "up" && valid && i > 0:
		st.Containers[i-1], st.Containers[i] = st.Containers[i], st.Containers[i-1]
	case kind == "down" && valid && i+1 < len(st.Containers):
		st.Containers[i+1], st.Containers[i] = st.Containers[i], st.Containers[i+1]
	}
}
