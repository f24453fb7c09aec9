package deploy

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

func parseJourney(t *testing.T, edits ...edit) *ecsconsole.Spec {
	t.Helper()
	spec, err := Parse(journeyWith(t, edits...))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return spec
}

// change builds an expected Change from JSON literals ("" for absent).
func change(path string, kind ChangeKind, old, new string) Change {
	c := Change{Path: path, Kind: kind}
	if old != "" {
		c.Old = json.RawMessage(old)
	}
	if new != "" {
		c.New = json.RawMessage(new)
	}
	return c
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		edits []edit
		want  []Change
	}{
		{"identical", nil, nil},
		{"new image", []edit{set(web+".image", "php:8.4-apache")},
			[]Change{change("taskDefinition.containerDefinitions[name=web].image", Changed, `"php:8.3-apache"`, `"php:8.4-apache"`)}},
		{"containers reordered", []edit{swapContainers()}, nil},
		{"environment reordered", []edit{set(web+".environment", list(
			obj{"name": "APACHE_LISTEN_PORT", "value": "8080"}, obj{"name": "REDIS_HOST", "value": "localhost"}))}, nil},
		{"environment value changed", []edit{set(web+".environment[0].value", "127.0.0.1")},
			[]Change{change("taskDefinition.containerDefinitions[name=web].environment[name=REDIS_HOST].value", Changed, `"localhost"`, `"127.0.0.1"`)}},
		{"container added", []edit{addContainer(obj{"name": "worker", "image": "php:8.3-cli", "essential": false})},
			[]Change{change("taskDefinition.containerDefinitions[name=worker]", Added, "", `{"essential":false,"image":"php:8.3-cli","name":"worker"}`)}},
		{"port mapping changed", []edit{set(redis+".portMappings", list(obj{"containerPort": 6380, "protocol": "tcp"}))},
			[]Change{
				change("taskDefinition.containerDefinitions[name=redis].portMappings[containerPort=6379]", Removed, `{"containerPort":6379,"protocol":"tcp"}`, ""),
				change("taskDefinition.containerDefinitions[name=redis].portMappings[containerPort=6380]", Added, "", `{"containerPort":6380,"protocol":"tcp"}`),
			}},
		{"scale and subnets", []edit{set("service.desiredCount", 3), set("service.subnets", list("subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"))},
			[]Change{
				change("service.desiredCount", Changed, "2", "3"),
				change("service.subnets", Changed, `["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"]`, `["subnet-0a1b2c3d4e5f60002","subnet-0a1b2c3d4e5f60003"]`),
			}},
		{"https removed", []edit{del("loadBalancer.https")},
			[]Change{change("loadBalancer.https", Removed, `{"redirectHttp":true,"requestDomain":"app.example.com"}`, "")}},
		{"optional member set", []edit{set(td+".taskRoleArn", "arn:aws:iam::000000000000:role/php-app")},
			[]Change{change("taskDefinition.taskRoleArn", Added, "", `"arn:aws:iam::000000000000:role/php-app"`)}},
		{"awslogs option renamed", []edit{set(redis+".logConfiguration.options.awslogs-stream-prefix", "cache")},
			[]Change{change("taskDefinition.containerDefinitions[name=redis].logConfiguration.options.awslogs-stream-prefix", Changed, `"redis"`, `"cache"`)}},
	}
	base := parseJourney(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(base, parseJourney(t, tt.edits...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff =\n%s\nwant\n%s", formatChanges(got), formatChanges(tt.want))
			}
		})
	}
}

func TestDiffIsSortedAndStable(t *testing.T) {
	a := parseJourney(t)
	b := parseJourney(t, set("service.desiredCount", 4), set("cluster.name", "prod"), set(redis+".image", "redis:7.4"),
		del("loadBalancer.https.redirectHttp"), set("region", "eu-west-1"))
	first := Diff(a, b)
	if len(first) != 5 {
		t.Fatalf("Diff = %s, want 5 changes", formatChanges(first))
	}
	if !slices.IsSortedFunc(first, func(x, y Change) int { return strings.Compare(x.Path, y.Path) }) {
		t.Errorf("changes not sorted by path:\n%s", formatChanges(first))
	}
	for range 5 {
		if again := Diff(a, b); !reflect.DeepEqual(again, first) {
			t.Fatalf("Diff not stable:\n%s\nthen\n%s", formatChanges(first), formatChanges(again))
		}
	}
	// The reverse diff mirrors the forward one.
	back := Diff(b, a)
	for i, c := range back {
		f := first[i]
		if c.Path != f.Path || string(c.Old) != string(f.New) || string(c.New) != string(f.Old) {
			t.Errorf("reverse change %d = %+v, want mirror of %+v", i, c, f)
		}
	}
}

func TestDiffFromNothing(t *testing.T) {
	spec := parseJourney(t, del("loadBalancer"))
	got := Diff(nil, spec)
	var paths []string
	for _, c := range got {
		if c.Kind != Added || c.Old != nil {
			t.Errorf("change %+v: want added with no old value", c)
		}
		paths = append(paths, c.Path)
	}
	if want := []string{"cluster", "region", "service", "taskDefinition"}; !slices.Equal(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	if Diff(nil, nil) != nil {
		t.Error("Diff(nil, nil) should be empty")
	}
}

func TestChangeJSON(t *testing.T) {
	got := mustJSON(t, []Change{
		change("service.desiredCount", Changed, "2", "3"),
		change("loadBalancer", Removed, `{"name":"php-app"}`, ""),
	})
	want := `[{"path":"service.desiredCount","kind":"changed","old":2,"new":3},{"path":"loadBalancer","kind":"removed","old":{"name":"php-app"}}]`
	if string(got) != want {
		t.Errorf("JSON = %s\nwant   %s", got, want)
	}
}

func swapContainers() edit {
	return func(t testing.TB, doc map[string]any) {
		defs := doc["taskDefinition"].(map[string]any)["containerDefinitions"].([]any)
		defs[0], defs[1] = defs[1], defs[0]
	}
}

func addContainer(c obj) edit {
	return func(t testing.TB, doc map[string]any) {
		tdef := doc["taskDefinition"].(map[string]any)
		tdef["containerDefinitions"] = append(tdef["containerDefinitions"].([]any), c)
	}
}

func formatChanges(cs []Change) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString("  " + c.Path + " " + string(c.Kind) + ": " + string(c.Old) + " -> " + string(c.New) + "\n")
	}
	return b.String()
}
