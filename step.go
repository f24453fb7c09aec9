package ecsconsole

import (
	"encoding/json"
	"time"
)

// StepStatus is where one step of a deployment stands.
type StepStatus string

// Step statuses (the deployment_steps.status check constraint).
const (
	StepPending   StepStatus = "pending"
	StepRunning   StepStatus = "running"
	StepSucceeded StepStatus = "succeeded"
	StepFailed    StepStatus = "failed"
	StepSkipped   StepStatus = "skipped"
)

// Step actions: what a step did to its resource.
const (
	ActionCreate = "create"
	ActionReuse  = "reuse"
	ActionUpdate = "update"
	ActionRefuse = "refuse" // a same-named resource the console may not take over
	ActionWait   = "wait"
)

// DeploymentStep is one AWS mutation or wait of a deployment.
type DeploymentStep struct {
	DeploymentID int64
	Name         string
	Status       StepStatus
	Action       string // ActionCreate, ActionReuse, ActionUpdate, ActionWait, or "" before it is known
	ResourceARN  string
	AWSRequestID string // of the step's last AWS call
	ErrorCode    string
	ErrorMessage string
	Runs         int // times the step was started: more than one after a resume
	Calls        int // AWS operations made
	Retries      int // extra attempts by the SDK's retryer, e.g. after throttling
	// Detail is the step's result as the engine records it, so that a
	// resumed apply can continue from it without calling AWS again.
	Detail json.RawMessage
	// Progress is a wait's latest observation, e.g. "1 of 2 tasks running".
	Progress   string
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// StepResult is what finishing a step records. Calls and Retries are added to the
// step's totals; the other fields replace the stored ones.
type StepResult struct {
	Status       StepStatus
	Action       string
	ResourceARN  string
	AWSRequestID string
	ErrorCode    string
	ErrorMessage string
	Calls        int
	Retries      int
	Detail       json.RawMessage
}

// StepWait is what a step's wait keeps across work slices and crashes:
// when it began (its limit counts from then) and the poll interval it had
// grown to.
type StepWait struct {
	StartedAt    time.Time
	PollInterval time.Duration // 0 before the first sleep
}
