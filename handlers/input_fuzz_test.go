package handlers_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
)

// fuzzRoute is one form or query the console reads, with every field it
// reads.
type fuzzRoute struct {
	method, path string
	fields       []string
	anonymous    bool
}

// FuzzFormsAndQueries sends arbitrary bytes in every form field and query
// parameter of every route that reads one: never a 500 (a panic is one,
// recovered by the request logger). `go test -fuzz FuzzFormsAndQueries ./handlers`.
func FuzzFormsAndQueries(f *testing.F) {
	c := newConsole(f)
	c.addUser("alice", store.RoleAdmin)
	victim := c.addUser("victim", store.RoleViewer)
	admin := c.browser()
	if resp := admin.login("alice", testPassword); resp.StatusCode != http.StatusSeeOther {
		f.Fatalf("sign-in: %d", resp.StatusCode)
	}
	id := seedDeployment(f, c.Store)
	routes := fuzzRoutes(victim.ID, id)
	for _, seed := range []string{"", "a\x00b", "\xff\xfe", "caf\xc3\xa9", "/deployments", "us-east-1", "admin", "{}",
		`{"spec": {}}`, strings.Repeat("x", 600), "%00", "\u0000", "deployer", "-1", "99999999999999999999"} {
		for i := range routes {
			f.Add(uint8(i), seed)
		}
	}
	anon := c.browser()
	f.Fuzz(func(t *testing.T, route uint8, value string) {
		r := routes[int(route)%len(routes)]
		b := admin
		if r.anonymous {
			b = anon
		}
		values := url.Values{}
		for _, name := range r.fields {
			values.Set(name, value)
		}
		req, err := http.NewRequest(r.method, c.URL+r.path+"?"+values.Encode(), nil)
		if r.method == http.MethodPost {
			req, err = http.NewRequest(r.method, c.URL+r.path, strings.NewReader(values.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if err != nil {
			t.Fatal(err)
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s with every field %q: %d\n%.300s", r.method, r.path, value, resp.StatusCode, body)
		}
	})
}

// seedDeployment stores one finished deployment, for the rollback routes.
func seedDeployment(tb testing.TB, st *store.Store) int64 {
	tb.Helper()
	spec, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		tb.Fatal(err)
	}
	d, err := st.CreateDeployment(context.Background(), ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/php-app", Region: "us-east-1",
		Cluster: "demo", Service: "php-app", Kind: ecsconsole.KindDeploy, Spec: spec, CreatedBy: "alice"}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.FinishDeployment(context.Background(), d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
		tb.Fatal(err)
	}
	return d.ID
}

func fuzzRoutes(userID, deploymentID int64) []fuzzRoute {
	u, d := strconv.FormatInt(userID, 10), strconv.FormatInt(deploymentID, 10)
	return []fuzzRoute{
		{"POST", "/login", []string{"username", "password", "next"}, true},
		{"GET", "/login", []string{"next"}, true},
		{"GET", "/deployments", []string{"service", "status", "cursor"}, false},
		{"GET", "/audit", []string{"before"}, false},
		{"GET", "/api/v1/deployments", []string{"service", "status", "limit", "cursor"}, false},
		{"GET", "/api/v1/subnets", []string{"region"}, false},
		{"POST", "/account/tokens", []string{"name"}, false},
		{"POST", "/account/password", []string{"current", "password", "confirm"}, false},
		{"POST", "/users", []string{"username", "role", "password"}, false},
		{"POST", "/users/" + u + "/role", []string{"role"}, false},
		{"POST", "/users/" + u + "/tokens", []string{"name"}, false},
		{"POST", "/deploy", []string{"spec", "reason", "action"}, false},
		{"POST", "/deployments/" + d + "/rollback", []string{"reason"}, false},
		{"GET", "/deployments/" + d + "/rollback", []string{"x"}, false},
	}
}
