package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
)

// cliEnv is what the database commands share: flags, logger, database.
type cliEnv struct {
	db     *database
	store  *store.Store
	logger *slog.Logger
}

// withStore parses the common flags plus extra ones, opens the database and
// runs fn with it; positional arguments left after the flags go to fn.
func withStore(ctx context.Context, name, usage string, args []string, getenv func(string) string, stderr io.Writer,
	extra func(e *envFlags), fn func(env *cliEnv, rest []string) error) error {
	fs := flagSet(name, usage, stderr)
	e := &envFlags{fs: fs, getenv: getenv}
	var db dbConfig
	var lc logConfig
	db.register(e)
	lc.register(e, "text")
	if extra != nil {
		extra(e)
	}
	if err := e.parse(args); err != nil {
		return err
	}
	logger, err := newLogger(lc.Format, lc.Level, stderr)
	if err != nil {
		return err
	}
	conn, err := openDatabase(ctx, db, logger)
	if err != nil {
		return err
	}
	defer conn.Close()
	return fn(&cliEnv{db: conn, store: store.New(conn.Pool), logger: logger}, fs.Args())
}

// requireSchema refuses to work on an old schema, as serve does.
func (env *cliEnv) requireSchema(ctx context.Context) error {
	if err := store.CheckSchema(ctx, env.db.Pool); err != nil {
		if errors.Is(err, store.ErrSchemaOutOfDate) {
			return fmt.Errorf("%w: run `ecsconsole migrate up` first", err)
		}
		return err
	}
	return nil
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "migrate up|status [flags]"
	if len(args) == 0 {
		flagSet("migrate", usage, stderr).Usage()
		return usagef("migrate needs a subcommand: up or status")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "up":
		return withStore(ctx, "migrate up", "migrate up [flags]", rest, getenv, stderr, nil, func(env *cliEnv, _ []string) error {
			if err := store.Migrate(ctx, env.db.Pool, stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "schema is up to date")
			return nil
		})
	case "status":
		return withStore(ctx, "migrate status", "migrate status [flags]", rest, getenv, stderr, nil, func(env *cliEnv, _ []string) error {
			st, err := store.Status(ctx, env.db.Pool)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "schema version %d of %d; job queue migrations pending: %t\n", st.Current, st.Latest, st.RiverPending)
			if st.Pending() {
				return &exitError{code: 3, msg: "migrations are pending: run `ecsconsole migrate up`"}
			}
			return nil
		})
	case "-h", "--help", "help":
		flagSet("migrate", usage, stderr).Usage()
		return nil
	}
	return usagef("unknown migrate subcommand %q: use up or status", sub)
}

