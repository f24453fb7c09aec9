package handlers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/deploy"
)

// TestExplainWordsChangesBySection words the changes deploy.Diff finds
// between the journey spec and one with its image, an environment
// variable, a secret, the task size, the desired count, the subnets, the
// health check path and HTTPS changed (listed as Diff lists them).
func TestExplainWordsChangesBySection(t *testing.T) {
	changes := []deploy.Change{
		{Path: "loadBalancer.https", Kind: deploy.Removed, Old: json.RawMessage("{\"redirectHttp\":true,\"requestDomain\":\"app.example.com\"}"), New: json.RawMessage("")},
		{Path: "loadBalancer.targetGroup.healthCheckPath", Kind: deploy.Changed, Old: json.RawMessage("\"/\""), New: json.RawMessage("\"/health\"")},
		{Path: "service.desiredCount", Kind: deploy.Changed, Old: json.RawMessage("2"), New: json.RawMessage("3")},
		{Path: "service.subnets", Kind: deploy.Changed, Old: json.RawMessage("[\"subnet-0a1b2c3d4e5f60001\",\"subnet-0a1b2c3d4e5f60002\"]"), New: json.RawMessage("[\"subnet-0a1b2c3d4e5f60002\",\"subnet-0a1b2c3d4e5f60003\"]")},
		{Path: "taskDefinition.containerDefinitions[name=web].environment[name=REDIS_HOST].value", Kind: deploy.Changed, Old: json.RawMessage("\"localhost\""), New: json.RawMessage("\"127.0.0.1\"")},
		{Path: "taskDefinition.containerDefinitions[name=web].image", Kind: deploy.Changed, Old: json.RawMessage("\"php:8.3-apache\""), New: json.RawMessage("\"php:8.4-apache\"")},
		{Path: "taskDefinition.containerDefinitions[name=web].secrets", Kind: deploy.Added, Old: json.RawMessage(""), New: json.RawMessage("[{\"name\":\"DB_PASSWORD\",\"valueFrom\":\"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf\"}]")},
		{Path: "taskDefinition.cpu", Kind: deploy.Changed, Old: json.RawMessage("\"512\""), New: json.RawMessage("\"1024\"")},
		{Path: "taskDefinition.memory", Kind: deploy.Changed, Old: json.RawMessage("\"1024\""), New: json.RawMessage("\"2048\"")},
	}
	sections := wordChanges(changes)
	var got []string
	for _, s := range sections {
		for _, c := range s.Changes {
			line := s.Title + ": " + c.What + " " + string(c.Kind)
			if c.Hidden {
				line += " (hidden)"
			} else if c.Kind == deploy.Changed {
				line += " " + c.Old + " → " + c.New
			}
			got = append(got, line)
		}
	}
	want := []string{
		"Container web: environment variable REDIS_HOST changed localhost → 127.0.0.1",
		"Container web: image changed php:8.3-apache → php:8.4-apache",
		"Container web: secrets DB_PASSWORD added (hidden)",
		"Task size: CPU units changed 512 → 1024",
		"Task size: memory (MiB) changed 1024 → 2048",
		"Service: desired count changed 2 → 3",
		`Networking: subnets changed ["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"] → ["subnet-0a1b2c3d4e5f60002","subnet-0a1b2c3d4e5f60003"]`,
		"Load balancer: target group healthCheckPath changed / → /health",
		"HTTPS and certificate: HTTPS listener (443) removed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A secret's reference changes: named, never shown.
	// (Diff of that spec and one whose secret has another valueFrom.)
	again := []deploy.Change{
		{Path: "loadBalancer.https", Kind: deploy.Added, Old: json.RawMessage(""), New: json.RawMessage("{\"redirectHttp\":true,\"requestDomain\":\"app.example.com\"}")},
		{Path: "loadBalancer.targetGroup.healthCheckPath", Kind: deploy.Changed, Old: json.RawMessage("\"/health\""), New: json.RawMessage("\"/\"")},
		{Path: "service.desiredCount", Kind: deploy.Changed, Old: json.RawMessage("3"), New: json.RawMessage("2")},
		{Path: "service.subnets", Kind: deploy.Changed, Old: json.RawMessage("[\"subnet-0a1b2c3d4e5f60002\",\"subnet-0a1b2c3d4e5f60003\"]"), New: json.RawMessage("[\"subnet-0a1b2c3d4e5f60001\",\"subnet-0a1b2c3d4e5f60002\"]")},
		{Path: "taskDefinition.containerDefinitions[name=web].environment[name=REDIS_HOST].value", Kind: deploy.Changed, Old: json.RawMessage("\"127.0.0.1\""), New: json.RawMessage("\"localhost\"")},
		{Path: "taskDefinition.containerDefinitions[name=web].image", Kind: deploy.Changed, Old: json.RawMessage("\"php:8.4-apache\""), New: json.RawMessage("\"php:8.3-apache\"")},
		{Path: "taskDefinition.containerDefinitions[name=web].secrets[name=DB_PASSWORD].valueFrom", Kind: deploy.Changed, Old: json.RawMessage("\"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf\""), New: json.RawMessage("\"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-GhIjKl\"")},
		{Path: "taskDefinition.cpu", Kind: deploy.Changed, Old: json.RawMessage("\"1024\""), New: json.RawMessage("\"512\"")},
		{Path: "taskDefinition.memory", Kind: deploy.Changed, Old: json.RawMessage("\"2048\""), New: json.RawMessage("\"1024\"")},
	}
	sections = append(sections, wordChanges(again)...)
	found := false
	for _, s := range sections {
		for _, c := range s.Changes {
			if strings.Contains(c.Old+c.New, "secretsmanager") {
				t.Errorf("a secret's reference is shown: %+v", c)
			}
			found = found || c.What == "secret DB_PASSWORD" && c.Hidden
		}
	}
	if !found {
		t.Error("a changed secret is not named")
	}
}
