package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// ECSAPI is the part of ECS the engine uses.
type ECSAPI interface {
	DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	CreateCluster(context.Context, *ecs.CreateClusterInput, ...func(*ecs.Options)) (*ecs.CreateClusterOutput, error)
	DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	CreateService(context.Context, *ecs.CreateServiceInput, ...func(*ecs.Options)) (*ecs.CreateServiceOutput, error)
	UpdateService(context.Context, *ecs.UpdateServiceInput, ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
}

// ELBAPI is the part of Elastic Load Balancing v2 the engine uses.
type ELBAPI interface {
	DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error)
	CreateLoadBalancer(context.Context, *elb.CreateLoadBalancerInput, ...func(*elb.Options)) (*elb.CreateLoadBalancerOutput, error)
	DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	CreateTargetGroup(context.Context, *elb.CreateTargetGroupInput, ...func(*elb.Options)) (*elb.CreateTargetGroupOutput, error)
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
	DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error)
	CreateListener(context.Context, *elb.CreateListenerInput, ...func(*elb.Options)) (*elb.CreateListenerOutput, error)
	ModifyListener(context.Context, *elb.ModifyListenerInput, ...func(*elb.Options)) (*elb.ModifyListenerOutput, error)
	DescribeTags(context.Context, *elb.DescribeTagsInput, ...func(*elb.Options)) (*elb.DescribeTagsOutput, error)
}

// EC2API is the part of EC2 the engine uses.
type EC2API interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
}

// ACMAPI is the part of Certificate Manager the engine uses.
type ACMAPI interface {
	ListCertificates(context.Context, *acm.ListCertificatesInput, ...func(*acm.Options)) (*acm.ListCertificatesOutput, error)
	DescribeCertificate(context.Context, *acm.DescribeCertificateInput, ...func(*acm.Options)) (*acm.DescribeCertificateOutput, error)
	RequestCertificate(context.Context, *acm.RequestCertificateInput, ...func(*acm.Options)) (*acm.RequestCertificateOutput, error)
	ListTagsForCertificate(context.Context, *acm.ListTagsForCertificateInput, ...func(*acm.Options)) (*acm.ListTagsForCertificateOutput, error)
}

// Clients are the AWS clients for one region.
type Clients struct {
	ECS ECSAPI
	ELB ELBAPI
	EC2 EC2API
	ACM ACMAPI
}

// ClientFactory returns the clients for a region. Clients built from
// NewClientFactory record each call's request id and retries in the step
// that made it.
type ClientFactory func(ctx context.Context, region string) (Clients, error)

// AWSOptions configures NewClientFactory. The zero value uses the default
// credential chain, AWS's endpoints (or AWS_ENDPOINT_URL, which the SDK
// honours itself) and AWS's retry backoff.
type AWSOptions struct {
	// Middleware is added to every client's stack, e.g. the metrics'
	// count of AWS calls (metrics.Metrics.AWSMiddleware).
	Middleware []func(*middleware.Stack) error
	// AssumeRoleARN, when set, is assumed (STS AssumeRole) with the default
	// credentials, and the engine acts as that role.
	AssumeRoleARN string
	// Endpoint overrides every service's endpoint, e.g. the sandbox's URL.
	Endpoint string
	// Credentials replaces the default credential chain (the sandbox takes
	// any static pair).
	Credentials aws.CredentialsProvider
	// MaxAttempts bounds the SDK's attempts per call; default 10, so that
	// sustained throttling is absorbed rather than failing a deployment.
	MaxAttempts int
	// MaxBackoff caps the retryer's delay between attempts; default 20s.
	MaxBackoff time.Duration
	// HTTPClient replaces the SDK's HTTP client.
	HTTPClient *http.Client
	// RequestCallTimeout bounds each AWS call made for a page or an API
	// request (a context marked ForRequest), retries included; default 10s.
	RequestCallTimeout time.Duration
}

// NewClientFactory returns a ClientFactory building real SDK clients with
// the adaptive retry mode. Configurations are loaded once per region and
// use: a context marked ForRequest gets clients whose calls are bounded
// (RequestBound), any other the engine's patient ones.
func NewClientFactory(opts AWSOptions) ClientFactory {
	configs := newConfigCache(opts)
	return func(ctx context.Context, region string) (Clients, error) {
		cfg, err := configs.get(ctx, region, isForRequest(ctx))
		if err != nil {
			return Clients{}, err
		}
		return Clients{
			ECS: ecs.NewFromConfig(cfg),
			ELB: elb.NewFromConfig(cfg),
			EC2: ec2.NewFromConfig(cfg),
			ACM: acm.NewFromConfig(cfg),
		}, nil
	}
}

// Request-path bounds: an AWS call made for a page or an API request gives
// up after RequestCallTimeout (default 10s) in all, with at most
// requestMaxAttempts attempts, so that an AWS that does not answer is told
// to the user in seconds, not after the engine's minutes of retries.
const (
	defaultRequestCallTimeout = 10 * time.Second
	requestMaxAttempts        = 3
	requestMaxBackoff         = time.Second
)

