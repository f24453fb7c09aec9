package deploy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// ChangeKind says whether a value was added, removed or changed.
type ChangeKind string

// The kinds of Change.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is one difference between two specs: the JSON path of the value
// and its old and new JSON (Old is absent for Added, New for Removed).
// Elements of lists of named things are addressed by name, e.g.
// taskDefinition.containerDefinitions[name=web].image.
type Change struct {
	Path string          `json:"path"`
	Kind ChangeKind      `json:"kind"`
	Old  json.RawMessage `json:"old,omitempty"`
	New  json.RawMessage `json:"new,omitempty"`
}

// Diff compares two specs structurally, inside the task definition too,
// and returns the changes sorted by path. A nil spec counts as empty, so
// Diff(nil, s) lists everything s sets.
func Diff(a, b *Spec) []Change {
	d := differ{}
	d.values("", specValue(a), specValue(b))
	slices.SortStableFunc(d.changes, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return d.changes
}

// specValue is the spec's canonical JSON decoded generically.
func specValue(s *Spec) map[string]any {
	m := map[string]any{}
	if s == nil {
		return m
	}
	if err := decodeGeneric(s.JSON(), &m); err != nil {
		panic(fmt.Sprintf("deploy: decode spec JSON: %v", err)) // JSON produced it
	}
	return m
}

type differ struct {
	changes []Change
}

func (d *differ) values(path string, x, y any) {
	switch {
	case x == nil && y == nil:
	case x == nil:
		d.record(path, Added, nil, y)
	case y == nil:
		d.record(path, Removed, x, nil)
	default:
		xm, xIsMap := x.(map[string]any)
		ym, yIsMap := y.(map[string]any)
		xl, xIsList := x.([]any)
		yl, yIsList := y.([]any)
		switch {
		case xIsMap && yIsMap:
			d.objects(path, xm, ym)
		case xIsList && yIsList:
			d.lists(path, xl, yl)
		case !reflect.DeepEqual(x, y):
			d.record(path, Changed, x, y)
		}
	}
}

func (d *differ) objects(path string, x, y map[string]any) {
	keys := sortedKeys(x)
	for _, k := range sortedKeys(y) {
		if _, ok := x[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		d.values(joinKey(path, k), x[k], y[k])
	}
}

// lists matches elements by an identifying member when every element has a
// distinct one; lists of plain values (subnets, commands) change as a whole,
// since their order can matter and a per-index diff would read badly.
func (d *differ) lists(path string, x, y []any) {
	if key := identifyingKey(x, y); key != "" {
		d.keyedLists(path, key, x, y)
		return
	}
	if !containsObjects(x) && !containsObjects(y) {
		if !reflect.DeepEqual(x, y) {
			d.record(path, Changed, x, y)
		}
		return
	}
	for i := range max(len(x), len(y)) {
		d.values(fmt.Sprintf("%s[%d]", path, i), elementAt(x, i), elementAt(y, i))
	}
}

func (d *differ) keyedLists(path, key string, x, y []any) {
	xs, order := indexBy(x, key)
	ys, yOrder := indexBy(y, key)
	for _, id := range yOrder {
		if _, ok := xs[id]; !ok {
			order = append(order, id)
		}
	}
	for _, id := range order {
		d.values(fmt.Sprintf("%s[%s=%s]", path, key, id), xs[id], ys[id])
	}
}

func (d *differ) record(path string, kind ChangeKind, old, new any) {
	d.changes = append(d.changes, Change{Path: path, Kind: kind, Old: rawJSON(old), New: rawJSON(new)})
}

func rawJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := marshalCanonical(v)
	if err != nil {
		panic(fmt.Sprintf("deploy: re-encode decoded JSON: %v", err)) // it came from valid JSON
	}
	return b
}

// identifyingKey returns the member that identifies the elements of both
// lists: the first candidate every element has, with distinct values within
// each list, or "". Containers, environment variables and secrets are
// identified by name, tags by key, dependencies by container and port
// mappings by port, so reordering a list is not a change and a change inside
// one element is reported there.
func identifyingKey(x, y []any) string {
	if len(x)+len(y) == 0 {
		return ""
	}
	for _, key := range []string{"name", "key", "containerName", "containerPort"} {
		if distinctKeys(x, key) && distinctKeys(y, key) {
			return key
		}
	}
	return ""
}

func distinctKeys(xs []any, key string) bool {
	seen := map[string]bool{}
	for _, e := range xs {
		id, ok := elementID(e, key)
		if !ok || seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

// elementID renders an element's identifying member (a string or a number).
func elementID(e any, key string) (string, bool) {
	m, ok := e.(map[string]any)
	if !ok {
		return "", false
	}
	switch v := m[key].(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// indexBy maps each element's identifying value to the element, and
// returns the values in list order.
func indexBy(xs []any, key string) (map[string]any, []string) {
	byID := make(map[string]any, len(xs))
	order := make([]string, 0, len(xs))
	for _, e := range xs {
		id, _ := elementID(e, key) // identifyingKey checked every element
		byID[id] = e
		order = append(order, id)
	}
	return byID, order
}

func containsObjects(xs []any) bool {
	return slices.ContainsFunc(xs, func(e any) bool {
		switch e.(type) {
		case map[string]any, []any:
			return true
		}
		return false
	})
}

func elementAt(xs []any, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return nil
}

// ChangeSection is a group of changes a person reads together: one
// container, the task size, the service, networking, the load balancer,
// HTTPS.
type ChangeSection struct {
	Title   string
	Changes []WordedChange
}

// WordedChange is a Change as the diff page shows it: what changed in
// words, and the old and new values as text. A secret's values are never
// shown (Hidden): only its name.
type WordedChange struct {
	What     string
	Kind     ChangeKind
	Old, New string
	Hidden   bool
	Path     string // the Change's path, for people who want it exact
}

// Section titles in the order the diff page lists them; containers come
// first, each its own section.
var sectionOrder = []string{"Task size", "Task definition", "Service", "Networking", "Load balancer",
	"HTTPS and certificate", "Region and cluster"}

// Explain groups changes into sections with their names in words:
// per container image, environment variables, secrets (by name), ports;
// task CPU and memory; desired count; networking; load balancer and its
// listeners; certificate.
func Explain(changes []Change) []ChangeSection {
	var sections []ChangeSection
	index := map[string]int{}
	for _, c := range changes {
		title, wc := explain(c)
		i, ok := index[title]
		if !ok {
			i = len(sections)
			index[title] = i
			sections = append(sections, ChangeSection{Title: title})
		}
		sections[i].Changes = append(sections[i].Changes, wc)
	}
	rank := func(title string) int {
		if strings.HasPrefix(title, "Container ") {
			return -1 // containers first, in the order they came
		}
		if i := slices.Index(sectionOrder, title); i >= 0 {
			return i
		}
		return len(sectionOrder)
	}
	slices.SortStableFunc(sections, func(a, b ChangeSection) int { return rank(a.Title) - rank(b.Title) })
	return sections
}

// explain names one change's section and says what it is.
func explain(c Change) (string, WordedChange) {
	wc := WordedChange{Kind: c.Kind, Old: displayJSON(c.Old), New: displayJSON(c.New), Path: c.Path}
	segs := pathSegments(c.Path)
	at := func(i int) string {
		if i < len(segs) {
			return segs[i]
		}
		return ""
	}
	rest := func(i int) string { return strings.Join(segs[min(i, len(segs)):], ".") }
	switch at(0) {
	case "taskDefinition":
		if name, ok := keyed(at(1), "containerDefinitions", "name"); ok {
			wc.What = containerMember(segs[2:], &wc)
			return "Container " + name, wc
		}
		switch at(1) {
		case "cpu":
			wc.What = "CPU units"
			return "Task size", wc
		case "memory":
			wc.What = "memory (MiB)"
			return "Task size", wc
		}
		wc.What = c.Path
		return "Task definition", wc
	case "service":
		switch at(1) {
		case "desiredCount":
			wc.What = "desired count"
			return "Service", wc
		case "subnets", "assignPublicIp", "securityGroupIds", "newSecurityGroup":
			wc.What = map[string]string{"subnets": "subnets", "assignPublicIp": "public IP",
				"securityGroupIds": "security groups", "newSecurityGroup": "new security group"}[at(1)]
			if r := rest(2); r != "" {
				wc.What += " " + r
			}
			return "Networking", wc
		}
		wc.What = c.Path
		return "Service", wc
	case "loadBalancer":
		switch at(1) {
		case "https":
			switch at(2) {
			case "certificateArn":
				wc.What = "certificate"
			case "requestDomain":
				wc.What = "requested certificate's domain"
			case "redirectHttp":
				wc.What = "HTTP listener redirects to HTTPS"
			case "":
				wc.What = "HTTPS listener (443)"
			default:
				wc.What = c.Path
			}
			return "HTTPS and certificate", wc
		case "targetGroup":
			wc.What = "target group"
			if r := rest(2); r != "" {
				wc.What += " " + r
			}
			return "Load balancer", wc
		case "":
			wc.What = "load balancer and its HTTP listener (80)"
			return "Load balancer", wc
		}
		wc.What = c.Path
		return "Load balancer", wc
	}
	wc.What = c.Path
	return "Region and cluster", wc
}

// containerMember words a change inside one container definition.
func containerMember(segs []string, wc *WordedChange) string {
	if len(segs) == 0 {
		return "container"
	}
	if name, ok := keyed(segs[0], "environment", "name"); ok {
		return "environment variable " + name
	}
	if name, ok := keyed(segs[0], "secrets", "name"); ok || strings.HasPrefix(segs[0], "secrets") {
		if !ok { // the whole list: name its secrets
			names := listNames(wc.Old, wc.New)
			wc.Hidden, wc.Old, wc.New = true, "", ""
			return "secrets " + strings.Join(names, ", ")
		}
		wc.Hidden, wc.Old, wc.New = true, "", ""
		return "secret " + name
	}
	if port, ok := keyed(segs[0], "portMappings", "containerPort"); ok {
		return "port " + port
	}
	switch segs[0] {
	case "image":
		return "image"
	case "portMappings":
		return "ports"
	case "environment":
		return "environment"
	}
	return strings.Join(segs, ".")
}

// listNames returns the name members of the JSON lists of objects given.
func listNames(lists ...string) []string {
	var names []string
	for _, l := range lists {
		var xs []struct {
			Name string `json:"name"`
		}
		if json.Unmarshal([]byte(l), &xs) == nil {
			for _, x := range xs {
				if !slices.Contains(names, x.Name) {
					names = append(names, x.Name)
				}
			}
		}
	}
	return names
}

// keyed reads a path segment like environment[name=FOO]: the value of key.
func keyed(seg, list, key string) (string, bool) {
	v, ok := strings.CutPrefix(seg, list+"["+key+"=")
	if !ok || !strings.HasSuffix(v, "]") {
		return "", false
	}
	return strings.TrimSuffix(v, "]"), true
}

// pathSegments splits a Change path at the dots outside brackets.
func pathSegments(path string) []string {
	var segs []string
	depth, start := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				segs = append(segs, path[start:i])
				start = i + 1
			}
		}
	}
	return append(segs, path[start:])
}

// displayJSON shows a JSON value as text: strings without their quotes.
func displayJSON(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
