package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// apiClient calls the console's JSON API with a bearer token, for CI
// pipelines: deploy, rollback, status.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// newAPICommand returns the client and flags of an API command, with the
// flags every API command takes already registered.
func newAPICommand(name, usage string, getenv func(string) string, stderr io.Writer) (*apiClient, *envFlags) {
	c := &apiClient{http: &http.Client{Timeout: 60 * time.Second}}
	e := &envFlags{fs: flagSet(name, usage, stderr), getenv: getenv}
	e.String(&c.base, "url", "ECSCONSOLE_URL", "http://127.0.0.1:8080", "the console's URL")
	e.Secret(&c.token, "token", "ECSCONSOLE_TOKEN", "API token (ecsconsole token create); prefer the environment variable")
	return c, e
}

// waitFlags registers --wait and --timeout.
func waitFlags(e *envFlags, wait *bool, timeout *time.Duration) {
	e.Bool(wait, "wait", "", false, "wait for the outcome; exit non-zero unless it succeeds")
	e.Duration(timeout, "timeout", "", time.Hour, "with --wait, how long to wait")
}

// apiError is an error answer of the API.
type apiError struct {
	Status  int
	Code    string
	Message string
	Fields  []struct{ Path, Message string }
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (HTTP %d)", e.Message, e.Status)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Message)
	}
	return b.String()
}

func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	if c.token == "" {
		return usagef("no API token: set ECSCONSOLE_TOKEN (create one with `ecsconsole token create` or on your account page)")
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return usagef("invalid --url %q", c.base)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling the console at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct {
				Code, Message string
				Fields        []struct{ Path, Message string }
			}
		}
		if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
			return &apiError{Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
		}
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Fields: e.Error.Fields}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// deploymentView is what the CLI reads of a deployment.
type deploymentView struct {
	ID         int64  `json:"id"`
	Service    string `json:"service"`
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	RollbackOf *int64 `json:"rollbackOf"`
	Error      *struct {
		Step, Code, Message string
	} `json:"error"`
	Steps []struct {
		Name, Status, Action, ResourceArn, ErrorCode, ErrorMessage string
		Retries                                                    int
	} `json:"steps"`
	Outputs struct {
		URL             string `json:"url"`
		LoadBalancerDNS string `json:"loadBalancerDns"`
	} `json:"outputs"`
	DNSValidation []struct {
		DomainName, Name, Type, Value, Status string
	} `json:"dnsValidation"`
}

func (d deploymentView) finished() bool {
	switch d.Status {
	case "queued", "running", "waiting_for_dns":
		return false
	}
	return true
}

func runDeploy(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, e := newAPICommand("deploy", "deploy -f spec.json [--reason TEXT] [--wait] [--plan]", getenv, stderr)
	var file, reason string
	var wait, planOnly bool
	var timeout time.Duration
	e.String(&file, "f", "", "", "the deployment spec (JSON); - reads standard input")
	e.String(&reason, "reason", "", "", "why, shown in the history")
	e.Bool(&planOnly, "plan", "", false, "only show what the deployment would do")
	waitFlags(e, &wait, &timeout)
	if err := e.parse(args); err != nil {
		return err
	}
	if file == "" {
		return usagef("give the spec with -f spec.json")
	}
	spec, err := readSpecFile(file, stdin)
	if err != nil {
		return err
	}
	body := map[string]any{"spec": spec, "reason": reason}
	if planOnly {
		var plan struct {
			Items []struct{ Resource, Name, Action, Reason string }
		}
		if err := c.do(ctx, http.MethodPost, "/api/v1/plan", body, &plan); err != nil {
			return err
		}
		for _, it := range plan.Items {
			fmt.Fprintf(stdout, "%-8s %s %s: %s\n", it.Action, it.Resource, it.Name, it.Reason)
		}
		return nil
	}
	var created struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/deployments", body, &created); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployment %d %s\n", created.ID, created.Status)
	if !wait {
		return nil
	}
	return waitDeployment(ctx, c, created.ID, timeout, stdout)
}

