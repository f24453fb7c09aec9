package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

func TestJourneyHTTPThenHTTPS(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	d := env.submit(env.spec(nil))

	parked := env.waitStatus(d.ID, ecsconsole.StatusWaitingForDNS)
	if len(parked.DNSValidation) == 0 || parked.DNSValidation[0].Type != "CNAME" || parked.DNSValidation[0].DomainName != "app.example.com" {
		t.Fatalf("waiting for DNS without CNAME records: %+v", parked.DNSValidation)
	}
	if !strings.HasPrefix(parked.Outputs.URL, "http://") || parked.Outputs.LoadBalancerDNS == "" {
		t.Fatalf("while waiting for DNS the service should answer over HTTP: outputs %+v", parked.Outputs)
	}
	steps := env.steps(d.ID)
	if steps[stepServiceStable].Status != ecsconsole.StepSucceeded || steps[stepHTTPSListener].Status != "" {
		t.Fatalf("parked with service-stable %s, https-listener %q", steps[stepServiceStable].Status, steps[stepHTTPSListener].Status)
	}

	env.issueCertificates()
	done := env.waitStatus(d.ID, ecsconsole.StatusSucceeded)
	if done.Outputs.URL != "https://app.example.com" {
		t.Fatalf("URL %q, want https://app.example.com", done.Outputs.URL)
	}
	if len(done.Outputs.Tasks) != 2 || done.Outputs.Tasks[0].PrivateIP == "" || done.Outputs.Tasks[0].PublicIP == "" {
		t.Fatalf("task addresses %+v", done.Outputs.Tasks)
	}
	for _, role := range []string{"cluster", "service", "taskDefinition", "loadBalancer", "targetGroup", "httpListener", "httpsListener", "certificate", "taskSecurityGroup", "loadBalancerSecurityGroup"} {
		if done.Outputs.ARNs[role] == "" {
			t.Errorf("outputs lack the %s ARN: %v", role, done.Outputs.ARNs)
		}
	}
	if done.TaskDefinitionARN == "" || len(done.TaskDefinition) == 0 {
		t.Fatalf("task definition not stored: %q", done.TaskDefinitionARN)
	}
	steps = env.steps(d.ID)
	for _, gn := range stepGraph(env.spec(nil)) {
		s := steps[gn.name]
		if s.Status != ecsconsole.StepSucceeded {
			t.Errorf("step %s is %s (%s)", gn.name, s.Status, s.ErrorMessage)
		}
		if s.Calls > 0 && s.AWSRequestID == "" {
			t.Errorf("step %s made %d calls but recorded no request id", gn.name, s.Calls)
		}
	}
	for _, name := range []string{stepCluster, stepLoadBalancer, stepTargetGroup, stepTaskDefinition, stepCertificate, stepService} {
		if steps[name].Action != ecsconsole.ActionCreate {
			t.Errorf("step %s: action %q, want create", name, steps[name].Action)
		}
	}
	if steps[stepHTTPRedirect].Action != ecsconsole.ActionUpdate {
		t.Errorf("redirect: action %q, want update", steps[stepHTTPRedirect].Action)
	}

	// A second identical plan reuses everything.
	plan, err := env.engine.Plan(context.Background(), env.spec(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range plan.Items {
		if it.Action != ecsconsole.ActionReuse {
			t.Errorf("plan after the deployment: %s %s → %s (%s), want reuse", it.Resource, it.Name, it.Action, it.Reason)
		}
	}
}

func TestPlanOnAnEmptyAccountCreatesEverything(t *testing.T) {
	env := newTestEnv(t, envOptions{memory: true})
	plan, err := env.engine.Plan(context.Background(), env.spec(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"security group php-app-alb":   "security group php-app-alb does not exist",
		"security group php-app-tasks": "security group php-app-tasks does not exist",
		"task definition php-app":      "family php-app has no active revision",
		"cluster demo":                 "cluster demo does not exist",
		"target group php-app":         "target group php-app does not exist",
		"load balancer php-app":        "load balancer php-app does not exist",
		"listener HTTPS:443":           "a new load balancer has no listeners",
		"listener HTTP:80":             "a new load balancer has no listeners",
		"service php-app":              "service php-app does not exist in cluster demo",
		"certificate app.example.com":  "no certificate for app.example.com: request one, validated by DNS",
		// The redirect changes the port 80 listener once 443 serves.
		"listener HTTP:80 redirect": "port 80 will redirect to HTTPS once port 443 serves",
	}
	if len(plan.Items) != len(want) {
		t.Fatalf("plan has %d items, want %d: %+v", len(plan.Items), len(want), plan.Items)
	}
	for _, it := range plan.Items {
		reason, ok := want[it.Resource+" "+it.Name]
		wantAction := ecsconsole.ActionCreate
		if it.Step == stepHTTPRedirect {
			wantAction = ecsconsole.ActionUpdate
		}
		if !ok || it.Action != wantAction || !strings.HasPrefix(it.Reason, reason) {
			t.Errorf("plan item %s %s: %s (%q)", it.Resource, it.Name, it.Action, it.Reason)
		}
	}
}
