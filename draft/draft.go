// Package draft is the deploy wizard's saved form: what a person typed at
// each step, valid or not, kept in their draft so it can be resumed, and
// the one mapping between that form and the engine's ecsconsole.Spec
// (spec.go). It lives outside web/ (which only renders it) and handlers/
// (which only reads forms into it) because it is a stored format with a
// version of its own, and because both directions of the mapping must
// change together: the round-trip test in spec_test.go ties them.
package draft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// FormatVersion is the version of the stored State written by this
// build. Decode reads every version up to it: a draft saved before the
// format had a version (0) reads as version 1, whose fields it has.
const FormatVersion = 1

// Steps are the wizard's steps in order.
var Steps = []string{"taskdef", "cluster", "service", "loadbalancer", "https", "review"}

// State is a draft's content. Strings hold numbers as typed, so a refused
// value comes back exactly as written.
type State struct {
	// Format is the FormatVersion the state was written with.
	Format int    `json:"format"`
	Region string `json:"region"`
	// Saved lists the steps posted at least once; a step not yet saved is
	// shown with suggested defaults.
	Saved []string `json:"saved,omitempty"`
	// FromDeployment is the deployment the draft started from (0: none).
	FromDeployment int64 `json:"fromDeployment,omitempty"`

	// Task definition.
	Family     string      `json:"family"`
	CPU        string      `json:"cpu"`
	Memory     string      `json:"memory"`
	ExecRole   string      `json:"execRole"`
	TaskRole   string      `json:"taskRole"`
	Containers []Container `json:"containers"`
	// TDExtra are task definition members the form has no control for
	// (volumes, tags, …), kept so the JSON view round-trips.
	TDExtra map[string]any `json:"tdExtra,omitempty"`
	// TDJSON is a JSON view that could not be read (or was not applied),
	// kept as typed.
	TDJSON string `json:"tdJson,omitempty"`

	// Cluster.
	ClusterChoice string `json:"clusterChoice"` // an existing cluster's name, or "new"
	NewCluster    string `json:"newCluster"`

	// Service.
	Service        string   `json:"service"`
	DesiredCount   string   `json:"desiredCount"`
	VPC            string   `json:"vpc"`
	Subnets        []string `json:"subnets"`
	SGMode         string   `json:"sgMode"` // "new" or "existing"
	SGName         string   `json:"sgName"` // empty: derived
	SGPorts        string   `json:"sgPorts"`
	SGIDs          []string `json:"sgIds"`
	PublicIP       bool     `json:"publicIp"`
	CircuitBreaker bool     `json:"circuitBreaker"`
	Rollback       bool     `json:"rollback"`
	MinHealthy     string   `json:"minHealthy"`
	MaxPercent     string   `json:"maxPercent"`
	LBName         string   `json:"lbName"` // empty: derived
	TGName         string   `json:"tgName"` // empty: derived

	// Load balancer.
	LBEnabled  bool     `json:"lbEnabled"`
	LBSubnets  []string `json:"lbSubnets"`
	Target     string   `json:"target"` // "container:port"
	HealthPath string   `json:"healthPath"`

	// HTTPS.
	HTTPSEnabled bool   `json:"httpsEnabled"`
	HTTPSMode    string `json:"httpsMode"` // "request" or "existing"
	Domain       string `json:"domain"`
	CertARN      string `json:"certArn"`
	AltNames     string `json:"altNames"` // more names for a requested certificate, comma-separated
	Redirect     bool   `json:"redirect"`

	// Review.
	Reason string `json:"reason"`
}

// New is a blank draft with the suggested defaults: Fargate 0.5 vCPU /
// 1 GB, circuit breaker with rollback, a load balancer.
func New(region string) *State {
	return &State{
		Format: FormatVersion, Region: region, CPU: "512", Memory: "1024",
		Containers:    []Container{{Essential: true}},
		ClusterChoice: "new", DesiredCount: "1", SGMode: "new", PublicIP: true,
		CircuitBreaker: true, Rollback: true, LBEnabled: true, HealthPath: "/",
		HTTPSMode: "request", Redirect: true,
	}
}

// Example is the seed's case, every step filled with real values: a PHP
// web container on 8080 and a Redis sidecar on 6379 that only this task
// reaches (over localhost), two tasks on a new cluster "demo".
func Example(region, execRole string) *State {
	st := New(region)
	st.Family, st.ExecRole, st.DesiredCount = "php-app", execRole, "2"
	st.NewCluster, st.Service = "demo", "php-app"
	st.Containers = []Container{{
		Name: "web", Image: "php:8.3-apache", Essential: true, Ports: "8080",
		Env: []NameValue{{Name: "REDIS_HOST", Value: "localhost"}}, LogGroup: "/ecs/php-app",
	}, RedisSidecar("/ecs/php-app")}
	st.Target = "web:8080"
	return st
}

