package handlers

import (
	"slices"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/draft"
	"github.com/ecsconsole/ecsconsole/web"
)

// Every field the wizard shows, given a bad value, gets its problem next
// to it (the message under the field, its label in the summary): the
// problem's path is looked up in the index the spec mapping records as it
// writes each member, so a field wired to the wrong path fails here.
func TestEveryWizardFieldGetsItsOwnProblem(t *testing.T) {
	cases := []struct {
		field string
		bad   func(st *draft.State)
	}{
		{"family", func(st *draft.State) { st.Family = "no spaces allowed" }},
		{"size", func(st *draft.State) { st.CPU = "333" }},
		{"execRole", func(st *draft.State) { st.ExecRole = "" }}, // awslogs needs one
		{"containers", func(st *draft.State) { st.Containers = nil }},
		{"tdjson", func(st *draft.State) { st.TDExtra = map[string]any{"volumes": "not a list"} }},
		{"c1", func(st *draft.State) { st.Containers[1].Extra = map[string]any{"privileged": true} }},
		{"c1.name", func(st *draft.State) { st.Containers[1].Name = "web" }},
		{"c1.image", func(st *draft.State) { st.Containers[1].Image = "" }},
		{"containers", func(st *draft.State) { st.Containers[0].Essential = false }}, // none essential: about the list
		{"c1.ports", func(st *draft.State) { st.Containers[1].Ports = "eighty" }},
		{"c0.ports", func(st *draft.State) { st.Containers[0].Ports = "8080, 70000" }},
		{"c1.secrets", func(st *draft.State) { st.Containers[1].Secrets = []draft.NameValue{{Name: "TOKEN", Value: ""}} }},
		{"c1.health", func(st *draft.State) {
			st.Containers[1].Health = "CMD-SHELL"
			st.Containers[1].HealthExtra = map[string]any{"retries": 99}
		}},
		{"c1.logGroup", func(st *draft.State) { st.Containers[1].LogExtra = map[string]any{"mode": 7} }},
		{"cluster", func(st *draft.State) { st.NewCluster = "" }},
		{"service.name", func(st *draft.State) { st.Service = "no spaces allowed" }},
		{"service.desiredCount", func(st *draft.State) { st.DesiredCount = "two" }},
		{"subnets", func(st *draft.State) { st.Subnets = []string{"bogus"} }},
		{"sgIds", func(st *draft.State) { st.SGMode, st.SGIDs = "existing", []string{"bogus"} }},
		{"sgName", func(st *draft.State) { st.SGName = "sg-starts-with-sg" }},
		{"sgPorts", func(st *draft.State) { st.SGPorts = "http" }},
		{"minHealthy", func(st *draft.State) { st.MinHealthy = "half" }},
		{"maxPercent", func(st *draft.State) { st.MaxPercent = "90" }},
		{"lbName", func(st *draft.State) { st.LBName = "no spaces allowed" }},
		{"tgName", func(st *draft.State) { st.TGName = "no spaces allowed" }},
		{"lbSubnets", func(st *draft.State) { st.LBSubnets = []string{"bogus"} }},
		{"target", func(st *draft.State) { st.Target = "nosuch:8080" }},
		{"healthPath", func(st *draft.State) { st.HealthPath = "no-slash" }},
		{"domain", func(st *draft.State) { st.HTTPSEnabled, st.Domain = true, "not a domain" }},
		{"altNames", func(st *draft.State) { st.HTTPSEnabled, st.Domain, st.AltNames = true, "example.com", "not a domain" }},
		{"certArn", func(st *draft.State) { st.HTTPSEnabled, st.HTTPSMode, st.CertARN = true, "existing", "bogus" }},
	}
	// Fields whose every value is valid: boxes and choices.
	cannotBeWrong := []string{"publicIp", "sgMode", "circuitBreaker", "rollback", "lbEnabled", "httpsEnabled", "httpsMode", "redirect", "reason", "c.essential"}

	// Fields the console has no rule for (AWS judges them): where a
	// problem at their path would go.
	noRule := map[string]string{
		"taskRole":  "taskDefinition.taskRoleArn",
		"c.env":     "taskDefinition.containerDefinitions[1].environment[0].name",
		"c.command": "taskDefinition.containerDefinitions[1].command[0]",
	}

	example := func() *draft.State {
		st := draft.Example("us-east-1", "arn:aws:iam::123456789012:role/ecsTaskExecutionRole")
		st.Subnets = []string{"subnet-0123456789abcdef0"}
		st.LBSubnets = []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}
		return st
	}
	if _, ps := example().Spec("us-east-1", nil); len(ps) > 0 {
		t.Fatalf("the example is refused: %v", ps)
	}
	tested := map[string]bool{}
	for _, c := range cases {
		st := example()
		c.bad(st)
		_, ps := st.Spec("us-east-1", nil)
		errs, list := stepProblems("review", st.Fields(), ps)
		if _, ok := errs[c.field]; !ok || len(list) == 0 {
			t.Errorf("%s: a bad value's problem is not next to it; problems %v placed at %v", c.field, ps, errs)
			continue
		}
		if i := slices.IndexFunc(list, func(p web.Problem) bool { return p.Field == c.field }); i < 0 || list[i].Label != fieldLabel(c.field) {
			t.Errorf("%s: the summary does not name it by its label %q: %+v", c.field, fieldLabel(c.field), list)
		}
		tested[fieldKind(c.field)] = true
	}
	fields := example().Fields()
	for kind, path := range noRule {
		want := strings.Replace(kind, "c.", "c1.", 1)
		if f, _ := fields.FieldOf(path); f.Name != want {
			t.Errorf("a problem at %s would be shown at %q, not %q", path, f.Name, want)
		}
		tested[kind] = true
	}
	for _, f := range formValues(example()).order {
		if !tested[fieldKind(f)] && !slices.Contains(cannotBeWrong, fieldKind(f)) {
			t.Errorf("the form shows %s but no case gives it a bad value", f)
		}
	}
}

// fieldKind is a field's name with a container's number left out
// (c1.image → c.image): a case for one container covers them all.
func fieldKind(field string) string {
	if rest, ok := strings.CutPrefix(field, "c"); ok {
		if num, member, _ := strings.Cut(rest, "."); num != "" && strings.Trim(num, "0123456789") == "" {
			return "c." + member
		}
	}
	return field
}
