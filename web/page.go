// Package web holds the console's templ components. Components take typed
// props and read nothing else; handlers build the props.
package web

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

// Assets are the hashed URLs of the static files.
type Assets struct {
	PicoCSS string
	AppCSS  string
	HTMX    string
	AppJS   string
	Favicon string
}

// navItem is one entry of the sidebar.
type navItem struct {
	Key, Label, Href string
	AdminOnly        bool
}

var navItems = []navItem{
	{Key: "home", Label: "Overview", Href: "/"},
	{Key: "deploy", Label: "Deploy", Href: "/deploy"},
	{Key: "deployments", Label: "Deployments", Href: "/deployments"},
	{Key: "services", Label: "Services", Href: "/services"},
	{Key: "users", Label: "Users", Href: "/users", AdminOnly: true},
}

// FieldErrors are messages next to form fields, by field name.
type FieldErrors map[string]string
