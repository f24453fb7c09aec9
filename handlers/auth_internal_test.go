package handlers

import "testing"

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "/"},
		{"path", "/deployments?service=a%2Fb", "/deployments?service=a%2Fb"},
		{"absolute URL", "https://evil.example/", "/"},
		{"scheme-relative", "//evil.example/x", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"relative", "deployments", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"newline", "/x\r\nSet-Cookie: a=b", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := safeNext(tc.in); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
