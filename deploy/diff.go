package deploy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/ecsconsole/ecsconsole"
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
func Diff(a, b *ecsconsole.Spec) []Change {
	d := differ{}
	d.values("", specValue(a), specValue(b))
	slices.SortStableFunc(d.changes, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return d.changes
}

// specValue is the spec's canonical JSON decoded generically.
func specValue(s *ecsconsole.Spec) map[string]any {
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
	b, err := ecsconsole.CanonicalJSON(v)
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
