package store

import "github.com/ecsconsole/ecsconsole"

// Observer hears what the store did, for metrics (metrics.Metrics). Its
// methods are called after the change committed; they must be quick and
// safe for concurrent use.
type Observer interface {
	// DeploymentCreated: a deployment was submitted.
	DeploymentCreated(d ecsconsole.Deployment)
	// DeploymentFinished: a deployment reached its outcome (d has its
	// status and times).
	DeploymentFinished(d ecsconsole.Deployment)
	// StepFinished: a step of a deployment ended with status.
	StepFinished(status ecsconsole.StepStatus)
	// CacheLookup: a ReadCache found a current value (hit) or loaded one.
	CacheLookup(hit bool)
}

// SetObserver makes the store tell o what it did. Call it before serving.
func (s *Store) SetObserver(o Observer) {
	s.observer = o
	s.changes.observer = o
}

// nopObserver is the observer of a store nobody observes.
type nopObserver struct{}

func (nopObserver) DeploymentCreated(ecsconsole.Deployment)  {}
func (nopObserver) DeploymentFinished(ecsconsole.Deployment) {}
func (nopObserver) StepFinished(ecsconsole.StepStatus)       {}
func (nopObserver) CacheLookup(bool)                         {}
