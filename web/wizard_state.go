package web

import "time"

// WizardState is a wizard draft's content: what was typed at each step,
// valid or not. Strings hold numbers as typed, so a refused value comes back
// exactly as written.
type WizardState struct {
	Region string `json:"region"`
	// Saved lists the steps posted at least once; a step not yet saved is
	// shown with suggested defaults.
	Saved []string `json:"saved,omitempty"`
	// FromDeployment is the deployment the draft started from (0: none).
	FromDeployment int64 `json:"fromDeployment,omitempty"`

	// Task definition.
	Family     string            `json:"family"`
	CPU        string            `json:"cpu"`
	Memory     string            `json:"memory"`
	ExecRole   string            `json:"execRole"`
	TaskRole   string            `json:"taskRole"`
	Containers []WizardContainer `json:"containers"`
	// TDExtra are task definition members the form has no control for
	// (volumes, tags, …), kept so the JSON view round-trips.
	TDExtra map[string]any `json:"tdExtra,omitempty"`
	// TDJSON is a JSON view that could not be read, kept as typed.
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

// WizardContainer is one container as the form holds it.
type WizardContainer struct {
	Name      string      `json:"name"`
	Image     string      `json:"image"`
	Essential bool        `json:"essential"`
	Ports     string      `json:"ports"` // "8080, 53/udp"
	Env       []NameValue `json:"env,omitempty"`
	Secrets   []NameValue `json:"secrets,omitempty"`
	Command   string      `json:"command"` // one argument per line
	Health    string      `json:"health"`  // health check command, one element per line
	LogGroup  string      `json:"logGroup"`
	LogPrefix string      `json:"logPrefix"`
	// HealthExtra and LogExtra keep health check and awslogs options the
	// form does not show; Extra the container's other members.
	HealthExtra map[string]any `json:"healthExtra,omitempty"`
	LogExtra    map[string]any `json:"logExtra,omitempty"`
	Extra       map[string]any `json:"extra,omitempty"`
}

// NameValue is an environment variable (Value) or a secret (Value is its ARN).
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Option is one choice of a select, radio group or datalist.
type Option struct {
	Value, Label string
	Group        string // optgroup label, for grouped selects
}

// Problem is one thing wrong with the spec a draft makes: where (the spec
// path and the form field beside which it shows) and on which step.
type Problem struct {
	Path, Message, Field string
	Step, StepTitle      string
}

// StepLink is one entry of the step indicator.
type StepLink struct {
	Key, Title, Href string
	State            string // done, current or todo
}

// ClusterOption is an existing cluster with its counts.
type ClusterOption struct {
	Name, Status               string
	Services, Running, Pending int
}

// SubnetOption is a subnet to pick.
type SubnetOption struct {
	ID, AZ, CIDR, Name string
	Public             bool
}

// CertOption is an ACM certificate to pick.
type CertOption struct {
	ARN, Domain, Names, Status string
	Covers                     bool // it is valid for the domain typed
}

// DerivedNames are the names the console gives resources left unnamed.
type DerivedNames struct {
	Service, SecurityGroup, LoadBalancer, TargetGroup, LoadBalancerSG, Family string
}

// DraftRow is a draft in a list.
type DraftRow struct {
	ID        int64
	Title     string
	Step      string
	Href      string
	UpdatedAt time.Time
}

// WizardStart is the wizard's first page.
type WizardStart struct {
	Region      string
	Error       string
	Drafts      []DraftRow
	Families    []string
	FamiliesErr string
	Deployments []KeyValue // id → label
}

// WizardView is one wizard step's page.
type WizardView struct {
	DraftID   int64
	Title     string
	Step      string
	Steps     []StepLink
	Back      string
	BackHref  string
	State     WizardState
	Derived   DerivedNames
	Errors    WizardErrors
	Problems  []Problem
	Error     string // form-wide
	ErrorLink int64  // a deployment the error is about
	Flash     string
	Deployed  int64 // the deployment this draft became, 0 if none
	CanDeploy bool

	// Task definition.
	Roles           []Option
	RolesErr        string
	ExecRoleSuggest string
	Sizes           []Option
	Size            string
	SizeInvalid     bool
	TDJSON          string
	// Cluster.
	Clusters    []ClusterOption
	ClustersErr string
	// Service and load balancer.
	VPCs         []Option
	VPCsErr      string
	Subnets      []SubnetOption
	SubnetsErr   string
	SGs          []Option
	SGsErr       string
	Targets      []string
	ExposedPorts string
	// HTTPS.
	Certs    []CertOption
	CertsErr string
	// Review.
	SpecJSON    string
	Pending     []Problem // what still stops the spec, by step
	Plan        []PlanRow
	PlanErr     string
	ServiceKey  string
	DiffAgainst int64
	Changes     []ChangeRow
}

// PlanRow is one resource in a plan preview.
type PlanRow struct {
	Resource, Name, Action, Reason string
}

// WizardErrors are the messages shown next to wizard fields, by field name.
type WizardErrors map[string]string
