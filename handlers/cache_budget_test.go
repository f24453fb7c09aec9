package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// maxSpec is the journey spec grown to ecsconsole.MaxSpecBytes by an
// environment value of fill: the largest spec the console stores, with
// a character that HTML escaping makes five bytes of.
func maxSpec(t *testing.T, fill string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	container := spec["taskDefinition"].(map[string]any)["containerDefinitions"].([]any)[0].(map[string]any)
	env := map[string]any{"name": "PADDING", "value": ""}
	container["environment"] = append(container["environment"].([]any), env)
	encode := func() []byte {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(spec); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	env["value"] = strings.Repeat(fill, ecsconsole.MaxSpecBytes-len(encode())-1)
	b := encode()
	if len(b) > ecsconsole.MaxSpecBytes {
		t.Fatalf("the spec is %d bytes", len(b))
	}
	return b
}

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestPageCachesStayWithinBudget fills the deployment page cache with the
// pages of maximum-size specs, far more of them than its share of the
// budget holds, and checks that the heap grows by no more than the budget
// (plus slack for the connections' buffers and what the runtime keeps).
func TestPageCachesStayWithinBudget(t *testing.T) {
	const budget = 32 << 20
	const slack = 6 << 20
	const pages = 24
	ctx := context.Background()
	st := storetest.NewStore(t)
	c := serveConsoleWith(t, st, handlers.Options{Region: "us-east-1", CacheBytes: budget})
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	specs := [][]byte{maxSpec(t, "&"), maxSpec(t, "<")}
	var ids []int64
	for i := range pages {
		var id int64
		if err := st.Pool().QueryRow(ctx, `INSERT INTO deployments
			(service_key, region, cluster, service, spec, status, created_by_name, finished_at, reason)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, 'failed', 'seed', now(), 'padded') RETURNING id`,
			specs[i%2]).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := st.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	view := func(id int64) int {
		resp := b.get("/deployments/" + itoa(id))
		defer resp.Body.Close()
		n, _ := io.Copy(io.Discard, resp.Body)
		wantStatus(t, resp, http.StatusOK)
		return int(n)
	}
	view(ids[0]) // everything a first view sets up once
	before := heapInUse()
	largest := 0
	for range 2 {
		for _, id := range ids {
			largest = max(largest, view(id))
		}
	}
	grown := heapInUse() - before
	t.Logf("%d pages of up to %d KiB: the heap grew by %.1f MiB (budget %d MiB)", pages, largest>>10, float64(grown)/(1<<20), budget>>20)
	if largest*pages < 2*budget {
		t.Fatalf("the pages (%d KiB) are too small to overfill the budget", largest>>10)
	}
	if grown > budget+slack {
		t.Errorf("the heap grew by %.1f MiB, past the %d MiB budget and %d MiB slack", float64(grown)/(1<<20), budget>>20, slack>>20)
	}
}
