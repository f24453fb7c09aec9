package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"
)

// envFlags defines flags whose defaults come from environment variables, so
// every setting can be given either way (a flag wins over its variable).
type envFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

func (e *envFlags) usage(env, usage string) string {
	if env == "" {
		return usage
	}
	return usage + " (env " + env + ")"
}

func (e *envFlags) String(p *string, name, env, def, usage string) {
	if v := e.lookup(env); v != "" {
		def = v
	}
	e.fs.StringVar(p, name, def, e.usage(env, usage))
}

// Secret registers a flag holding a secret (a token, a URL with a
// password): its value, from the environment or the command line, is never
// shown as the flag's default in help output.
func (e *envFlags) Secret(p *string, name, env, usage string) {
	*p = e.lookup(env)
	e.fs.Var((*secretValue)(p), name, e.usage(env, usage))
}

// secretValue is a string flag that prints as nothing, so flag's help does
// not show it.
type secretValue string

func (v *secretValue) String() string     { return "" }
func (v *secretValue) Set(s string) error { *v = secretValue(s); return nil }

func (e *envFlags) Bool(p *bool, name, env string, def bool, usage string) {
	if v := e.lookup(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not true or false", env, v))
		}
		def = b
	}
	e.fs.BoolVar(p, name, def, e.usage(env, usage))
}

func (e *envFlags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v := e.lookup(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not a duration such as 30m or 12h", env, v))
		}
		def = d
	}
	e.fs.DurationVar(p, name, def, e.usage(env, usage))
}

func (e *envFlags) Float64(p *float64, name, env string, def float64, usage string) {
	if v := e.lookup(env); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s=%q is not a number", env, v))
		}
		def = f
	}
	e.fs.Float64Var(p, name, def, e.usage(env, usage))
}

func (e *envFlags) lookup(env string) string {
	if env == "" {
		return ""
	}
	return e.getenv(env)
}

// parse parses args; a bad environment variable is reported like a bad flag.
func (e *envFlags) parse(args []string) error {
	if len(e.errs) > 0 {
		return &usageError{msg: e.errs[0].Error()}
	}
	return parseFlags(e.fs, args)
}

// dbConfig is how every command finds the database.
type dbConfig struct {
	URL     string
	DataDir string
}

func (c *dbConfig) register(e *envFlags) {
	e.Secret(&c.URL, "database-url", "DATABASE_URL", "PostgreSQL URL (may hold a password, so never shown); default: postgres://127.0.0.1:5432/ecsconsole, or a private cluster under --data-dir when nothing listens there")
	e.String(&c.DataDir, "data-dir", "ECSCONSOLE_DATA_DIR", ".data", "where a private PostgreSQL cluster lives when one is needed")
}

// logConfig is how every command logs.
type logConfig struct {
	Format, Level string
}

func (c *logConfig) register(e *envFlags, defFormat string) {
	e.String(&c.Format, "log-format", "ECSCONSOLE_LOG_FORMAT", defFormat, "log format: json or text")
	e.String(&c.Level, "log-level", "ECSCONSOLE_LOG_LEVEL", "info", "log level: debug, info, warn or error")
}
