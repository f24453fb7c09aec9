package web

import (
	"time"

	"github.com/ecsconsole/ecsconsole/draft"
)

// Option is one choice of a select, radio group or datalist.
type Option struct {
	Value, Label string
	Group        string // optgroup label, for grouped selects
}

// Problem is one thing wrong with the spec a draft makes: where (the spec
// path and the form field beside which it shows) and on which step.
type Problem struct {
	// Message is a whole sentence naming the field by its Label.
	Path, Message, Field, Label string
	Step, StepTitle             string
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
	DraftID int64
	// Version is the draft's version the page shows: its form posts it,
	// and a save from an older one is refused.
	Version   int64
	Title     string
	Step      string
	Steps     []StepLink
	Back      string
	BackHref  string
	State     draft.State
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
	// TDJSONBase is the task definition the form makes, as the JSON view
	// first showed it: Apply JSON tells an edited view from an untouched one.
	TDJSONBase string
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

// PlanRow is one resource in a plan preview (the wizard's review, the
// change page).
type PlanRow struct {
	Resource, Name, Action, Reason string
}

// WizardErrors are the messages shown next to wizard fields, by field name.
type WizardErrors map[string]string
