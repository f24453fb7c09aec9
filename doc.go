// Package ecsconsole holds the console's domain: a deployment and its steps,
// their statuses and outcomes, the actions a plan is written in, what a
// deployment made reachable (Outputs), and the errors every layer shares.
// It imports nothing of the console's own: store persists these types,
// deploy decides with them, handlers show them.
package ecsconsole
