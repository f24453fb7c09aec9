package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// consoleMemoryLimit is the soft memory limit the console sets for itself
// (GOMEMLIMIT, tuneGC in cmd/ecsconsole/serve.go).
const consoleMemoryLimit = 256 << 20

// procStatus reads a kB field (VmHWM, VmRSS) of /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// resetPeak starts a new VmHWM (Linux: 5 > clear_refs); false if the
// kernel or our rights do not allow it, and the peak stays cumulative.
func resetPeak(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// formFlood is a urlencoded body of n bytes that is all separators and
// empty fields: the most fields per byte a form parser can be given.
func formFlood(n int) []byte { return bytes.Repeat([]byte("a&"), n/2) }

// 20 parallel worst-case bodies on every route that reads a body keep
// the console inside its memory limit: each route's peak RSS (VmHWM) is
// reported next to the limit, and the test fails past it.
func TestHostileBodiesStayInsideTheMemoryLimit(t *testing.T) {
	c := startConsole(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(c.URL+"/login", url.Values{"username": {"admin"}, "password": {c.AdminPassword}, "next": {"/"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = client.PostForm(c.URL+"/deploy/drafts", url.Values{"start": {"blank"}})
	if err != nil || resp.StatusCode >= 400 {
		t.Fatalf("new draft: %v %v", resp, err)
	}
	resp.Body.Close()
	draft := resp.Header.Get("Location") // /deploy/drafts/{id}/{step}
	if !strings.HasPrefix(draft, "/deploy/drafts/") {
		t.Fatalf("new draft went to %q", draft)
	}

	const parallel = 20
	// underLimit is a JSON body just within the API's limit (a 256 KiB
	// spec and room for the envelope): read and parsed in full.
	const underLimit = 264 << 10
	form, json := "application/x-www-form-urlencoded", "application/json"
	spec := func(inner string) []byte { return []byte(`{"spec": ` + inner + `, "reason": "x"}`) }
	many := func(item string, n int) string { // [item,item,...] of about n bytes
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n/(len(item)+1)), ",") + "]"
	}
	routes := []struct {
		name, method, path, contentType string
		body                            []byte
	}{
		{"sign-in form flood", "POST", "/login", form, formFlood(10 << 20)},
		{"users form flood", "POST", "/users", form, formFlood(10 << 20)},
		{"user role form flood", "POST", "/users/1/role", form, formFlood(10 << 20)},
		{"password form flood", "POST", "/account/password", form, formFlood(10 << 20)},
		{"token form flood", "POST", "/account/tokens", form, formFlood(10 << 20)},
		{"rollback form flood", "POST", "/deployments/1/rollback", form, formFlood(10 << 20)},
		{"wizard form flood", "POST", draft, form, formFlood(10 << 20)},
		{"new draft form flood", "POST", "/deploy/drafts", form, formFlood(10 << 20)},
		{"plan: 1 MiB of nesting", "POST", "/api/v1/plan", json, spec(strings.Repeat("[", 1<<20-30))},
		{"plan: 1 MiB of empty strings", "POST", "/api/v1/plan", json, spec(many(`""`, 1<<20-30))},
		{"plan: 264 KiB of empty strings", "POST", "/api/v1/plan", json, spec(many(`""`, underLimit))},
		{"plan: 264 KiB of numbers", "POST", "/api/v1/plan", json, spec(many(`0`, underLimit))},
		{"plan: 264 KiB of keys", "POST", "/api/v1/plan", json, spec("{" + strings.TrimSuffix(strings.Repeat(`"a":0,`, underLimit/6), ",") + "}")},
		{"plan: 264 KiB, bad text at the end", "POST", "/api/v1/plan", json, spec(strings.TrimSuffix(many(`""`, underLimit), "]") + `,"\xff"]`)},
		{"deploy: 1 MiB of nesting", "POST", "/api/v1/deployments", json, spec(strings.Repeat("{\"a\":", 1<<18))},
		{"deploy: 264 KiB of empty strings", "POST", "/api/v1/deployments", json, spec(many(`""`, underLimit))},
		{"deploy: 264 KiB, bad text at the end", "POST", "/api/v1/deployments", json, spec(strings.TrimSuffix(many(`""`, underLimit), "]") + `,"\u0000"]`)},
		{"API rollback: nesting", "POST", "/api/v1/deployments/1/rollback", json, []byte(strings.Repeat("[", 1<<20))},
		{"API rollback: 1 MiB of strings", "POST", "/api/v1/deployments/1/rollback", json, []byte(many(`""`, 1<<20))},
		{"history: a 1 MiB query", "GET", "/deployments?" + string(formFlood(1<<20-200)), "", nil},
	}
	base := procStatus(t, c.PID, "VmRSS")
	t.Logf("RSS at rest: %d MiB; the limit: %d MiB", base>>20, consoleMemoryLimit>>20)
	var worst int64
	for _, rt := range routes {
		cumulative := !resetPeak(c.PID)
		var wg sync.WaitGroup
		statuses := make([]int, parallel)
		for i := range parallel {
			wg.Go(func() {
				var body io.Reader
				if rt.body != nil {
					body = bytes.NewReader(rt.body)
				}
				req, _ := http.NewRequest(rt.method, c.URL+rt.path, body)
				if rt.contentType != "" {
					req.Header.Set("Content-Type", rt.contentType)
				}
				resp, err := client.Do(req)
				if err != nil { // a refused body may close the connection mid-upload
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		wg.Wait()
		peak := procStatus(t, c.PID, "VmHWM")
		worst = max(worst, peak)
		note := ""
		if cumulative {
			note = " (peak since start: clear_refs not allowed)"
		}
		t.Logf("%-32s peak RSS %4d MiB of %d MiB%s; statuses %v", rt.name, peak>>20, consoleMemoryLimit>>20, note, distinct(statuses))
		if peak > consoleMemoryLimit {
			t.Errorf("%s: peak RSS %d MiB is over the console's %d MiB limit", rt.name, peak>>20, consoleMemoryLimit>>20)
		}
		for _, s := range statuses {
			if s >= 500 {
				t.Errorf("%s: a hostile body got %d", rt.name, s)
				break
			}
		}
	}
	// Nothing is kept: a while after the floods, RSS is back near rest.
	time.Sleep(3 * time.Second)
	after := procStatus(t, c.PID, "VmRSS")
	t.Logf("worst peak %d MiB; RSS %d MiB at rest before, %d MiB after", worst>>20, base>>20, after>>20)
	if after > base+64<<20 {
		t.Errorf("RSS after the floods is %d MiB, %d MiB at rest before: memory kept", after>>20, base>>20)
	}
}

// distinct lists the different statuses seen, 0 for a connection the
// console closed on an oversized upload.
func distinct(statuses []int) []int {
	var out []int
	seen := map[int]bool{}
	for _, s := range statuses {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
