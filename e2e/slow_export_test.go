package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// slowReader is a client that reads a response a few KB a second through
// a small receive window: an export saved over a slow link.
func slowReader(ctx context.Context, t *testing.T, url, token string, started chan<- struct{}, read *int64, mu *sync.Mutex) {
	dialer := &net.Dialer{}
	tr := &http.Transport{
		DisableCompression: true, // compressed, the export would fit in the socket buffers
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				c.(*net.TCPConn).SetReadBuffer(4 << 10)
			}
			return c, err
		},
	}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Errorf("export %s: %v", url, err)
		close(started)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("export %s: %d", url, resp.StatusCode)
	}
	buf := make([]byte, 2<<10)
	first := true
	for ctx.Err() == nil {
		n, err := resp.Body.Read(buf)
		mu.Lock()
		*read += int64(n)
		mu.Unlock()
		if first && n > 0 {
			close(started)
			first = false
		}
		if err != nil {
			if err != io.EOF && ctx.Err() == nil {
				t.Errorf("export %s: %v", url, err)
			}
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond): // ~4 KB/s
		}
	}
}

// Slow readers of exports never starve the console: while more exports
// than the old pool had connections are read at a few KB/s, uncached
// pages, /readyz and the API answer and a deployment runs to its end.
func TestSlowExportsDoNotStarveTheConsole(t *testing.T) {
	c := startConsole(t, "--sandbox-speed", "500", "--poll-interval", "50ms")
	api := apiClient{t: t, base: c.URL, token: createToken(t, c.DatabaseURL)}

	// A long history: each export is ~10 MB, far more than the socket
	// buffers between the console and a slow reader hold.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, reason, finished_at, task_definition_arn)
		SELECT 'us-east-1/history/s' || (i % 100), 'us-east-1', 'history', 's' || (i % 100), '{}'::jsonb, 'succeeded', 'seed',
		       'release ' || i || ' ' || md5(i::text), now(), 'arn:aws:ecs:us-east-1:000000000000:task-definition/s' || (i % 100) || ':' || i
		FROM generate_series(1, 60000) i`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	const exports = 8 // twice the connections the pool used to have
	readCtx, stopReading := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var read int64
	for i := range exports {
		started := make(chan struct{})
		path := "/deployments.csv"
		if i%2 == 1 {
			path = "/deployments.json"
		}
		wg.Go(func() { slowReader(readCtx, t, c.URL+path, api.token, started, &read, &mu) })
		select {
		case <-started:
		case <-time.After(60 * time.Second):
			t.Fatalf("export %d did not start", i)
		}
	}
	defer func() { stopReading(); wg.Wait() }()
	time.Sleep(2 * time.Second) // every export is now blocked on its reader

	// Generous bounds: a starved console waits for a reader that never
	// finishes; one that is not answers in milliseconds.
	client := &http.Client{Timeout: 20 * time.Second}
	get := func(path string, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, c.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+api.token)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s while %d exports are read slowly: %v", path, exports, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Logf("GET %s: %d in %s", path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
		if resp.StatusCode != want {
			t.Errorf("GET %s while %d exports are read slowly: %d, want %d", path, exports, resp.StatusCode, want)
		}
	}
	for i := range 5 {
		get("/readyz", http.StatusOK)
		get(fmt.Sprintf("/deployments?service=s%d", i), http.StatusOK) // a page no cache holds
		get(fmt.Sprintf("/api/v1/deployments?service=s%d", i), http.StatusOK)
	}

	sn := api.call(http.MethodGet, "/api/v1/subnets", nil)
	var subnets []any
	for _, s := range sn["subnets"].([]any)[:2] {
		subnets = append(subnets, s.(map[string]any)["id"])
	}
	start := time.Now()
	d := deployed(api, historySpec(t, "php:8.3-apache", subnets))
	t.Logf("deployment #%v %v in %s while %d exports were read slowly", d["id"], d["status"], time.Since(start).Round(time.Millisecond), exports)
	get("/readyz", http.StatusOK)
	mu.Lock()
	t.Logf("the slow readers read %d KiB in all", read>>10)
	mu.Unlock()
}
