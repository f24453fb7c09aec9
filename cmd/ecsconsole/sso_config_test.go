package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestServeHelpHidesTheOIDCClientSecret runs serve --help with the client
// secret in the environment and on the command line.
func TestServeHelpHidesTheOIDCClientSecret(t *testing.T) {
	const secret = "oidc-secret-SHOULDNOTAPPEAR"
	getenv := func(k string) string {
		return map[string]string{"ECSCONSOLE_OIDC_CLIENT_SECRET": secret, "ECSCONSOLE_OIDC_ISSUER": "https://id.example.com"}[k]
	}
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "--oidc-client-secret", secret, "--help"}} {
		var stdout, stderr bytes.Buffer
		_ = run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if !strings.Contains(out, "ECSCONSOLE_OIDC_CLIENT_SECRET") || !strings.Contains(out, "-oidc-admin-groups") {
			t.Errorf("%v: help does not describe the OIDC settings:\n%s", args, out)
		}
		if strings.Contains(out, secret) {
			t.Errorf("%v: help prints the client secret:\n%s", args, out)
		}
	}
}

// TestSSOConfiguration checks what serve accepts and refuses, and that the
// secret comes from the environment into the handlers' options.
func TestSSOConfiguration(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	full := map[string]string{
		"ECSCONSOLE_OIDC_ISSUER": "https://id.example.com/realms/acme", "ECSCONSOLE_OIDC_CLIENT_ID": "console",
		"ECSCONSOLE_OIDC_CLIENT_SECRET": "s3cret", "ECSCONSOLE_BASE_URL": "https://deploy.example.com",
		"ECSCONSOLE_OIDC_ADMIN_GROUPS": "ops, sre ", "ECSCONSOLE_LOCAL_SIGNIN": "false",
	}
	c, err := parseServeConfig(nil, env(full), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := c.SSO.options()
	if o == nil || o.ClientSecret != "s3cret" || o.GroupsClaim != "groups" || strings.Join(o.AdminGroups, "|") != "ops|sre" || c.SSO.LocalSignIn {
		t.Errorf("options = %+v, local sign-in %v", o, c.SSO.LocalSignIn)
	}
	for name, args := range map[string][]string{
		"no issuer, local off":    {"--local-signin=false"},
		"secret without issuer":   {"--oidc-client-secret", "x"},
		"issuer without client":   {"--oidc-issuer", "https://id.example.com"},
		"no base or redirect URL": {"--oidc-issuer", "https://id.example.com", "--oidc-client-id", "c", "--oidc-client-secret", "s"},
		"issuer not a URL":        {"--oidc-issuer", "id.example.com", "--oidc-client-id", "c", "--oidc-client-secret", "s", "--base-url", "https://d.example.com"},
	} {
		_, err := parseServeConfig(args, env(nil), io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a usage error", name, err)
		} else if strings.Contains(ue.Error(), "\"s\"") {
			t.Errorf("%s: the message shows the secret: %v", name, err)
		}
	}
	if c, err := parseServeConfig(nil, env(nil), io.Discard); err != nil || c.SSO.options() != nil || !c.SSO.LocalSignIn {
		t.Errorf("default: %v, %+v; want local sign-in only", err, c.SSO)
	}
}
