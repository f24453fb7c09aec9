package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestHelpNeverPrintsSecrets runs every command's --help with a token and a
// database URL holding a password in the environment: the help names the
// variables but never prints their values.
func TestHelpNeverPrintsSecrets(t *testing.T) {
	const token, password = "ecs_tok_SHOULDNOTAPPEAR1234", "hunter2-SHOULDNOTAPPEAR"
	env := map[string]string{
		"ECSCONSOLE_TOKEN": token,
		"DATABASE_URL":     "postgres://admin:" + password + "@127.0.0.1:5432/ecsconsole",
	}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{
		{"deploy", "--help"}, {"rollback", "--help"}, {"status", "--help"},
		{"serve", "--help"}, {"migrate", "--help"}, {"user", "add", "--help"}, {"token", "create", "--help"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			_ = run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if out == "" {
				t.Fatal("no help printed")
			}
			for _, secret := range []string{token, password} {
				if strings.Contains(out, secret) {
					t.Errorf("help prints a secret %q:\n%s", secret, out)
				}
			}
			if args[0] == "deploy" && !strings.Contains(out, "ECSCONSOLE_TOKEN") {
				t.Errorf("deploy help does not name ECSCONSOLE_TOKEN:\n%s", out)
			}
		})
	}
}

// TestSecretFlagStillTakesTheEnvironmentAndTheCommandLine makes sure the
// hidden default is still the value used.
func TestSecretFlagStillTakesTheEnvironmentAndTheCommandLine(t *testing.T) {
	c, e := newAPICommand("status", "status ID", func(k string) string { return map[string]string{"ECSCONSOLE_TOKEN": "from-env"}[k] }, io.Discard)
	if err := e.parse(nil); err != nil || c.token != "from-env" {
		t.Fatalf("token %q, err %v; want the environment's", c.token, err)
	}
	c, e = newAPICommand("status", "status ID", func(string) string { return "from-env" }, io.Discard)
	if err := e.parse([]string{"--token", "from-flag"}); err != nil || c.token != "from-flag" {
		t.Fatalf("token %q, err %v; want the flag's", c.token, err)
	}
}
