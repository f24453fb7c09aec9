// Package web holds the console's templ components. Components take typed
// props and read nothing else; handlers build the props.
package web

import (
	"net/url"
)

// Page is what every full page's layout needs.
type Page struct {
	Title   string
	Nav     string // the active navigation item: home, deploy, deployments, services, users
	Viewer  *Viewer
	Assets  Assets
	Sandbox bool // show the "no real AWS calls" banner
}

// Viewer is the signed-in user as the layout shows them.
type Viewer struct {
	Username string
	Role     string
}

// IsAdmin reports whether the viewer may manage users.
func (v *Viewer) IsAdmin() bool { return v != nil && v.Role == "admin" }

// CanDeploy reports whether the viewer may deploy and roll back.
func (v *Viewer) CanDeploy() bool { return v != nil && (v.Role == "deployer" || v.Role == "admin") }

// Assets are the hashed URLs of the static files.
type Assets struct {
	PicoCSS string
	AppCSS  string
	HTMX    string
	AppJS   string
	// WizardJS is the deploy wizard's as-you-type checks.
	WizardJS string
	Favicon  string
}

// navItem is one entry of the sidebar.
type navItem struct {
	Key, Label, Href string
	AdminOnly        bool
	DeployerOnly     bool
}

// visibleTo reports whether v sees the item.
func (n navItem) visibleTo(v *Viewer) bool {
	return (!n.AdminOnly || v.IsAdmin()) && (!n.DeployerOnly || v.CanDeploy())
}

var navItems = []navItem{
	{Key: "home", Label: "Overview", Href: "/"},
	{Key: "deploy", Label: "Deploy", Href: "/deploy", DeployerOnly: true},
	{Key: "deployments", Label: "Deployments", Href: "/deployments"},
	{Key: "services", Label: "Services", Href: "/services"},
	{Key: "users", Label: "Users", Href: "/users", AdminOnly: true},
	{Key: "audit", Label: "Audit", Href: "/audit", AdminOnly: true},
	{Key: "notifications", Label: "Notifications", Href: "/notifications", AdminOnly: true}, // webhooks (notifications.templ)
}

// FieldErrors are messages next to form fields, by field name (see
// FieldError; forms use Form).
type FieldErrors map[string]string

func queryEscape(s string) string { return url.QueryEscape(s) }

// StatusLabel words a deployment status for people.
func StatusLabel(status string) string {
	switch status {
	case "waiting_for_dns":
		return "waiting for DNS"
	case "rolled_back_by_ecs":
		return "rolled back by ECS"
	case "superseded":
		return "superseded"
	}
	return status
}
