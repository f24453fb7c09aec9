package draft

// A container as the form holds it, and its fields in one table: each
// field's input name, label, how it is read from the form and shown in it,
// and how it maps to and from the container definition's JSON. A new
// container field is a Container member and a row here, plus its input in
// web/wizard.templ (and a rule in deploy/validate_container.go if the
// engine should check it).

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
)

// Container is one container as the form holds it.
type Container struct {
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

// ContainerFormField is one field of a container on the form.
type ContainerFormField struct {
	// Name is the input's name after the container's prefix (c0.Name).
	Name string
	// Label names the field after "Container N".
	Label string
	// Read sets the field from the form; p is the container's prefix ("c0.").
	Read func(f url.Values, p string, c *Container)
	// Show is the field's value as the form shows it (stale-form diffs).
	Show func(c Container) string
	// member is the container definition's member the field writes.
	member string
	// write sets the member in m (or leaves it out); load reads it into c
	// and removes it from m, so what is left is kept aside.
	write func(b *builder, m map[string]any, c Container, path string)
	load  func(m map[string]any, c *Container)
}

// ContainerFields are a container's fields in the form's order.
var ContainerFields = []ContainerFormField{
	stringField("name", "name", func(c *Container) *string { return &c.Name }),
	stringField("image", "image", func(c *Container) *string { return &c.Image }),
	{Name: "ports", Label: "ports", member: "portMappings",
		Read:  func(f url.Values, p string, c *Container) { c.Ports = f.Get(p + "ports") },
		Show:  func(c Container) string { return c.Ports },
		write: writePorts, load: loadPorts},
	{Name: "logGroup", Label: "log group", member: "logConfiguration",
		Read:  func(f url.Values, p string, c *Container) { c.LogGroup = f.Get(p + "logGroup") },
		Show:  func(c Container) string { return c.LogGroup },
		write: writeLogs, load: loadLogs},
	{Name: "essential", Label: "essential box", member: "essential",
		Read:  func(f url.Values, p string, c *Container) { c.Essential = f.Get(p+"essential") != "" },
		Show:  func(c Container) string { return OnOff(c.Essential) },
		write: func(_ *builder, m map[string]any, c Container, _ string) { m["essential"] = c.Essential },
		load: func(m map[string]any, c *Container) {
			c.Essential = true // ECS's default
			if e, ok := m["essential"].(bool); ok {
				c.Essential = e
			}
			delete(m, "essential")
		}},
	itemsField("env", "environment variables", "environment", "env.", "value", func(c *Container) *[]NameValue { return &c.Env }),
	itemsField("secrets", "secrets", "secrets", "secret.", "valueFrom", func(c *Container) *[]NameValue { return &c.Secrets }),
	{Name: "command", Label: "command", member: "command",
		Read: func(f url.Values, p string, c *Container) { c.Command = f.Get(p + "command") },
		Show: func(c Container) string { return c.Command },
		write: func(_ *builder, m map[string]any, c Container, _ string) {
			if cmd := lines(c.Command); len(cmd) > 0 {
				m["command"] = stringsDoc(cmd)
			}
		},
		load: func(m map[string]any, c *Container) {
			if cmd, ok := m["command"].([]any); ok {
				c.Command = joinLines(cmd)
				delete(m, "command")
			}
		}},
	{Name: "health", Label: "health check", member: "healthCheck",
		Read:  func(f url.Values, p string, c *Container) { c.Health = f.Get(p + "health") },
		Show:  func(c Container) string { return c.Health },
		write: writeHealth, load: loadHealth},
}

// stringField is a text input written as a string member of the same
// name, trimmed; of reaches the Container's member.
func stringField(name, label string, of func(c *Container) *string) ContainerFormField {
	return ContainerFormField{Name: name, Label: label, member: name,
		Read:  func(f url.Values, p string, c *Container) { *of(c) = f.Get(p + name) },
		Show:  func(c Container) string { return *of(&c) },
		write: func(_ *builder, m map[string]any, c Container, _ string) { m[name] = strings.TrimSpace(*of(&c)) },
		load:  func(m map[string]any, c *Container) { *of(c) = takeString(m, name) },
	}
}

// itemsField is a list of name/value rows (inputs input+"name" and
// input+valueKey) written as the member's list of {name, valueKey}.
func itemsField(name, label, member, input, valueKey string, of func(c *Container) *[]NameValue) ContainerFormField {
	return ContainerFormField{Name: name, Label: label, member: member,
		Read: func(f url.Values, p string, c *Container) {
			*of(c) = readItems(f[p+input+"name"], f[p+input+valueKey])
		},
		Show: func(c Container) string { return pairs(*of(&c)) },
		write: func(_ *builder, m map[string]any, c Container, _ string) {
			if items := itemsDoc(*of(&c), valueKey); len(items) > 0 {
				m[member] = items
			}
		},
		load: func(m map[string]any, c *Container) { *of(c) = loadItems(m, member, valueKey) },
	}
}

// containerDoc builds container i's definition: each field writes its
// member and is recorded as its writer.
func containerDoc(c Container, b *builder, i int) map[string]any {
	path := fmt.Sprintf("taskDefinition.containerDefinitions[%d]", i)
	m := maps.Clone(c.Extra)
	if m == nil {
		m = map[string]any{}
	}
	b.fields.put(path, ContainerField(i, "")) // members the form has no control for
	for _, f := range ContainerFields {
		delete(m, f.member) // the form's value replaces what was kept, even when empty
		b.fields.put(path+"."+f.member, ContainerField(i, f.Name))
		f.write(b, m, c, path)
	}
	return m
}

func loadContainer(m map[string]any) Container {
	m = maps.Clone(m)
	var c Container
	for _, f := range ContainerFields {
		f.load(m, &c)
	}
	c.Extra = dropEmpty(m)
	return c
}

func takeString(m map[string]any, k string) string {
	v, _ := m[k].(string)
	delete(m, k)
	return v
}

func writePorts(b *builder, m map[string]any, c Container, path string) {
	var pms []any
	for _, p := range SplitList(c.Ports) {
		port, proto, _ := strings.Cut(p, "/")
		n, err := strconv.ParseInt(port, 10, 32)
		if err != nil {
			b.ps.Add(path+".portMappings", "%q is not a port; list port numbers such as 8080, or 53/udp", p)
			continue
		}
		pm := map[string]any{"containerPort": json.Number(strconv.FormatInt(n, 10)), "protocol": strings.ToLower(FirstNonEmpty(proto, "tcp"))}
		pms = append(pms, pm)
	}
	if len(pms) > 0 {
		m["portMappings"] = pms
	}
}

func loadPorts(m map[string]any, c *Container) {
	pms, ok := m["portMappings"].([]any)
	if !ok {
		return
	}
	var ports []string
	for _, pm := range pms {
		p, _ := pm.(map[string]any)
		port := fmt.Sprint(p["containerPort"])
		if proto, _ := p["protocol"].(string); proto != "" && proto != "tcp" {
			port += "/" + proto
		}
		ports = append(ports, port)
	}
	c.Ports = strings.Join(ports, ", ")
	delete(m, "portMappings")
}

func writeHealth(_ *builder, m map[string]any, c Container, _ string) {
	hc := lines(c.Health)
	if len(hc) == 0 {
		return
	}
	h := maps.Clone(c.HealthExtra)
	if h == nil {
		h = map[string]any{}
	}
	if hc[0] != "CMD" && hc[0] != "CMD-SHELL" {
		hc = []string{"CMD-SHELL", strings.Join(hc, " ")}
	}
	h["command"] = stringsDoc(hc)
	m["healthCheck"] = h
}

func loadHealth(m map[string]any, c *Container) {
	hc, ok := m["healthCheck"].(map[string]any)
	if !ok {
		return
	}
	hc = maps.Clone(hc)
	if cmd, ok := hc["command"].([]any); ok {
		c.Health = joinLines(cmd)
	}
	delete(hc, "command")
	c.HealthExtra = dropEmpty(hc)
	delete(m, "healthCheck")
}

// writeLogs sends the container's output to its awslogs group; a cleared
// group means no logs. Another log driver (kept in Extra) is not the
// form's: it is put back untouched.
func writeLogs(b *builder, m map[string]any, c Container, _ string) {
	g := strings.TrimSpace(c.LogGroup)
	if g == "" {
		if lc, ok := c.Extra["logConfiguration"].(map[string]any); ok && lc["logDriver"] != "awslogs" {
			m["logConfiguration"] = lc
		}
		return
	}
	opts := maps.Clone(c.LogExtra)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["awslogs-group"] = g
	opts["awslogs-region"] = b.region
	opts["awslogs-stream-prefix"] = FirstNonEmpty(c.LogPrefix, c.Name, "ecs")
	if _, ok := opts["awslogs-create-group"]; !ok {
		opts["awslogs-create-group"] = "true"
	}
	m["logConfiguration"] = map[string]any{"logDriver": "awslogs", "options": opts}
}

func loadLogs(m map[string]any, c *Container) {
	lc, ok := m["logConfiguration"].(map[string]any)
	if !ok || lc["logDriver"] != "awslogs" {
		return // another driver stays in Extra
	}
	opts, _ := lc["options"].(map[string]any)
	opts = maps.Clone(opts)
	c.LogGroup, _ = opts["awslogs-group"].(string)
	c.LogPrefix, _ = opts["awslogs-stream-prefix"].(string)
	delete(opts, "awslogs-group")
	delete(opts, "awslogs-stream-prefix")
	delete(opts, "awslogs-region") // always the spec's region
	c.LogExtra = dropEmpty(opts)
	delete(m, "logConfiguration")
}

// OnOff is a checkbox's value as the form shows it.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func pairs(items []NameValue) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, it.Name+"="+it.Value)
	}
	return strings.Join(parts, ", ")
}

func readItems(names, values []string) []NameValue {
	var out []NameValue
	for i, n := range names {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		if strings.TrimSpace(n) != "" || strings.TrimSpace(v) != "" {
			out = append(out, NameValue{Name: n, Value: v})
		}
	}
	return out
}
