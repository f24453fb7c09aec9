package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

// ---- helpers shared by this package's tests ----

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// journeyDoc returns the docs/design.md §1 journey spec as generic JSON to edit.
func journeyDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := decodeGeneric(readTestdata(t, "spec-journey.json"), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// describeDoc returns testdata/describe-task-definition.json as generic JSON.
func describeDoc(t testing.TB) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := decodeGeneric(readTestdata(t, "describe-task-definition.json"), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit changes a generic JSON document in place.
type edit func(t testing.TB, doc map[string]any)

// set stores v at a path such as "service.subnets[0]" (creating objects on
// the way); del removes the member or element at path.
func set(path string, v any) edit {
	return func(t testing.TB, doc map[string]any) { walkTo(t, doc, path, v, false) }
}

func del(path string) edit {
	return func(t testing.TB, doc map[string]any) { walkTo(t, doc, path, nil, true) }
}

func walkTo(t testing.TB, doc map[string]any, path string, v any, remove bool) {
	t.Helper()
	var parent any = doc
	segs := splitPath(path)
	for i, seg := range segs {
		last := i == len(segs)-1
		switch p := parent.(type) {
		case map[string]any:
			if last {
				if remove {
					delete(p, seg.key)
				} else {
					p[seg.key] = v
				}
				return
			}
			if _, ok := p[seg.key]; !ok {
				p[seg.key] = map[string]any{}
			}
			parent = p[seg.key]
		case []any:
			if last {
				if remove {
					t.Fatalf("del %s: deleting list elements is not supported", path)
				}
				p[seg.index] = v
				return
			}
			parent = p[seg.index]
		default:
			t.Fatalf("path %s: cannot descend into %T", path, parent)
		}
	}
}

type pathSeg struct {
	key   string
	index int
}

func splitPath(path string) []pathSeg {
	var segs []pathSeg
	for part := range strings.SplitSeq(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		segs = append(segs, pathSeg{key: name})
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			n, _ := strconv.Atoi(idx)
			segs = append(segs, pathSeg{index: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return segs
}

// applyEdits returns the journey spec with edits applied, as JSON.
func journeyWith(t testing.TB, edits ...edit) []byte {
	t.Helper()
	doc := journeyDoc(t)
	for _, e := range edits {
		e(t, doc)
	}
	return mustJSON(t, doc)
}

// problemsOf unwraps a *ValidationError, failing the test otherwise.
func problemsOf(t testing.TB, err error) []ecsconsole.Problem {
	t.Helper()
	var ve *ecsconsole.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *ValidationError", err, err)
	}
	return ve.Problems
}

func findProblem(ps []ecsconsole.Problem, path string) (ecsconsole.Problem, bool) {
	i := slices.IndexFunc(ps, func(p ecsconsole.Problem) bool { return p.Path == path })
	if i < 0 {
		return ecsconsole.Problem{}, false
	}
	return ps[i], true
}

// ---- tests ----

func TestParseJourney(t *testing.T) {
	spec, err := Parse(readTestdata(t, "spec-journey.json"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got, want := spec.ServiceKey(), "us-east-1/demo/php-app"; got != want {
		t.Errorf("ServiceKey = %q, want %q", got, want)
	}
	if spec.Service.DesiredCount == nil || *spec.Service.DesiredCount != 2 {
		t.Errorf("DesiredCount = %v, want 2", spec.Service.DesiredCount)
	}
	if spec.LoadBalancer == nil || spec.LoadBalancer.HTTPS == nil || spec.LoadBalancer.HTTPS.RequestDomain != "app.example.com" || !spec.LoadBalancer.HTTPS.RedirectHTTP {
		t.Errorf("LoadBalancer = %+v, want https requestDomain app.example.com with redirect", spec.LoadBalancer)
	}
	td, err := TaskDefinitionInput(spec)
	if err != nil {
		t.Fatalf("TaskDefinitionInput: %v", err)
	}
	if got := []string{*td.ContainerDefinitions[0].Image, *td.ContainerDefinitions[1].Image}; !slices.Equal(got, []string{"php:8.3-apache", "redis:7"}) {
		t.Errorf("images = %v", got)
	}
	if td.NetworkMode != types.NetworkModeAwsvpc || *td.Cpu != "512" || *td.Memory != "1024" {
		t.Errorf("task = %s cpu %s memory %s", td.NetworkMode, *td.Cpu, *td.Memory)
	}
	if got := td.ContainerDefinitions[0].LogConfiguration.Options["awslogs-create-group"]; got != "true" {
		t.Errorf("awslogs-create-group = %q", got)
	}
}

func TestParseDescribeTaskDefinitionOutput(t *testing.T) {
	describe := describeDoc(t)
	tests := []struct {
		name     string
		td       any
		wantTags bool
	}{
		{"whole output with tags", describe, true},
		{"inner taskDefinition object", describe["taskDefinition"], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Parse(journeyWith(t, set("taskDefinition", tt.td)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var members map[string]json.RawMessage
			if err := json.Unmarshal(spec.TaskDefinition, &members); err != nil {
				t.Fatal(err)
			}
			for k := range members {
				if isReadOnlyMember(k) || k == "taskDefinition" {
					t.Errorf("normalized task definition keeps %q", k)
				}
			}
			td, err := TaskDefinitionInput(spec)
			if err != nil {
				t.Fatalf("TaskDefinitionInput: %v", err)
			}
			if *td.Family != "php-app" || len(td.ContainerDefinitions) != 2 || *td.ContainerDefinitions[1].Name != "redis" {
				t.Errorf("decoded family %q with %d containers", *td.Family, len(td.ContainerDefinitions))
			}
			wantTags := []types.Tag(nil)
			if tt.wantTags {
				wantTags = []types.Tag{{Key: new("team"), Value: new("web")}}
			}
			if !reflect.DeepEqual(td.Tags, wantTags) {
				t.Errorf("tags = %+v, want %+v", td.Tags, wantTags)
			}
		})
	}
}

func TestParseDescribeOutputProblems(t *testing.T) {
	tests := []struct {
		name string
		edit edit
		path string
		want string
	}{
		{"extra member beside taskDefinition", set("taskDefinition.ResponseMetadata", map[string]any{}), "taskDefinition.ResponseMetadata", "only taskDefinition and tags are expected"},
		{"tags both inside and beside", set("taskDefinition.taskDefinition.tags", []any{}), "taskDefinition.tags", "keep one list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := journeyWith(t, set("taskDefinition", describeDoc(t)), tt.edit)
			_, err := Parse(data)
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems = %v, want one at %s containing %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestParseRejectsUnknownFields(t *testing.T) {
	tests := []struct {
		name string
		edit edit
		path string
		want string
	}{
		{"top level misspelling", set("regoin", "us-east-1"), "regoin", `unknown field; did you mean "region"?`},
		{"wrong case in service", set("service.DesiredCount", 2), "service.DesiredCount", `member names are case-sensitive: write "desiredCount"`},
		{"nested in target group", set("loadBalancer.targetGroup.protocol", "HTTP"), "loadBalancer.targetGroup.protocol", "unknown field; remove it"},
		{"deep in task definition", set("taskDefinition.containerDefinitions[0].portMappings[0].containerport", 80), "taskDefinition.containerDefinitions[0].portMappings[0].containerport", `write "containerPort"`},
		{"misspelt container member", set("taskDefinition.containerDefinitions[1].imagee", "redis:7"), "taskDefinition.containerDefinitions[1].imagee", `did you mean "image"?`},
		{"describe-only member at wrong level", set("service.taskDefinitionArn", "x"), "service.taskDefinitionArn", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(journeyWith(t, tt.edit))
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems = %v, want one at %s containing %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestParseRejectsWrongTypes(t *testing.T) {
	tests := []struct {
		name string
		edit edit
		path string
		want string
	}{
		{"count as string", set("service.desiredCount", "2"), "service.desiredCount", "must be a number; found a string"},
		{"fractional port", set("taskDefinition.containerDefinitions[1].portMappings[0].containerPort", json.Number("6379.5")), "taskDefinition.containerDefinitions[1].portMappings[0].containerPort", "6379.5 is not a whole number"},
		{"port beyond int32", set("taskDefinition.containerDefinitions[1].portMappings[0].containerPort", json.Number("9999999999")), "taskDefinition.containerDefinitions[1].portMappings[0].containerPort", "out of range"},
		{"cpu as number", set("taskDefinition.cpu", 512), "taskDefinition.cpu", "must be a string; found a number"},
		{"unknown enum value", set("taskDefinition.containerDefinitions[1].portMappings[0].protocol", "sctp"), "taskDefinition.containerDefinitions[1].portMappings[0].protocol", `"sctp" is not a valid value; use one of tcp, udp`},
		{"list expected", set("service.subnets", "subnet-0a1b2c3d"), "service.subnets", "must be a list; found a string"},
		{"object expected", set("cluster", "demo"), "cluster", "must be an object; found a string"},
		{"map value", set("taskDefinition.containerDefinitions[0].dockerLabels", map[string]any{"com.example.team": true}), `taskDefinition.containerDefinitions[0].dockerLabels["com.example.team"]`, "must be a string; found true/false"},
		{"bool expected", set("service.assignPublicIp", "yes"), "service.assignPublicIp", "must be true or false"},
		{"map expected", set("taskDefinition.containerDefinitions[0].dockerLabels", []any{}), "taskDefinition.containerDefinitions[0].dockerLabels", "must be an object; found a list"},
		{"task definition not an object", set("taskDefinition", "php-app:3"), "taskDefinition", "must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(journeyWith(t, tt.edit))
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems = %v, want one at %s containing %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		path  string
		want  string
	}{
		{"empty", "", "", "the spec is empty"},
		{"not an object", `["demo"]`, "", "must be a JSON object"},
		{"trailing comma", "{\n  \"cluster\": {\"name\": \"demo\",}\n}", "cluster", "line 2, column 30: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"missing comma in list", `{"service": {"subnets": ["subnet-1" "subnet-2"]}}`, "service.subnets[1]", "line 1, column 37: invalid JSON: invalid character '\"' after array element"},
		{"duplicate member", `{"service": {"name": "a", "name": "b"}}`, "service.name", "appears twice in the same object"},
		{"truncated", `{"service": {"subnets": [`, "service.subnets[0]", "the JSON ends early"},
		{"unterminated string", `{"region": "us-east-1`, "region", "the JSON ends early"},
		{"two objects", "{}\n  {}", "", "line 2, column 3: unexpected data after the spec's closing brace"},
		{"too deep", `{"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "}", "x" + strings.Repeat("[0]", 63), "nests deeper than 64 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.input))
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems = %v, want one at %q containing %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestParseSizeLimits(t *testing.T) {
	big := strings.Repeat("x", 70<<10)
	tests := []struct {
		name string
		data []byte
		path string
		want string
	}{
		{"spec over 256 KiB", append(readTestdata(t, "spec-journey.json"), bytes.Repeat([]byte(" "), ecsconsole.MaxSpecBytes)...), "", "the limit is 262144 (256 KiB)"},
		{"task definition over 64 KiB", journeyWith(t, set("taskDefinition.containerDefinitions[1].environment", []any{map[string]any{"name": "BIG", "value": big}})), "taskDefinition", "AWS accepts at most 65536 (64 KiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data)
			ps := problemsOf(t, err)
			if len(ps) != 1 || ps[0].Path != tt.path || !strings.Contains(ps[0].Message, tt.want) {
				t.Errorf("problems = %v, want one at %q containing %q", ps, tt.path, tt.want)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	describe := describeDoc(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"journey", readTestdata(t, "spec-journey.json")},
		{"describe output", journeyWith(t, set("taskDefinition", describe))},
		{"without load balancer", journeyWith(t, del("loadBalancer"))},
		{"html characters kept", journeyWith(t, set("taskDefinition.containerDefinitions[1].command", []any{"sh", "-c", "redis-server && echo '<ok>'"}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := Parse(tt.data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			second, err := Parse(first.JSON())
			if err != nil {
				t.Fatalf("Parse(JSON()): %v", err)
			}
			if !reflect.DeepEqual(first, second) {
				t.Errorf("round trip changed the spec:\nfirst  %s\nsecond %s", first.JSON(), second.JSON())
			}
			if !bytes.Equal(first.JSON(), second.JSON()) {
				t.Errorf("JSON not stable:\n%s\n%s", first.JSON(), second.JSON())
			}
			if bytes.Contains(first.JSON(), []byte(`\u003c`)) {
				t.Errorf("JSON escapes HTML characters: %s", first.JSON())
			}
		})
	}
}

func TestParseWithDefaultRegion(t *testing.T) {
	noRegion := journeyWith(t, del("region"))
	spec, err := ParseWithDefaultRegion(noRegion, "eu-west-1")
	if err != nil {
		t.Fatalf("ParseWithDefaultRegion: %v", err)
	}
	if got, want := spec.ServiceKey(), "eu-west-1/demo/php-app"; got != want {
		t.Errorf("ServiceKey = %q, want %q", got, want)
	}

	spec, err = Parse(noRegion)
	if err != nil || spec.Region != "" {
		t.Errorf("Parse without region: region %q, err %v; want empty and nil", spec.Region, err)
	}

	explicit, err := ParseWithDefaultRegion(readTestdata(t, "spec-journey.json"), "eu-west-1")
	if err != nil || explicit.Region != "us-east-1" {
		t.Errorf("explicit region replaced: %q, %v", explicit.Region, err)
	}

	// The default applies before validation, so certificate regions are checked against it.
	withCert := journeyWith(t, del("region"), del("loadBalancer.https.requestDomain"),
		set("loadBalancer.https.certificateArn", "arn:aws:acm:us-east-1:000000000000:certificate/0a1b2c3d-1111-2222-3333-444455556666"))
	_, err = ParseWithDefaultRegion(withCert, "eu-west-1")
	if p, ok := findProblem(problemsOf(t, err), "loadBalancer.https.certificateArn"); !ok || !strings.Contains(p.Message, "the certificate is in us-east-1 but the spec deploys to eu-west-1") {
		t.Errorf("problems = %v, want certificate region mismatch", err)
	}
}

func TestTaskDefinitionInputIsStrict(t *testing.T) {
	spec := &ecsconsole.Spec{TaskDefinition: json.RawMessage(`{"family":"php-app","containerDefinitions":[{"name":"web","image":"php","portMapping":[]}]}`)}
	_, err := TaskDefinitionInput(spec)
	if err == nil || !strings.Contains(err.Error(), `unknown field "portMapping"`) {
		t.Errorf("TaskDefinitionInput error = %v, want unknown field portMapping", err)
	}
	if _, err := TaskDefinitionInput((&ecsconsole.Spec{})); err == nil {
		t.Error("TaskDefinitionInput on a spec without task definition: want error")
	}
}

// The stripped members must be exactly what describe returns and register
// does not take, or an SDK upgrade has added one.
func TestReadOnlyMembersMatchSDK(t *testing.T) {
	described := reflect.TypeFor[types.TaskDefinition]()
	input := memberFields(reflect.TypeFor[ecs.RegisterTaskDefinitionInput]())
	for name, f := range memberFields(described) {
		_, accepted := input[name]
		if isReadOnlyMember(name) == accepted {
			t.Errorf("member %s (%s): read-only = %v, but RegisterTaskDefinition accepts it = %v", name, f.Name, !accepted, accepted)
		}
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := &ecsconsole.ValidationError{Problems: []ecsconsole.Problem{{Path: "service.name", Message: "is required"}, {Message: "the spec is empty"}}}
	if got, want := err.Error(), "invalid deployment spec: service.name: is required; the spec is empty"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// checkShape panics on kinds it does not know; every type reachable from the
// spec and RegisterTaskDefinitionInput must be one it handles, or an SDK
// upgrade has introduced a new kind.
func TestShapeCheckerHandlesEveryKind(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Struct:
			for name, f := range memberFields(typ) {
				walk(path+"."+name, f.Type)
			}
		case reflect.Slice, reflect.Map:
			walk(path+"[]", typ.Elem())
		case reflect.String, reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int, reflect.Interface:
		default:
			t.Errorf("%s has kind %s, which checkShape does not handle", path, typ.Kind())
		}
	}
	walk("taskDefinition", reflect.TypeFor[ecs.RegisterTaskDefinitionInput]())
	spec := reflect.TypeFor[ecsconsole.Spec]()
	for name, f := range memberFields(spec) {
		if name != "taskDefinition" { // raw JSON, checked against the SDK type above
			walk(name, f.Type)
		}
	}
}
