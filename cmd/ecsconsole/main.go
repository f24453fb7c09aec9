// Command ecsconsole is a self-hosted web console that deploys container
// images to Amazon ECS (Fargate), keeps every deployment and rolls back.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ecsconsole:", err)
		os.Exit(exitCode(err))
	}
}
