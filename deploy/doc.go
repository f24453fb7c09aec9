// Package deploy turns a deployment spec (ecsconsole.Spec) into running AWS
// resources: it reads and validates specs, plans, applies them as durable
// jobs, waits, judges outcomes and rolls back. It declares the narrow
// interfaces it needs from storage and the job queue (engine.go) and from
// AWS (aws.go); store and the SDK's clients implement them.
package deploy
