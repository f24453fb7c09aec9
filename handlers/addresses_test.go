package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecsconsole/ecsconsole/store"
)

// seedServed stores one succeeded deployment of web with spec and outputs.
func seedServed(t *testing.T, c *testConsole, spec, outputs string) {
	t.Helper()
	_, err := c.Store.Pool().Exec(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, kind, spec, status,
		created_by_name, reason, task_definition, task_definition_arn, finished_at, outputs)
		VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', 'deploy', $1, 'succeeded', 'dora', '', '{"family":"web"}',
		'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', now(), $2)`, spec, outputs)
	if err != nil {
		t.Fatal(err)
	}
}

const noLBSpec = `{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web","desiredCount":2,"newSecurityGroup":{"name":"web","ingressPorts":[8080]}},
	"taskDefinition":{"family":"web","containerDefinitions":[{"name":"redis","image":"redis:7","portMappings":[{"containerPort":6379}]},{"name":"web","image":"php:8.3","portMappings":[{"containerPort":8080}]}]}}`

func TestWhereItLivesWithoutALoadBalancer(t *testing.T) {
	c := newConsole(t)
	seedServed(t, c, noLBSpec, `{"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/demo/a","privateIp":"172.31.0.5","publicIp":"3.89.136.151"},
		{"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/demo/b","privateIp":"172.31.0.6","publicIp":"3.89.136.152"}]}`)
	c.addUser("vic", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.login("vic", testPassword), http.StatusSeeOther)

	want := []string{"http://3.89.136.151:8080", "http://3.89.136.152:8080"}
	page := doc(t, b.get("/deployments/1"))
	var got []string
	for _, n := range page.Find("p.task-addresses a").Nodes {
		got = append(got, n.FirstChild.Data)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("deployment page addresses = %v, want %v", got, want)
	}
	if txt := page.Find("p.task-addresses").Text(); !strings.Contains(txt, "Serving at") || !strings.Contains(txt, "2 tasks") {
		t.Errorf("addresses line = %q", txt)
	}

	card := doc(t, b.get("/services")).Find(`article.service dd.addresses`)
	if txt := card.Text(); !strings.Contains(txt, want[0]) || !strings.Contains(txt, want[1]) {
		t.Errorf("services card addresses = %q", txt)
	}
}

func TestLastStepNamesEveryName(t *testing.T) {
	c := newConsole(t)
	spec := `{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web","desiredCount":1},
		"loadBalancer":{"name":"web","targetGroup":{"name":"web","containerName":"web","containerPort":8080},
		"https":{"requestDomain":"app.example.com","alternativeNames":["www.example.com","*.example.com"]}},
		"taskDefinition":{"family":"web","containerDefinitions":[{"name":"web","image":"php:8.3","portMappings":[{"containerPort":8080}]}]}}`
	seedServed(t, c, spec, `{"url":"https://app.example.com","loadBalancerDns":"web-1.us-east-1.elb.amazonaws.com",
		"tasks":[{"taskArn":"arn:aws:ecs:us-east-1:000000000000:task/demo/a","privateIp":"172.31.0.5","publicIp":"3.89.136.151"}]}`)
	c.addUser("vic", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.login("vic", testPassword), http.StatusSeeOther)
	d := doc(t, b.get("/deployments/1"))
	box := d.Find("article.last-step")
	if got := strings.Join(strings.Fields(box.Find("header").Text()), " "); got != "Last step: point app.example.com and www.example.com at the load balancer" {
		t.Errorf("last step header = %q", got)
	}
	var names []string
	box.Find(`code[id^="domain-name-"]`).Each(func(_ int, s *goquery.Selection) { names = append(names, s.Text()) })
	if strings.Join(names, " ") != "app.example.com www.example.com" {
		t.Errorf("names to copy = %v", names)
	}
	if d.Find("p.task-addresses").Length() != 0 {
		t.Error("task addresses shown although the load balancer serves")
	}
}
