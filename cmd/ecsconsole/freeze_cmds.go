package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// freezeView is what the CLI reads of a service's freeze.
type freezeView struct {
	Service  string     `json:"service"`
	Frozen   bool       `json:"frozen"`
	Reason   string     `json:"reason"`
	FrozenBy string     `json:"frozenBy"`
	FrozenAt *time.Time `json:"frozenAt"`
}

// runFreeze freezes a service, so that deploys of it (by pipelines too)
// are refused until it is unfrozen; rollbacks still run.
func runFreeze(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, e := newAPICommand("freeze", "freeze REGION/CLUSTER/SERVICE --reason TEXT", getenv, stderr)
	var reason string
	e.String(&reason, "reason", "", "", "why deploys are stopped, shown to whoever is refused (required)")
	if err := e.parse(reorderFlags(args)); err != nil {
		return err
	}
	path, err := freezePathArg(e.fs.Args())
	if err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return usagef("say why with --reason: whoever is refused reads it")
	}
	var f freezeView
	if err := c.do(ctx, http.MethodPost, path, map[string]string{"reason": reason}, &f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s frozen: %s\n", f.Service, f.Reason)
	return nil
}

// runUnfreeze lets a frozen service deploy again.
func runUnfreeze(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, e := newAPICommand("unfreeze", "unfreeze REGION/CLUSTER/SERVICE", getenv, stderr)
	if err := e.parse(reorderFlags(args)); err != nil {
		return err
	}
	path, err := freezePathArg(e.fs.Args())
	if err != nil {
		return err
	}
	var f freezeView
	if err := c.do(ctx, http.MethodDelete, path, nil, &f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s can be deployed again\n", f.Service)
	return nil
}

// freezePathArg is the API path of the freeze of the one service named
// as region/cluster/service.
func freezePathArg(args []string) (string, error) {
	if len(args) != 1 {
		return "", usagef("give one service as REGION/CLUSTER/SERVICE, e.g. us-east-1/demo/php-app")
	}
	parts := strings.Split(args[0], "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", usagef("service %q: want REGION/CLUSTER/SERVICE, e.g. us-east-1/demo/php-app", args[0])
	}
	return "/api/v1/services/" + args[0] + "/freeze", nil
}