type forRequestKey struct{}

// ForRequest marks ctx as serving a page or an API request: the clients a
// factory of this package builds for it bound each call (AWSOptions.
// RequestCallTimeout, 3 attempts). The engine's background work, which
// never runs on a request's context, keeps its own longer policy.
func ForRequest(ctx context.Context) context.Context {
	return context.WithValue(ctx, forRequestKey{}, true)
}

func isForRequest(ctx context.Context) bool {
	v, _ := ctx.Value(forRequestKey{}).(bool)
	return v
}

// RequestConfigs returns each region's AWS configuration as a page's or an
// API request's calls use it (bounded as ForRequest's), loaded once per
// region: for readers of AWS outside the engine, such as the wizard's
// catalog.
func RequestConfigs(opts AWSOptions) func(ctx context.Context, region string) (aws.Config, error) {
	configs := newConfigCache(opts)
	return func(ctx context.Context, region string) (aws.Config, error) { return configs.get(ctx, region, true) }
}

// configCache holds the loaded configuration of each region and use.
type configCache struct {
	opts    AWSOptions
	mu      sync.Mutex
	configs map[configKey]aws.Config
}

type configKey struct {
	region     string
	forRequest bool
}

func newConfigCache(opts AWSOptions) *configCache {
	return &configCache{opts: opts, configs: map[configKey]aws.Config{}}
}

func (c *configCache) get(ctx context.Context, region string, forRequest bool) (aws.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := configKey{region, forRequest}
	if cfg, ok := c.configs[k]; ok {
		return cfg, nil
	}
	cfg, err := loadConfig(ctx, region, c.opts, forRequest)
	if err == nil {
		c.configs[k] = cfg
	}
	return cfg, err
}

func loadConfig(ctx context.Context, region string, opts AWSOptions, forRequest bool) (aws.Config, error) {
	maxAttempts := opts.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 10
	}
	maxBackoff := opts.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 20 * time.Second
	}
	apiOptions := append([]func(*middleware.Stack) error{addCallRecording}, opts.Middleware...)
	if forRequest {
		maxAttempts, maxBackoff = min(maxAttempts, requestMaxAttempts), min(maxBackoff, requestMaxBackoff)
		timeout := opts.RequestCallTimeout
		if timeout <= 0 {
			timeout = defaultRequestCallTimeout
		}
		apiOptions = append(apiOptions, func(stack *middleware.Stack) error { return addCallDeadline(stack, timeout) })
	}
	loaders := []func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = maxAttempts
					so.MaxBackoff = maxBackoff
					so.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
				})
			})
		}),
		config.WithAPIOptions(apiOptions),
	}
	if opts.Endpoint != "" {
		loaders = append(loaders, config.WithBaseEndpoint(opts.Endpoint))
	}
	if opts.Credentials != nil {
		loaders = append(loaders, config.WithCredentialsProvider(opts.Credentials))
	}
	if opts.HTTPClient != nil {
		loaders = append(loaders, config.WithHTTPClient(opts.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration for %s: %w", region, err)
	}
	if opts.AssumeRoleARN != "" {
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), opts.AssumeRoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "ecsconsole" }))
	}
	return cfg, nil
}

// addCallDeadline bounds a whole call, every attempt, backoff and the
// credentials it resolves, to timeout: the outermost middleware of the
// operation, so the retry loop sees the deadline and stops.
func addCallDeadline(stack *middleware.Stack, timeout time.Duration) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ecsconsoleCallDeadline",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// callRecorder counts the AWS calls a step makes, the attempts the retryer
// spent on them, and keeps the last request id, for deployment_steps.
type callRecorder struct {
	mu        sync.Mutex
	calls     int
	attempts  int
	requestID string
}

type recorderKey struct{}

func withRecorder(ctx context.Context, r *callRecorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, r)
}

func recorderFrom(ctx context.Context) *callRecorder {
	r, _ := ctx.Value(recorderKey{}).(*callRecorder)
	return r
}

// totals returns calls, retries (attempts beyond the first of each call) and
// the last request id.
func (r *callRecorder) totals() (calls, retries int, requestID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls, max(r.attempts-r.calls, 0), r.requestID
}

// addCallRecording adds two middlewares: one around the whole operation
// (request id, one call) and one inside the retry loop (one per attempt).
func addCallRecording(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ecsconsoleRecordCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if r := recorderFrom(ctx); r != nil {
				id, _ := awsmiddleware.GetRequestIDMetadata(md)
				var re *awshttp.ResponseError
				if errors.As(err, &re) {
					id = re.ServiceRequestID()
				}
				r.mu.Lock()
				r.calls++
				if id != "" {
					r.requestID = id
				}
				r.mu.Unlock()
			}
			return out, md, err
		}), middleware.Before)
	if err != nil {
		return err
	}
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("ecsconsoleCountAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if r := recorderFrom(ctx); r != nil {
				r.mu.Lock()
				r.attempts++
				r.mu.Unlock()
			}
			return next.HandleFinalize(ctx, in)
		}), "Retry", middleware.After)
}
