package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/sandbox"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// BenchmarkHistoryPages measures the history pages, the deployment page
// with its diff, the services page (warm AWS cache) and the CSV export
// against ECSCONSOLE_BENCH_DEPLOYMENTS stored deployments (default
// 100,000) over 1,000 services, at 1 and 32 concurrent clients, next to a
// bare net/http handler served the same way. Besides ns/op it reports the
// p50 and p99 latency; the export reports its size and the process's peak
// RSS. ECSCONSOLE_BENCH_UNCACHED names caches to turn off
// (handlers.CacheNames, comma-separated; "all" for every one), to measure
// what each buys. Run the pages and the export with their own counts:
//
//	go test -run '^$' -bench 'BenchmarkHistoryPages/(bare|history|deployment|diff|services)' -benchtime 2000x ./handlers/
//	go test -run '^$' -bench 'BenchmarkHistoryPages/export' -benchtime 3x ./handlers/
func BenchmarkHistoryPages(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ECSCONSOLE_BENCH_DEPLOYMENTS")); err == nil && v > 0 {
		n = v
	}
	st := storetest.NewStore(b)
	ctx := context.Background()
	spec, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		b.Fatal(err)
	}
	_, err = st.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, outputs, finished_at, reason, task_definition_arn)
		SELECT 'us-east-1/c' || (i % 50) || '/s' || (i % 1000), 'us-east-1', 'c' || (i % 50), 's' || (i % 1000), $1::jsonb,
		       (ARRAY['succeeded', 'failed', 'rolled_back_by_ecs', 'interrupted'])[1 + (i % 4)], 'seed' || (i % 7),
		       '{"url": "https://app.example.com"}', now(), 'release ' || i, 'arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:' || i
		FROM generate_series(1, $2) i`, spec, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Pool().Exec(ctx, `ANALYZE deployments`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, "bench", "viewer", testPassword); err != nil {
		b.Fatal(err)
	}
	assets, _ := static.New()
	aws := httptest.NewServer(sandbox.New(sandbox.Options{}))
	b.Cleanup(aws.Close)
	engine, err := deploy.NewEngine(st, deploy.Options{Clients: deploy.NewClientFactory(deploy.AWSOptions{
		Endpoint: aws.URL, Credentials: credentials.NewStaticCredentialsProvider("b", "b", "")})})
	if err != nil {
		b.Fatal(err)
	}
	srv := handlers.New(handlers.Options{Region: "us-east-1", Uncached: benchUncached()}, handlers.Deps{Store: st, Assets: assets, Logger: slog.New(slog.DiscardHandler), Engine: engine})
	ts := httptest.NewServer(srv.Routes())
	b.Cleanup(ts.Close)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }))
	b.Cleanup(bare.Close)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(ts.URL+"/login", url.Values{"username": {"bench"}, "password": {testPassword}, "next": {"/"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v %v", resp, err)
	}
	resp.Body.Close()
	var deep int64
	st.Pool().QueryRow(ctx, `SELECT id FROM deployments ORDER BY id LIMIT 1 OFFSET 1000`).Scan(&deep)
	last := int64(n)
	pages := []struct{ name, base, path string }{
		{"bare", bare.URL, "/"},
		{"history", ts.URL, "/deployments"},
		{"history-deep-cursor", ts.URL, fmt.Sprintf("/deployments?cursor=%d", deep)},
		{"history-by-name", ts.URL, "/deployments?service=s7"},
		{"history-by-user-and-status", ts.URL, "/deployments?user=seed3&status=failed"},
		{"deployment-with-diff", ts.URL, fmt.Sprintf("/deployments/%d", last)},
		{"diff-page", ts.URL, fmt.Sprintf("/deployments/%d/diff/%d", last-1000, last)},
		{"services-warm", ts.URL, "/services"},
	}
	for _, p := range pages {
		for _, conns := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/c%d", p.name, conns), func(b *testing.B) {
				get(b, client, p.base+p.path) // warm caches (AWS reads, plans)
				latencies := make([]time.Duration, 0, b.N)
				var mu sync.Mutex
				var wg sync.WaitGroup
				next := make(chan struct{}, b.N)
				for range b.N {
					next <- struct{}{}
				}
				close(next)
				b.ResetTimer()
				for range conns {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range next {
							start := time.Now()
							get(b, client, p.base+p.path)
							d := time.Since(start)
							mu.Lock()
							latencies = append(latencies, d)
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				slices.Sort(latencies)
				b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			})
		}
	}
	b.Run("export-csv", func(b *testing.B) {
		for range b.N {
			resp, err := client.Get(ts.URL + "/deployments.csv")
			if err != nil {
				b.Fatal(err)
			}
			written, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			b.ReportMetric(float64(written)/1e6, "MB")
		}
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	})
}

// benchUncached is the caches ECSCONSOLE_BENCH_UNCACHED turns off.
func benchUncached() []string {
	switch v := os.Getenv("ECSCONSOLE_BENCH_UNCACHED"); v {
	case "":
		return nil
	case "all":
		return handlers.CacheNames()
	default:
		return strings.Split(v, ",")
	}
}

func get(b *testing.B, client *http.Client, u string) {
	resp, err := client.Get(u)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s: %d", u, resp.StatusCode)
	}
}
