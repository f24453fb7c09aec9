// Package sandbox is a local AWS: ECS, ELBv2, EC2, ACM, STS and CloudWatch
// Logs spoken on their real wire protocols, so the real aws-sdk-go-v2 clients
// (and awscli) can be pointed at it. It enforces AWS's validation rules with
// AWS's error codes and moves resources through their lifecycles on a clock.
//
// It imports nothing else of ecsconsole.
package sandbox

import (
	"log/slog"
	"net/url"
	"sync"
	"time"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// AccountID is the AWS account every ARN carries. Default "000000000000".
	AccountID string
	// Region is seeded at start; other regions are seeded on first use.
	// Default "us-east-1".
	Region string
	// Speed is how many simulated seconds pass per real second. Default 1.
	Speed float64
	// CertificateValidationDelay is the simulated time an ACM certificate
	// stays PENDING_VALIDATION. Default 2 minutes.
	CertificateValidationDelay time.Duration
	// Logger receives one line per call. Default: discard.
	Logger *slog.Logger
}

// Server is an http.Handler serving every sandboxed service on one endpoint.
type Server struct {
	opts   Options
	clock  *Clock
	faults *Faults

	mu      sync.Mutex // guards regions and everything reachable from them
	regions map[string]*world

	jsonOps  map[string]jsonOp  // by X-Amz-Target, e.g. "AmazonEC2ContainerServiceV20141113.CreateCluster"
	queryOps map[string]queryOp // by Version + ":" + Action, e.g. "2015-12-01:CreateLoadBalancer"
}

// call is one API request, handled with s.mu held and the world advanced to now.
type call struct {
	w         *world
	now       time.Time // simulated
	requestID string
	op        string // operation name, e.g. "CreateService"
}

// jsonOp handles an awsJson1_1 operation. body is the raw request JSON; the
// returned value is marshalled with encoding/json (use epochSeconds for
// timestamps). Return an *apiError for AWS errors.
type jsonOp func(c *call, body []byte) (any, error)

// queryOp handles an awsQuery (ELBv2, STS) or ec2Query (EC2) operation. The
// returned value is the <Op>Result content (awsQuery) or the response
// members (ec2Query), encoded by the protocol's XML writer.
type queryOp func(c *call, form url.Values) (any, error)

// world is the state of one region of the account.
type world struct {
	account string
	region  string
	events  eventQueue

	// executionRoleARN is the seeded ecsTaskExecutionRole (IAM answers
	// ListRoles only; see iam.go).
	executionRoleARN string

	ec2  *ec2State
	elb  *elbState
	ecs  *ecsState
	acm  *acmState
	logs *logsState

	// tagMoves counts, per image reference, how often its tag was moved
	// (MoveImageTag): the registry's digest for it changes each time.
	tagMoves map[string]int
}