func runRollback(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, e := newAPICommand("rollback", "rollback ID [--reason TEXT] [--force] [--wait]", getenv, stderr)
	var reason string
	var wait, force bool
	var timeout time.Duration
	e.String(&reason, "reason", "", "", "why, shown in the history")
	e.Bool(&force, "force", "", false, "roll back even when the deployment's spec and images are what the service runs now (refused with 409 otherwise)")
	waitFlags(e, &wait, &timeout)
	if err := e.parse(reorderFlags(args)); err != nil {
		return err
	}
	id, err := deploymentArg(e.fs.Args())
	if err != nil {
		return err
	}
	var created struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/deployments/"+strconv.FormatInt(id, 10)+"/rollback", map[string]any{"reason": reason, "force": force}, &created); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deployment %d (rollback to %d) %s\n", created.ID, id, created.Status)
	if !wait {
		return nil
	}
	return waitDeployment(ctx, c, created.ID, timeout, stdout)
}

func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, e := newAPICommand("status", "status ID", getenv, stderr)
	if err := e.parse(reorderFlags(args)); err != nil {
		return err
	}
	id, err := deploymentArg(e.fs.Args())
	if err != nil {
		return err
	}
	var d deploymentView
	if err := c.do(ctx, http.MethodGet, "/api/v1/deployments/"+strconv.FormatInt(id, 10), nil, &d); err != nil {
		return err
	}
	printDeployment(stdout, d)
	return outcome(d)
}

// waitDeployment polls until the deployment finishes, printing each step's
// changes and the DNS records to add while it waits for them.
func waitDeployment(ctx context.Context, c *apiClient, id int64, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := map[string]string{}
	shownDNS := false
	for {
		var d deploymentView
		if err := c.do(ctx, http.MethodGet, "/api/v1/deployments/"+strconv.FormatInt(id, 10), nil, &d); err != nil {
			return err
		}
		for _, st := range d.Steps {
			if seen[st.Name] != st.Status {
				seen[st.Name] = st.Status
				fmt.Fprintf(stdout, "  %-22s %s %s\n", st.Name, st.Status, st.Action)
			}
		}
		if d.Status == "waiting_for_dns" && !shownDNS && len(d.DNSValidation) > 0 {
			shownDNS = true
			fmt.Fprintln(stdout, "waiting for DNS validation: add these records at your DNS provider:")
			for _, r := range d.DNSValidation {
				fmt.Fprintf(stdout, "  %s %s %s\n", r.Name, r.Type, r.Value)
			}
		}
		if d.finished() {
			printDeployment(stdout, d)
			return outcome(d)
		}
		select {
		case <-ctx.Done():
			return &exitError{code: 1, msg: fmt.Sprintf("deployment %d is still %s after %s", id, d.Status, timeout)}
		case <-time.After(2 * time.Second):
		}
	}
}

func printDeployment(w io.Writer, d deploymentView) {
	fmt.Fprintf(w, "deployment %d of %s: %s\n", d.ID, d.Service, d.Status)
	if d.Error != nil {
		fmt.Fprintf(w, "  failed at %s: %s: %s\n", d.Error.Step, d.Error.Code, d.Error.Message)
	}
	if d.Outputs.URL != "" {
		fmt.Fprintf(w, "  url: %s\n", d.Outputs.URL)
	}
}

// outcome is nil only for a succeeded deployment.
func outcome(d deploymentView) error {
	if d.Status == "succeeded" {
		return nil
	}
	return &exitError{code: 1, msg: fmt.Sprintf("deployment %d %s", d.ID, d.Status)}
}

func deploymentArg(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usagef("give one deployment ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("deployment ID %q is not a number", args[0])
	}
	return id, nil
}

// reorderFlags moves a leading positional argument after the flags, so
// `rollback 42 --wait` works as well as `rollback --wait 42`.
func reorderFlags(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return append(append([]string{}, args[1:]...), args[0])
	}
	return args
}

// readSpecFile reads a spec file (or standard input for "-") as raw JSON;
// the console validates it.
func readSpecFile(name string, stdin io.Reader) (json.RawMessage, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the spec: %w", err)
	}
	if !json.Valid(data) {
		return nil, usagef("%s is not valid JSON", name)
	}
	return json.RawMessage(data), nil
}
