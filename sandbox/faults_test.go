package sandbox

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// statusCounter is an HTTP transport that counts responses by status.
type statusCounter struct {
	mu     sync.Mutex
	counts map[int]int
}

func (c *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.counts[resp.StatusCode]++
		c.mu.Unlock()
	}
	return resp, err
}

// fastRetryConfig is the SDK's standard retryer (its error classification
// is what is under test) with more attempts, millisecond backoff and no
// retry quota, so a throttled test runs fast and deterministically.
func fastRetryConfig(env *testEnv, transport http.RoundTripper) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		BaseEndpoint: aws.String(env.URL),
		HTTPClient:   &http.Client{Transport: transport},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 12
				o.MaxBackoff = 2 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

func TestThrottlingIsAbsorbedByTheRetryer(t *testing.T) {
	env := newTestEnv(t)
	counter := &statusCounter{counts: map[int]int{}}
	cfg := fastRetryConfig(env, counter)
	acmClient, logsClient := acm.NewFromConfig(cfg), cloudwatchlogs.NewFromConfig(cfg)
	ec2Client, elbClient, stsClient := ec2.NewFromConfig(cfg), elasticloadbalancingv2.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	// One call per protocol family: awsJson1_1, ec2Query (503), awsQuery.
	calls := []func() error{
		func() error {
			_, err := acmClient.ListCertificates(t.Context(), &acm.ListCertificatesInput{})
			return err
		},
		func() error {
			_, err := logsClient.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		},
		func() error { _, err := ec2Client.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{}); return err },
		func() error {
			_, err := elbClient.DescribeLoadBalancers(t.Context(), &elasticloadbalancingv2.DescribeLoadBalancersInput{})
			return err
		},
		func() error {
			_, err := stsClient.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
			return err
		},
	}
	// Seeded: each service's draws are the same in every run, whatever
	// the order of the concurrent calls, so that EC2's calls (the only
	// 503s) are throttled in every run; unseeded, all ten of them passed
	// untouched in about one run in 35 (0.7^10).
	env.Server.SeedFaults(1)
	env.Server.SetThrottleRate(0.3)

	const rounds = 10
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range rounds {
		for i, call := range calls {
			wg.Go(func() {
				if err := call(); err != nil {
					failures.Add(1)
					t.Errorf("call %d: %v", i, err)
				}
			})
		}
	}
	wg.Wait()
	if failures.Load() > 0 {
		return
	}
	if counter.counts[400] == 0 || counter.counts[503] == 0 {
		t.Errorf("want both 400 and 503 (EC2) throttling at rate 0.3: statuses %v", counter.counts)
	}
	if want := rounds * len(calls); counter.counts[200] != want {
		t.Errorf("%d successful responses, want %d", counter.counts[200], want)
	}
}

func TestThrottlingErrorsPerService(t *testing.T) {
	tests := []struct {
		service, code string
		status        int
	}{
		{"ecs", "ThrottlingException", 400},
		{"acm", "ThrottlingException", 400},
		{"logs", "ThrottlingException", 400},
		{"elasticloadbalancing", "Throttling", 400},
		{"sts", "Throttling", 400},
		{"ec2", "RequestLimitExceeded", 503},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			code, status, _ := throttlingError(tt.service)
			if code != tt.code || status != tt.status {
				t.Errorf("got %s %d, want %s %d", code, status, tt.code, tt.status)
			}
			if _, ok := retry.DefaultThrottleErrorCodes[code]; !ok {
				t.Errorf("%s is not among the SDK's throttle codes", code)
			}
		})
	}
}

func TestFailCall(t *testing.T) {
	env := newTestEnv(t)
	list := func() error {
		_, err := env.ACM.ListCertificates(t.Context(), &acm.ListCertificatesInput{})
		return err
	}

	t.Run("the nth call fails once with the exact code and message", func(t *testing.T) {
		env.Server.FailCall("ListCertificates", 3, "InvalidArgsException", "scripted")
		for i := 1; i <= 4; i++ {
			err := list()
			if i != 3 {
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				continue
			}
			wantAPIError(t, err, "InvalidArgsException")
			var ae smithy.APIError
			if errors.As(err, &ae); ae.ErrorMessage() != "scripted" {
				t.Errorf("message %q, want %q", ae.ErrorMessage(), "scripted")
			}
		}
	})

	t.Run("other operations do not count", func(t *testing.T) {
		env.Server.FailCall("ListCertificates", 1, "ValidationException", "")
		if _, err := env.Logs.DescribeLogGroups(t.Context(), &cloudwatchlogs.DescribeLogGroupsInput{}); err != nil {
			t.Fatalf("DescribeLogGroups: %v", err)
		}
		wantAPIError(t, list(), "ValidationException")
	})

	t.Run("a scripted throttle is retried by the SDK", func(t *testing.T) {
		env.Server.FailCall("ListCertificates", 1, "ThrottlingException", "")
		cfg := fastRetryConfig(env, http.DefaultTransport)
		if _, err := acm.NewFromConfig(cfg).ListCertificates(t.Context(), &acm.ListCertificatesInput{}); err != nil {
			t.Fatalf("throttled call not retried: %v", err)
		}
	})

	t.Run("query protocols carry the code too", func(t *testing.T) {
		env.Server.FailCall("DescribeSecurityGroups", 1, "InvalidGroup.NotFound", "The security group 'sg-1' does not exist")
		_, err := env.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{})
		wantAPIError(t, err, "InvalidGroup.NotFound")
	})

	t.Run("a server fault is a 500", func(t *testing.T) {
		if got := faultStatus("acm", "ServerException"); got != 500 {
			t.Errorf("ServerException status %d, want 500", got)
		}
	})
}

func TestLatency(t *testing.T) {
	env := newTestEnv(t)
	timed := func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		_, err := env.ACM.ListCertificates(ctx, &acm.ListCertificatesInput{}, func(o *acm.Options) { o.RetryMaxAttempts = 1 })
		return time.Since(start), err
	}

	t.Run("fixed", func(t *testing.T) {
		env.Server.SetLatency(80*time.Millisecond, 80*time.Millisecond)
		if d, err := timed(t.Context()); err != nil || d < 80*time.Millisecond {
			t.Errorf("call took %s (%v), want at least 80ms", d, err)
		}
	})

	t.Run("random within bounds", func(t *testing.T) {
		env.Server.SetLatency(20*time.Millisecond, 60*time.Millisecond)
		for range 5 {
			if d, err := timed(t.Context()); err != nil || d < 20*time.Millisecond || d > time.Second {
				t.Errorf("call took %s (%v), want 20–60ms plus overhead", d, err)
			}
		}
	})

	t.Run("a cancelled caller is released", func(t *testing.T) {
		env.Server.SetLatency(10*time.Second, 10*time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if d, err := timed(ctx); err == nil || d > 5*time.Second {
			t.Errorf("call took %s with error %v, want a quick deadline error", d, err)
		}
	})

	env.Server.ClearFaults()
	if d, err := timed(t.Context()); err != nil || d > 5*time.Second {
		t.Errorf("after ClearFaults the call took %s (%v)", d, err)
	}
}
