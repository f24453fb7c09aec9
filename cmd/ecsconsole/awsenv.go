package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/sandbox"
)

// awsEnvironment is the AWS the console talks to: real AWS through the
// default credential chain (AWS_ENDPOINT_URL honoured by the SDK), or an
// in-process sandbox.
type awsEnvironment struct {
	Config  aws.Config
	Sandbox *sandbox.Server // nil against real AWS
	// Engine is how the deployment engine builds its per-region clients.
	Engine deploy.AWSOptions
	close  func()
}

// Close stops the in-process sandbox, if any.
func (e *awsEnvironment) Close() {
	if e.close != nil {
		e.close()
	}
}

func newAWSEnvironment(ctx context.Context, cfg serveConfig, logger *slog.Logger) (*awsEnvironment, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(cfg.Region),
		// Adaptive mode: client-side rate limiting on top of retries, so
		// throttling is absorbed instead of failing a deployment.
		config.WithRetryMode(aws.RetryModeAdaptive),
	}
	env := &awsEnvironment{}
	if cfg.Sandbox {
		url, sb, stop, err := startInProcessSandbox(sandbox.Options{
			Region: cfg.Region, Speed: cfg.SandboxSpeed, CertificateValidationDelay: cfg.SandboxCert,
			Logger: logger.With("component", "sandbox"),
		}, logger)
		if err != nil {
			return nil, err
		}
		env.Sandbox, env.close = sb, stop
		creds := credentials.NewStaticCredentialsProvider("sandbox", "sandbox", "")
		opts = append(opts, config.WithCredentialsProvider(creds), config.WithBaseEndpoint(url))
		env.Engine = deploy.AWSOptions{Endpoint: url, Credentials: creds}
		logger.Info("sandbox: local AWS running in-process; no real AWS calls", "endpoint", url)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		env.Close()
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.AssumeRoleARN != "" && !cfg.Sandbox {
		env.Engine.AssumeRoleARN = cfg.AssumeRoleARN
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), cfg.AssumeRoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "ecsconsole" }))
	}
	env.Config = awsCfg
	return env, nil
}

// startInProcessSandbox serves a sandbox on a loopback port.
func startInProcessSandbox(opts sandbox.Options, logger *slog.Logger) (string, *sandbox.Server, func(), error) {
	sb := sandbox.New(opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("sandbox stopped", "error", err.Error())
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), sb, stop, nil
}
