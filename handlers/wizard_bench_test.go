package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/sandbox"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// BenchmarkWizardStep measures each wizard step's server time (routing,
// session, draft read, lookups, render) with a warm lookup cache, called
// in-process, next to a bare handler through the same recorder. The
// review's plan reads AWS (the sandbox over HTTP) every time: it is live.
//
//	go test -run '^$' -bench WizardStep -benchtime 2s ./handlers
func BenchmarkWizardStep(b *testing.B) {
	st := storetest.NewStore(b)
	assets, err := static.New()
	if err != nil {
		b.Fatal(err)
	}
	aws := httptest.NewServer(sandbox.New(sandbox.Options{}))
	b.Cleanup(aws.Close)
	awsOpts := deploy.AWSOptions{Endpoint: aws.URL, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	engine, err := deploy.NewEngine(st, deploy.Options{Clients: deploy.NewClientFactory(awsOpts)})
	if err != nil {
		b.Fatal(err)
	}
	srv := handlers.New(handlers.Options{Region: "us-east-1"}, handlers.Deps{
		Store: st, Assets: assets, Logger: slog.New(slog.DiscardHandler),
		Engine: engine, Catalog: catalog.New(catalog.NewClientFactory(awsOpts)),
	}).Routes()
	if _, err := st.CreateUser(context.Background(), "dee", store.RoleDeployer, testPassword); err != nil {
		b.Fatal(err)
	}
	serve := func(method, path string, form url.Values, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	login := serve(http.MethodPost, "/login", url.Values{"username": {"dee"}, "password": {testPassword}, "next": {"/"}}, "")
	cookie := strings.Split(login.Header().Get("Set-Cookie"), ";")[0]
	created := serve(http.MethodPost, "/deploy/drafts", url.Values{"start": {"example"}}, cookie)
	base := strings.TrimSuffix(created.Header().Get("Location"), "taskdef")
	if base == "" {
		b.Fatalf("creating a draft: %d", created.Code)
	}
	// Make the spec whole, so the review plans.
	serve(http.MethodPost, base+"cluster", url.Values{"cluster": {"new"}, "newCluster": {"demo"}, "op": {"next"}}, cookie)

	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			rec := httptest.NewRecorder()
			bare.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		}
	})
	for _, step := range []string{"taskdef", "cluster", "service", "loadbalancer", "https", "review"} {
		b.Run(step, func(b *testing.B) {
			if rec := serve(http.MethodGet, base+step, nil, cookie); rec.Code != http.StatusOK { // warms the lookups
				b.Fatalf("%s: %d", step, rec.Code)
			}
			for b.Loop() {
				if rec := serve(http.MethodGet, base+step, nil, cookie); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", step, rec.Code)
				}
			}
		})
	}
}
