package handlers

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNestingLimit(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		deep       bool
	}{
		{"flat", `{"a": [1, 2, {"b": "c"}]}`, false},
		{"at the limit", strings.Repeat("[", 65) + strings.Repeat("]", 65), false},
		{"one past", strings.Repeat("[", 66) + strings.Repeat("]", 66), true},
		{"closed then opened again", strings.Repeat("[]", 1000), false},
		{"brackets in a string", `["` + strings.Repeat("{[", 100) + `"]`, false},
		{"escaped quote in a string", `["\"` + strings.Repeat("[", 100) + `"]`, false},
		{"escaped backslash ends the string", `["\\"` + strings.Repeat(",[", 70), true},
	} {
		_, err := io.ReadAll(&nestingLimit{r: strings.NewReader(tc.body), max: 65})
		if got := errors.Is(err, errTooDeep); got != tc.deep {
			t.Errorf("%s: too deep = %v (%v), want %v", tc.name, got, err, tc.deep)
		}
	}
}

// BenchmarkRefuseNestedJSON is a deployer's worst body: 1 MiB of '['
// posted to /api/v1/plan, read by readJSON.
func BenchmarkRefuseNestedJSON(b *testing.B) {
	body := []byte(`{"spec": ` + strings.Repeat("[", maxSpecBody-20) + `}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/plan", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var req specRequest
		if err := readJSON(r, &req, maxSpecBody, false, "a spec"); err == nil {
			b.Fatal("accepted")
		}
	}
}