func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "user add|list|set-role|disable [flags]"
	if len(args) == 0 {
		flagSet("user", usage, stderr).Usage()
		return usagef("user needs a subcommand: add, list, set-role or disable")
	}
	sub, rest := args[0], args[1:]
	var username, role string
	var passwordStdin bool
	nameFlag := func(e *envFlags) { e.String(&username, "username", "", "", "the user's name") }
	switch sub {
	case "add":
		return withStore(ctx, "user add", "user add --username NAME --role viewer|deployer|admin --password-stdin", rest, getenv, stderr,
			func(e *envFlags) {
				nameFlag(e)
				e.String(&role, "role", "", "viewer", "viewer, deployer or admin")
				e.Bool(&passwordStdin, "password-stdin", "", false, "read the password from the first line of standard input")
			},
			func(env *cliEnv, _ []string) error {
				if !passwordStdin {
					return usagef("give the password on standard input with --password-stdin (never on the command line)")
				}
				password, err := readPassword(stdin)
				if err != nil {
					return err
				}
				if err := env.requireSchema(ctx); err != nil {
					return err
				}
				u, err := env.store.CreateUser(ctx, strings.ToLower(username), store.Role(role), password)
				if err != nil {
					return describeStoreError(err)
				}
				auditCLI(ctx, env, "user.create", u.Username, map[string]any{"role": u.Role})
				fmt.Fprintf(stdout, "added %s (%s)\n", u.Username, u.Role)
				return nil
			})
	case "list":
		return withStore(ctx, "user list", "user list [flags]", rest, getenv, stderr, nil, func(env *cliEnv, _ []string) error {
			if err := env.requireSchema(ctx); err != nil {
				return err
			}
			users, err := env.store.ListUsers(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSERNAME\tROLE\tSTATUS\tCREATED")
			for _, u := range users {
				status := "active"
				if u.Disabled {
					status = "disabled"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Role, status, u.CreatedAt.UTC().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		})
	case "set-role":
		return withStore(ctx, "user set-role", "user set-role --username NAME --role viewer|deployer|admin", rest, getenv, stderr,
			func(e *envFlags) { nameFlag(e); e.String(&role, "role", "", "", "viewer, deployer or admin") },
			func(env *cliEnv, _ []string) error {
				r, err := store.ParseRole(role)
				if err != nil {
					return usagef("%v", err)
				}
				u, err := findUser(ctx, env, username)
				if err != nil {
					return err
				}
				if err := env.store.SetRole(ctx, u.ID, r); err != nil {
					return err
				}
				auditCLI(ctx, env, "user.set_role", u.Username, map[string]any{"from": u.Role, "to": r})
				fmt.Fprintf(stdout, "%s is now %s\n", u.Username, r)
				return nil
			})
	case "disable":
		return withStore(ctx, "user disable", "user disable --username NAME", rest, getenv, stderr, nameFlag,
			func(env *cliEnv, _ []string) error {
				u, err := findUser(ctx, env, username)
				if err != nil {
					return err
				}
				if err := env.store.SetDisabled(ctx, u.ID, true); err != nil {
					return err
				}
				auditCLI(ctx, env, "user.disable", u.Username, nil)
				fmt.Fprintf(stdout, "%s is disabled\n", u.Username)
				return nil
			})
	case "-h", "--help", "help":
		flagSet("user", usage, stderr).Usage()
		return nil
	}
	return usagef("unknown user subcommand %q: use add, list, set-role or disable", sub)
}

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const usage = "token create|list|revoke [flags]"
	if len(args) == 0 {
		flagSet("token", usage, stderr).Usage()
		return usagef("token needs a subcommand: create, list or revoke")
	}
	sub, rest := args[0], args[1:]
	var username, name string
	var id int64
	switch sub {
	case "create":
		return withStore(ctx, "token create", "token create --username NAME [--name LABEL]", rest, getenv, stderr,
			func(e *envFlags) {
				e.String(&username, "username", "", "", "whose token; it acts with their role")
				e.String(&name, "name", "", "token", "a label, e.g. github-actions")
			},
			func(env *cliEnv, _ []string) error {
				u, err := findUser(ctx, env, username)
				if err != nil {
					return err
				}
				t, secret, err := env.store.CreateToken(ctx, u.ID, name)
				if err != nil {
					return describeStoreError(err)
				}
				auditCLI(ctx, env, "token.create", u.Username, map[string]any{"token_id": t.ID, "name": t.Name})
				fmt.Fprintf(stdout, "created token %d (%s) for %s; it is shown only now:\n%s\n", t.ID, t.Name, u.Username, secret)
				return nil
			})
	case "list":
		return withStore(ctx, "token list", "token list --username NAME", rest, getenv, stderr,
			func(e *envFlags) { e.String(&username, "username", "", "", "whose tokens") },
			func(env *cliEnv, _ []string) error {
				u, err := findUser(ctx, env, username)
				if err != nil {
					return err
				}
				tokens, err := env.store.ListTokens(ctx, u.ID)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tCREATED\tLAST USED\tSTATUS")
				for _, t := range tokens {
					last, status := "never", "active"
					if t.LastUsedAt != nil {
						last = t.LastUsedAt.UTC().Format("2006-01-02 15:04")
					}
					if t.RevokedAt != nil {
						status = "revoked"
					}
					fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.CreatedAt.UTC().Format("2006-01-02 15:04"), last, status)
				}
				return tw.Flush()
			})
	case "revoke":
		return withStore(ctx, "token revoke", "token revoke ID", rest, getenv, stderr, nil,
			func(env *cliEnv, rest []string) error {
				if len(rest) != 1 {
					return usagef("token revoke takes one token ID (see `ecsconsole token list`)")
				}
				var err error
				if id, err = strconv.ParseInt(rest[0], 10, 64); err != nil {
					return usagef("token ID %q is not a number", rest[0])
				}
				t, err := env.store.TokenByID(ctx, id)
				if err != nil {
					return describeStoreError(err)
				}
				if err := env.store.RevokeToken(ctx, id); err != nil {
					return err
				}
				auditCLI(ctx, env, "token.revoke", t.Username, map[string]any{"token_id": t.ID, "name": t.Name})
				fmt.Fprintf(stdout, "revoked token %d (%s) of %s\n", t.ID, t.Name, t.Username)
				return nil
			})
	case "-h", "--help", "help":
		flagSet("token", usage, stderr).Usage()
		return nil
	}
	return usagef("unknown token subcommand %q: use create, list or revoke", sub)
}

func findUser(ctx context.Context, env *cliEnv, username string) (store.User, error) {
	if username == "" {
		return store.User{}, usagef("--username is required")
	}
	if err := env.requireSchema(ctx); err != nil {
		return store.User{}, err
	}
	u, err := env.store.UserByName(ctx, strings.ToLower(username))
	if err != nil {
		return store.User{}, describeStoreError(err)
	}
	return u, nil
}

// describeStoreError turns store errors into messages for a terminal.
func describeStoreError(err error) error {
	var fe *store.FieldErrors
	switch {
	case errors.As(err, &fe):
		var parts []string
		for _, field := range slices.Sorted(maps.Keys(fe.Fields)) {
			parts = append(parts, field+": "+fe.Fields[field])
		}
		return usagef("%s", strings.Join(parts, "; "))
	case errors.Is(err, ecsconsole.ErrNotFound), errors.Is(err, ecsconsole.ErrConflict):
		return &exitError{code: 1, msg: err.Error()}
	}
	return err
}

// readPassword reads one line, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("no password on standard input")
	}
	return line, nil
}

// auditCLI records a change made from the command line.
func auditCLI(ctx context.Context, env *cliEnv, action, target string, detail map[string]any) {
	if err := env.store.Audit(ctx, store.AuditEvent{Actor: "cli", Action: action, Target: target, IP: "local", Detail: detail}); err != nil {
		env.logger.Error("audit", "action", action, "error", err.Error())
	}
}