// RedisSidecar is the container "Add a Redis sidecar" adds.
func RedisSidecar(logGroup string) Container {
	return Container{Name: "redis", Image: "redis:7", Ports: "6379", LogGroup: logGroup,
		Extra: map[string]any{"memoryReservation": json.Number("128")}}
}

// HasRedis reports whether a container already runs a redis image, so
// the button does not add a second one.
func (st *State) HasRedis() bool {
	return slices.ContainsFunc(st.Containers, func(c Container) bool {
		image := strings.TrimSpace(c.Image)
		return image == "redis" || strings.HasPrefix(image, "redis:") || strings.HasPrefix(image, "redis@") || strings.TrimSpace(c.Name) == "redis"
	})
}

// Decode reads a stored state, of this format version or an older one.
func Decode(data []byte) (*State, error) {
	st := &State{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(st); err != nil {
		return nil, fmt.Errorf("reading a draft: %w", err)
	}
	if st.Format > FormatVersion {
		return nil, fmt.Errorf("reading a draft: format %d is newer than this console's %d", st.Format, FormatVersion)
	}
	st.Format = FormatVersion // version 0 had exactly version 1's fields
	return st, nil
}

// Encode is the stored form of the state.
func (st *State) Encode() []byte {
	st.Format = FormatVersion
	return MarshalJSON(st)
}

// MarshalJSON encodes generic JSON without HTML escaping.
func MarshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("draft: encoding the wizard's own JSON: %v", err)) // only strings, numbers, bools, maps and lists
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// IsSaved reports whether step was posted at least once.
func (st *State) IsSaved(step string) bool { return slices.Contains(st.Saved, step) }

// MarkSaved records that step was posted.
func (st *State) MarkSaved(step string) {
	if !st.IsSaved(step) {
		st.Saved = append(st.Saved, step)
	}
}

// Title names the draft in lists.
func (st *State) Title() string {
	name := FirstNonEmpty(st.Service, st.Family, "untitled")
	if c := st.ClusterName(); c != "" {
		return name + " on " + c
	}
	return name
}

// ClusterName is the cluster chosen or typed.
func (st *State) ClusterName() string {
	if st.ClusterChoice == "new" {
		return strings.TrimSpace(st.NewCluster)
	}
	return st.ClusterChoice
}

// ServiceName is the service's name, or the family's when none is typed.
func (st *State) ServiceName() string { return FirstNonEmpty(st.Service, st.Family) }

// DerivedSGName is the new security group's name, derived when none is typed.
func (st *State) DerivedSGName() string { return FirstNonEmpty(st.SGName, st.ServiceName()+"-tasks") }

// DerivedLBName is the load balancer's name, derived when none is typed.
func (st *State) DerivedLBName() string { return FirstNonEmpty(st.LBName, st.ServiceName()) }

// DerivedTGName is the target group's name, derived when none is typed.
func (st *State) DerivedTGName() string { return FirstNonEmpty(st.TGName, st.ServiceName()) }

// LogGroup is the awslogs group a new container gets.
func (st *State) LogGroup() string { return "/ecs/" + FirstNonEmpty(st.Family, "app") }

// FirstNonEmpty is the first of xs that is not blank, trimmed.
func FirstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}

// Targets are the container ports a target group can send traffic to, as
// "container:port".
func (st *State) Targets() []string {
	var out []string
	for _, c := range st.Containers {
		for _, p := range SplitList(c.Ports) {
			port, proto, _ := strings.Cut(p, "/")
			if proto == "" || strings.EqualFold(proto, "tcp") {
				out = append(out, strings.TrimSpace(c.Name)+":"+port)
			}
		}
	}
	return out
}

// ExposedPorts are the TCP ports of essential containers: what the tasks'
// security group opens by default. Sidecars (not essential) are reached
// over localhost inside the task, so their ports stay closed.
func (st *State) ExposedPorts() []string {
	var out []string
	for _, c := range st.Containers {
		if !c.Essential {
			continue
		}
		for _, p := range SplitList(c.Ports) {
			port, proto, _ := strings.Cut(p, "/")
			if (proto == "" || strings.EqualFold(proto, "tcp")) && !slices.Contains(out, port) {
				out = append(out, port)
			}
		}
	}
	return out
}

// SplitList splits a list typed with commas, spaces or newlines; nil when empty.
func SplitList(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(out) == 0 {
		return nil
	}
	return out
}
