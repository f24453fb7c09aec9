package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecsconsole/ecsconsole/store"
)

// seedChangeable stores the journey spec as deployment 1 of php-app,
// finished, through the API (the path every deployment takes).
func seedChangeable(t *testing.T, c *testConsole) {
	t.Helper()
	token := c.token("deb", store.RoleDeployer)
	resp, out := c.apiCall(http.MethodPost, "/api/v1/deployments", token, sandboxJourneyBody(t, c, token))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("seeding: %d %v", resp.StatusCode, out)
	}
	finishAll(t, c)
}

// finishAll marks every unfinished deployment succeeded, as the engine
// would once its job ran (the handler tests run no workers).
// sandboxJourneyBody is the journey spec with the sandbox's own subnets.
func sandboxJourneyBody(t *testing.T, c *testConsole, token string) string {
	t.Helper()
	_, out := c.apiCall(http.MethodGet, "/api/v1/subnets", token, "")
	subnets, _ := out["subnets"].([]any)
	if len(subnets) < 2 {
		t.Fatalf("the sandbox has subnets %v", out)
	}
	body := journeyBody(t)
	for i, old := range []string{"subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"} {
		id, _ := subnets[i].(map[string]any)["id"].(string)
		body = strings.ReplaceAll(body, old, id)
	}
	return body
}

func finishAll(t *testing.T, c *testConsole) {
	t.Helper()
	if _, err := c.Store.Pool().Exec(context.Background(),
		`UPDATE deployments SET status = 'succeeded', finished_at = now() WHERE status IN ('queued', 'running')`); err != nil {
		t.Fatal(err)
	}
}

