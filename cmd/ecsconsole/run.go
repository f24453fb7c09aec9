package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// usageError is a mistake in the command line or configuration: one line on
// stderr and exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps run's error to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// exitError ends the program with a specific code after its message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

const topUsage = `ecsconsole — deploy container images to Amazon ECS, keep every deployment, roll back.

Usage:
  ecsconsole serve    [--addr 127.0.0.1:8080] [--migrate] [--sandbox]   run the web console
  ecsconsole migrate  up|status                                         apply or show database migrations
  ecsconsole user     add|list|set-role|disable                         manage users
  ecsconsole token    create|list|revoke                                manage API tokens
  ecsconsole sandbox  [--addr 127.0.0.1:4566]                           run a local AWS for evaluation and tests

API clients for CI pipelines (ECSCONSOLE_URL, ECSCONSOLE_TOKEN):
  ecsconsole deploy   -f spec.json [--wait] [--plan]                    deploy a spec
  ecsconsole rollback ID [--wait]                                       roll back to an earlier deployment
  ecsconsole status   ID                                                show a deployment; exit 0 only if it succeeded
  ecsconsole freeze   REGION/CLUSTER/SERVICE --reason TEXT              refuse deploys of a service (rollbacks still run)
  ecsconsole unfreeze REGION/CLUSTER/SERVICE                            let a frozen service deploy again

Run "ecsconsole COMMAND --help" for a command's flags.
`

// run is the whole program: main only calls it, so tests can start the
// console in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) { // --help printed the usage: success
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, rest, getenv, stdin, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, rest, getenv, stdout, stderr)
	case "deploy":
		return runDeploy(ctx, rest, getenv, stdin, stdout, stderr)
	case "rollback":
		return runRollback(ctx, rest, getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, rest, getenv, stdout, stderr)
	case "freeze":
		return runFreeze(ctx, rest, getenv, stdout, stderr)
	case "unfreeze":
		return runUnfreeze(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	fmt.Fprint(stderr, topUsage)
	return usagef("unknown command %q", cmd)
}

// flagSet returns a FlagSet whose errors come back to run instead of exiting.
func flagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ecsconsole %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors. -h/--help
// prints the usage and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	return nil
}

// newLogger builds the one logger the program uses: JSON for production,
// text for people.
func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("invalid log level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usagef("invalid log format %q: use json or text", format)
}
