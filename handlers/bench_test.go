package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// BenchmarkPages serves each page in-process over loopback HTTP on 10,000
// stored deployments, for profiles (go test -bench Pages -cpuprofile);
// make bench-http is the benchmark whose figures count.
// ECSCONSOLE_BENCH_UNCACHED turns caches off, as for BenchmarkHistoryPages.
func BenchmarkPages(b *testing.B) {
	st := storetest.NewStore(b)
	assets, err := static.New()
	if err != nil {
		b.Fatal(err)
	}
	engine, err := deploy.NewEngine(st, deploy.Options{Clients: deploy.NewClientFactory(deploy.AWSOptions{})})
	if err != nil {
		b.Fatal(err)
	}
	srv := handlers.New(handlers.Options{Region: "us-east-1", Uncached: benchUncached()}, handlers.Deps{
		Store: st, Assets: assets, Logger: slog.New(slog.DiscardHandler), Engine: engine,
		Identity: func(context.Context) (string, string, error) {
			return "arn:aws:iam::000000000000:user/test", "000000000000", nil
		},
	})
	ts := httptest.NewServer(srv.Routes())
	b.Cleanup(ts.Close)
	spec, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, outputs, finished_at, reason)
		SELECT 'us-east-1/c' || (i % 50) || '/s' || (i % 1000), 'us-east-1', 'c' || (i % 50), 's' || (i % 1000), $1::jsonb,
		       (ARRAY['succeeded', 'failed', 'rolled_back_by_ecs', 'interrupted'])[1 + (i % 4)], 'seed',
		       '{"url": "https://app.example.com"}', now(), 'release ' || i
		FROM generate_series(1, 10000) i`, spec); err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "bench", store.RoleAdmin, testPassword); err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(ts.URL+"/login", url.Values{"username": {"bench"}, "password": {testPassword}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, page := range []string{"/deployments", "/deployments?status=failed", "/deployments/" + strconv.Itoa(9999), "/audit"} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, ts.URL+page, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				for _, ck := range jar.Cookies(req.URL) {
					req.AddCookie(ck)
				}
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", page, resp.StatusCode)
				}
			}
		})
	}
}