func deploymentCount(t *testing.T, c *testConsole) int {
	t.Helper()
	var n int
	if err := c.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM deployments`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// changeForm is the change page's form as the browser would send it.
func changeForm(t *testing.T, d *goquery.Document) url.Values {
	t.Helper()
	form := url.Values{}
	d.Find("form#change input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if typ == "checkbox" {
			if _, on := s.Attr("checked"); !on {
				return
			}
		}
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	if form.Get("base") == "" {
		t.Fatal("the change page has no form")
	}
	return form
}

func TestChangePageStartsFromTheLatestDeployment(t *testing.T) {
	c := newConsole(t)
	seedChangeable(t, c)
	c.addUser("dora", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dora", testPassword), http.StatusSeeOther)

	resp := b.get("/deployments/1/change")
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	for sel, want := range map[string]string{
		`input[name="c0.image"]`:      "php:8.3-apache",
		`input[name="c1.image"]`:      "redis:7",
		`input[name="desiredCount"]`:  "2",
		`input[name="c0.env0.name"]`:  "REDIS_HOST",
		`input[name="c0.env1.value"]`: "8080",
		`input[name="c0.env2.name"]`:  "", // the blank row that adds one
		`input[name="base"]`:          "1",
	} {
		if got, ok := d.Find(sel).Attr("value"); !ok || got != want {
			t.Errorf("%s = %q (present %v), want %q", sel, got, ok, want)
		}
	}
	if href, _ := d.Find("a#full-wizard").Attr("href"); href != "/deploy?from=1" {
		t.Errorf("the full wizard link = %q", href)
	}
	if got := d.Find("#change-preview article.diff").Text(); !strings.Contains(got, "Nothing changed yet") {
		t.Errorf("diff of the unchanged form: %q", got)
	}
	if d.Find("#change-preview article.plan tbody tr").Length() == 0 {
		t.Error("no plan beside the form")
	}
	if d.Find("button#deploy-change").Length() != 1 {
		t.Error("a deployer sees no Deploy button")
	}

	// The Services page and the deployment page lead here.
	wantLink := func(page, sel string) {
		t.Helper()
		if href, _ := doc(t, b.get(page)).Find(sel).Attr("href"); href != "/deployments/1/change" {
			t.Errorf("%s %s href = %q", page, sel, href)
		}
	}
	wantLink("/deployments/1", "a.deploy-change")
	wantLink("/deployments?service=us-east-1/demo/php-app", "a.deploy-change")
}

func TestChangePreviewDeployAndRefusals(t *testing.T) {
	c := newConsole(t)
	seedChangeable(t, c)
	c.addUser("dora", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dora", testPassword), http.StatusSeeOther)
	form := changeForm(t, doc(t, b.get("/deployments/1/change")))

	t.Run("preview shows the diff and adds a blank row", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("c0.image", "php:8.4-apache")
		f.Set("c0.env2.name", "FEATURE")
		f.Set("c0.env2.value", "on")
		f.Set("op", "preview")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusOK)
		d := doc(t, resp)
		diff := d.Find("#change-preview table.changes").Text()
		for _, want := range []string{"php:8.4-apache", "FEATURE"} {
			if !strings.Contains(diff, want) {
				t.Errorf("the diff does not show %s: %q", want, diff)
			}
		}
		if d.Find(`input[name="c0.env3.name"]`).Length() != 1 {
			t.Error("no blank row after the filled one")
		}
		if v, _ := d.Find(`input[name="c0.image"]`).Attr("value"); v != "php:8.4-apache" {
			t.Errorf("the typed image is not kept: %q", v)
		}
	})

	t.Run("bad input is refused next to its field", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("c0.image", "PHP 8 !")
		f.Set("desiredCount", "two")
		f.Set("c0.env2.value", "orphan")
		f.Set("op", "deploy")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		d := doc(t, resp)
		for _, field := range []string{"c0.image", "desiredCount", "c0.env2.name"} {
			if d.Find("#change-"+strings.ReplaceAll(field, ".", `\.`)+"-error").Length() != 1 {
				t.Errorf("no message next to %s", field)
			}
		}
		if inv, _ := d.Find(`input[name="desiredCount"]`).Attr("aria-invalid"); inv != "true" {
			t.Error("desiredCount is not marked invalid")
		}
		if n := deploymentCount(t, c); n != 1 {
			t.Errorf("%d deployments after a refused change, want 1", n)
		}
	})

	t.Run("a spec problem lands on its field", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("c0.image", "")
		f.Set("op", "deploy")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if msg := doc(t, resp).Find(`#change-c0\.image-error`).Text(); msg == "" {
			t.Error("an empty image is not refused at the image field")
		}
	})

	t.Run("deploy: image, added, edited and removed variables, count", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("c0.image", "php:8.4-apache")
		f.Set("c0.env0.remove", "1")     // REDIS_HOST goes
		f.Set("c0.env1.value", "8081")   // APACHE_LISTEN_PORT changes
		f.Set("c0.env2.name", "FEATURE") // one is added
		f.Set("c0.env2.value", "on")
		f.Set("desiredCount", "3")
		f.Set("reason", "bump PHP")
		f.Set("op", "deploy")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/deployments/2" {
			t.Fatalf("redirected to %q", loc)
		}
		dep, err := c.Store.Deployment(context.Background(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if dep.Reason != "bump PHP" || dep.CreatedBy != "dora" {
			t.Errorf("reason %q by %q", dep.Reason, dep.CreatedBy)
		}
		var spec struct {
			Service        struct{ DesiredCount int } `json:"service"`
			TaskDefinition struct {
				ContainerDefinitions []struct {
					Name, Image string
					Environment []struct{ Name, Value string }
					Command     []string
					DependsOn   []map[string]string
				}
			} `json:"taskDefinition"`
		}
		if err := json.Unmarshal(dep.Spec, &spec); err != nil {
			t.Fatal(err)
		}
		web := spec.TaskDefinition.ContainerDefinitions[0]
		if web.Image != "php:8.4-apache" || spec.Service.DesiredCount != 3 {
			t.Errorf("image %q count %d", web.Image, spec.Service.DesiredCount)
		}
		env := map[string]string{}
		for _, kv := range web.Environment {
			env[kv.Name] = kv.Value
		}
		if len(env) != 2 || env["APACHE_LISTEN_PORT"] != "8081" || env["FEATURE"] != "on" {
			t.Errorf("environment %v", env)
		}
		// What the page does not show is kept as it was.
		if len(web.Command) != 3 || len(web.DependsOn) != 1 || spec.TaskDefinition.ContainerDefinitions[1].Image != "redis:7" {
			t.Errorf("untouched members changed: %+v", spec.TaskDefinition.ContainerDefinitions)
		}
	})

	t.Run("the live page: the flash and the events go when no longer true", func(t *testing.T) {
		d := doc(t, b.get("/deployments/2"))
		if got := d.Find("#deployment-live .alert.ok").Text(); got != "Deployment started." {
			t.Errorf("flash in the live part = %q", got)
		}
		if trig, _ := d.Find("#service-events-box").Attr("hx-trigger"); trig != "load, every 5s" {
			t.Errorf("events of a running deployment: hx-trigger %q", trig)
		}
		b.header.Set("HX-Request", "true")
		b.header.Set("HX-Target", "deployment-live")
		defer b.header.Del("HX-Request")
		defer b.header.Del("HX-Target")
		if live := doc(t, b.get("/deployments/2")); live.Find(".alert.ok").Length() != 0 {
			t.Error("the refresh keeps \"Deployment started.\"")
		}
		finishAll(t, c)
		// The page cache learns of the change by NOTIFY: ask until it has.
		var box *goquery.Selection
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if box = doc(t, b.get("/deployments/2")).Find("#service-events-box"); box.Length() > 0 {
				break
			}
		}
		if oob, _ := box.Attr("hx-swap-oob"); oob != "true" || box.AttrOr("hx-trigger", "") != "load" {
			t.Errorf("the refresh that sees the end does not reload the events once: oob %q trigger %q", oob, box.AttrOr("hx-trigger", ""))
		}
	})

	t.Run("a stale page is refused, naming what changed", func(t *testing.T) {
		finishAll(t, c)
		f := cloneValues(form) // still based on #1; #2 is the latest now
		f.Set("c0.image", "php:8.5-apache")
		f.Set("op", "deploy")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusConflict)
		d := doc(t, resp)
		stale := d.Find("article.stale").Text()
		if !strings.Contains(stale, "#2") || !strings.Contains(stale, "dora") || !strings.Contains(stale, "php:8.4-apache") {
			t.Errorf("the stale notice does not name #2 and its change: %q", stale)
		}
		if n := deploymentCount(t, c); n != 2 {
			t.Errorf("%d deployments after a stale deploy, want 2", n)
		}
		// The page is now based on #2 with the typed image kept; deploying
		// again, knowingly, works.
		again := changeForm(t, d)
		if again.Get("base") != "2" || again.Get("c0.image") != "php:8.5-apache" {
			t.Errorf("after the refusal: base %q image %q", again.Get("base"), again.Get("c0.image"))
		}
		again.Set("op", "deploy")
		wantStatus(t, b.post("/deployments/1/change", again), http.StatusSeeOther)
	})

	t.Run("a service with a deployment under way", func(t *testing.T) {
		f := changeForm(t, doc(t, b.get("/deployments/1/change")))
		f.Set("c0.image", "php:8.6-apache")
		f.Set("op", "deploy")
		resp := b.post("/deployments/1/change", f)
		wantStatus(t, resp, http.StatusConflict)
		if msg := doc(t, resp).Find(".form-error").Text(); !strings.Contains(msg, "#3") {
			t.Errorf("the refusal does not name the active deployment: %q", msg)
		}
	})
}

func TestChangePageViewerAndCrossOrigin(t *testing.T) {
	c := newConsole(t)
	seedChangeable(t, c)
	c.addUser("vic", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.login("vic", testPassword), http.StatusSeeOther)
	resp := b.get("/deployments/1/change")
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	if d.Find("button#deploy-change").Length() != 0 {
		t.Error("a viewer is offered Deploy")
	}
	if _, ro := d.Find(`input[name="c0.image"]`).Attr("readonly"); !ro {
		t.Error("a viewer's image field is editable")
	}
	form := changeForm(t, d)
	form.Set("op", "deploy")
	wantStatus(t, b.post("/deployments/1/change", form), http.StatusForbidden)

	c.addUser("dora", store.RoleDeployer)
	dora := c.browser()
	wantStatus(t, dora.login("dora", testPassword), http.StatusSeeOther)
	dora.header.Set("Origin", "https://evil.example")
	dora.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, dora.post("/deployments/1/change", form), http.StatusForbidden)
	if n := deploymentCount(t, c); n != 1 {
		t.Errorf("%d deployments, want 1", n)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
