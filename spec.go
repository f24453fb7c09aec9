package ecsconsole

// The deployment spec: one deployment's desired state, whose JSON is a
// public format (docs/design.md §3). Reading it strictly and checking it
// are deploy's (Parse, Validate).

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Size limits. The task definition limit is AWS's own for a
// RegisterTaskDefinition request; the spec limit leaves room around it.
const (
	MaxSpecBytes           = 256 << 10
	MaxTaskDefinitionBytes = 64 << 10
)

// Spec is one deployment's desired state: everything apply needs to take a
// task definition to a running, load-balanced ECS service. Its JSON field
// names are a public contract (docs/design.md §3).
type Spec struct {
	// Region is the AWS region. Empty means the console's configured region;
	// deploy.ParseWithDefaultRegion fills it in.
	Region  string  `json:"region,omitempty"`
	Cluster Cluster `json:"cluster"`
	// TaskDefinition is AWS's RegisterTaskDefinition input JSON, normalized by
	// deploy.Parse: describe-task-definition read-only members stripped, keys sorted,
	// compact. Use deploy.TaskDefinitionInput for the typed form.
	TaskDefinition json.RawMessage `json:"taskDefinition,omitempty"`
	Service        Service         `json:"service"`
	// LoadBalancer is optional: without it the service runs without an ALB.
	LoadBalancer *LoadBalancer `json:"loadBalancer,omitempty"`
}

// Cluster names the ECS cluster, created when it does not exist.
type Cluster struct {
	Name string `json:"name"`
}

// Service is the ECS service: how many tasks, where, and how deployments roll.
type Service struct {
	Name string `json:"name"`
	// DesiredCount is required: ECS needs it for replica services, and a
	// silent default of zero tasks would surprise.
	DesiredCount     *int32            `json:"desiredCount,omitempty"`
	Subnets          []string          `json:"subnets,omitempty"`
	AssignPublicIP   bool              `json:"assignPublicIp,omitempty"`
	SecurityGroupIDs []string          `json:"securityGroupIds,omitempty"`
	NewSecurityGroup *NewSecurityGroup `json:"newSecurityGroup,omitempty"`
	CircuitBreaker   *CircuitBreaker   `json:"circuitBreaker,omitempty"`
	// MinimumHealthyPercent and MaximumPercent are nil for AWS's defaults
	// (100 and 200).
	MinimumHealthyPercent *int32 `json:"minimumHealthyPercent,omitempty"`
	MaximumPercent        *int32 `json:"maximumPercent,omitempty"`
}

// NewSecurityGroup describes a security group to create for the tasks.
type NewSecurityGroup struct {
	Name string `json:"name"`
	// IngressPorts are opened to the load balancer's security group, or to
	// the internet when the spec has no load balancer.
	IngressPorts []int32 `json:"ingressPorts,omitempty"`
}

// CircuitBreaker is ECS's deployment circuit breaker setting.
type CircuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

// LoadBalancer is an internet-facing Application Load Balancer in front of
// the service, with an HTTP listener on 80 and optionally HTTPS on 443.
type LoadBalancer struct {
	Name        string      `json:"name"`
	Subnets     []string    `json:"subnets,omitempty"`
	TargetGroup TargetGroup `json:"targetGroup"`
	HTTPS       *HTTPS      `json:"https,omitempty"`
}

// TargetGroup is the ALB target group (target type ip) that ECS keeps filled
// with the tasks' addresses on ContainerName:ContainerPort.
type TargetGroup struct {
	Name          string `json:"name"`
	ContainerName string `json:"containerName"`
	ContainerPort int32  `json:"containerPort"`
	// HealthCheckPath empty means the target group default, "/".
	HealthCheckPath string `json:"healthCheckPath,omitempty"`
}

// HTTPS adds a 443 listener. Exactly one of CertificateArn (an existing ACM
// certificate) and RequestDomain (request a DNS-validated one) is set.
type HTTPS struct {
	CertificateArn string `json:"certificateArn,omitempty"`
	RequestDomain  string `json:"requestDomain,omitempty"`
	// AlternativeNames are more names the requested certificate covers
	// (its subject alternative names besides requestDomain), e.g.
	// "www.example.com" or "*.example.com".
	AlternativeNames []string `json:"alternativeNames,omitempty"`
	// RedirectHTTP turns the port 80 listener into a redirect to 443 once
	// HTTPS works.
	RedirectHTTP bool `json:"redirectHttp,omitempty"`
}

// JSON returns the spec's canonical JSON: compact, fields in declaration
// order, the task definition as normalized by Parse. It panics if
// TaskDefinition is set but is not valid JSON, which Parse never produces.
func (s *Spec) JSON() []byte {
	b, err := CanonicalJSON(s)
	if err != nil {
		// A Spec holds only strings, numbers, bools and the task definition,
		// which Parse produced as valid JSON.
		panic(fmt.Sprintf("ecsconsole: marshal spec: %v", err))
	}
	return b
}

// ServiceKey identifies the service the spec deploys: "<region>/<cluster>/<service>".
func (s *Spec) ServiceKey() string {
	return s.Region + "/" + s.Cluster.Name + "/" + s.Service.Name
}

// CanonicalJSON encodes v as specs are stored and compared: compactly,
// without HTML escaping, so that characters such as < and & in commands
// survive export unchanged.
func CanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
