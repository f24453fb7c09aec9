package handlers_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

// TestSessionsTableSignsNoOneIn is the copied-table attack: an admin signs
// in, someone reads the sessions table (a backup, a replica, a dump) and
// sets what they find as their cookie, in every encoding a row could be
// turned into. None of it reaches the admin-only Users page, which the real
// cookie does.
func TestSessionsTableSignsNoOneIn(t *testing.T) {
	c := newConsole(t)
	c.addUser("root", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("root", testPassword), http.StatusSeeOther)
	wantStatus(t, b.get("/users"), http.StatusOK)
	u, _ := url.Parse(c.URL)
	cookies := b.c.Jar.Cookies(u)
	if len(cookies) != 1 {
		t.Fatalf("cookies after sign-in: %v", cookies)
	}
	real := cookies[0]

	rows, err := c.Store.Pool().Query(context.Background(), `SELECT token_hash, row_to_json(s)::text FROM sessions s`)
	if err != nil {
		t.Fatal(err)
	}
	var stolen []string
	for rows.Next() {
		var hash []byte
		var row string
		if err := rows.Scan(&hash, &row); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(row, real.Value) {
			t.Errorf("the sessions table holds the cookie value: %s", row)
		}
		stolen = append(stolen, string(hash), hex.EncodeToString(hash), `\x`+hex.EncodeToString(hash),
			base64.RawURLEncoding.EncodeToString(hash), base64.StdEncoding.EncodeToString(hash))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stolen) == 0 {
		t.Fatal("no session row after signing in")
	}
	for _, v := range stolen {
		thief := c.browser()
		jar, _ := cookiejar.New(nil)
		jar.SetCookies(u, []*http.Cookie{{Name: real.Name, Value: url.QueryEscape(v), Path: "/"}})
		thief.c.Jar = jar
		resp := thief.get("/users")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("cookie %q from the table: status %d, want a redirect to sign in", v, resp.StatusCode)
		}
	}
	// The real cookie still works, and signing out removes its row.
	wantStatus(t, b.get("/users"), http.StatusOK)
	wantStatus(t, b.post("/logout", url.Values{}), http.StatusSeeOther)
	var n int
	if err := c.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE user_id IS NOT NULL`).Scan(&n); err != nil || n != 0 {
		t.Errorf("signed-in sessions after sign-out: %d, %v", n, err)
	}
}
