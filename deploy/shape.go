package deploy

// The shape check: generic JSON compared with the Go types it will decode
// into (reflectively), so an unknown member or a wrong type is reported at
// its path with a suggestion, instead of failing the decode.

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// checkShape compares decoded JSON with the Go type it will be decoded into
// and records, with their paths, unknown or wrongly cased members, values of
// the wrong JSON type, integers out of range and unknown enum values. It
// removes what it reports, so that decoding the rest cannot fail and the
// semantic checks see only well-formed values. Member names are the json
// tag, or for the SDK's untagged structs the Go field name with a lower-case
// first letter, which is AWS's member name. It reports whether v is valid.
func checkShape(ps *problems, path string, v any, t reflect.Type) bool {
	if v == nil {
		return true // null: the same as absent
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkObject(ps, path, v, t)
	case reflect.Slice:
		return checkList(ps, path, v, t)
	case reflect.Map:
		return checkMap(ps, path, v, t)
	case reflect.String:
		return checkString(ps, path, v, t)
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.add(path, "must be true or false; found %s", describeJSON(v))
			return false
		}
		return true
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int:
		return checkInteger(ps, path, v, t.Bits())
	case reflect.Interface:
		// The SDK's union types (only GPU sharing strategies, in the task
		// definition) have no JSON form encoding/json can decode.
		ps.add(path, "is not supported by the console; remove it")
		return false
	default:
		panic(fmt.Sprintf("deploy: checkShape: unsupported kind %s at %s", t.Kind(), path))
	}
}

func checkObject(ps *problems, path string, v any, t reflect.Type) bool {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be an object; found %s", describeJSON(v))
		return false
	}
	fields := memberFields(t)
	for _, k := range sortedKeys(m) {
		f, ok := fields[k]
		switch {
		case !ok:
			ps.add(joinKey(path, k), "unknown field%s", suggestMember(k, fields))
			delete(m, k)
		case !checkShape(ps, joinKey(path, k), m[k], f.Type):
			delete(m, k)
		}
	}
	return true
}

func checkList(ps *problems, path string, v any, t reflect.Type) bool {
	list, ok := v.([]any)
	if !ok {
		ps.add(path, "must be a list; found %s", describeJSON(v))
		return false
	}
	for i, e := range list {
		if !checkShape(ps, fmt.Sprintf("%s[%d]", path, i), e, t.Elem()) {
			list[i] = nil // keeps the indexes of later elements
		}
	}
	return true
}

func checkMap(ps *problems, path string, v any, t reflect.Type) bool {
	m, ok := v.(map[string]any)
	if !ok {
		ps.add(path, "must be an object; found %s", describeJSON(v))
		return false
	}
	for _, k := range sortedKeys(m) {
		if !checkShape(ps, joinKey(path, k), m[k], t.Elem()) {
			delete(m, k)
		}
	}
	return true
}

// memberFields maps the JSON member names of struct t to its fields.
func memberFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		fields[name] = f
	}
	return fields
}

// suggestMember proposes the member the user probably meant: one differing
// only in case, or within two edits. Long keys get no suggestion, which
// also bounds the edit-distance work an oversized key can cause.
func suggestMember(key string, fields map[string]reflect.StructField) string {
	const maxSuggestLength = 64
	best, bestDist := "", 3
	if len(key) > maxSuggestLength {
		return "; remove it"
	}
	for _, name := range sortedKeys(fields) {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("; member names are case-sensitive: write %q", name)
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; remove it"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// checkString also enforces the SDK's enum types (string types with a
// Values method), since AWS rejects values outside them.
func checkString(ps *problems, path string, v any, t reflect.Type) bool {
	s, ok := v.(string)
	if !ok {
		ps.add(path, "must be a string; found %s", describeJSON(v))
		return false
	}
	values := reflect.Zero(t).MethodByName("Values")
	if !values.IsValid() {
		return true
	}
	allowed := values.Call(nil)[0]
	names := make([]string, allowed.Len())
	for i := range names {
		names[i] = allowed.Index(i).String()
	}
	if !slices.Contains(names, s) {
		ps.add(path, "%q is not a valid value; use one of %s", s, strings.Join(names, ", "))
		return false
	}
	return true
}

func checkInteger(ps *problems, path string, v any, bits int) bool {
	n, ok := v.(json.Number)
	if !ok {
		ps.add(path, "must be a number; found %s", describeJSON(v))
		return false
	}
	_, err := strconv.ParseInt(n.String(), 10, bits)
	switch {
	case errors.Is(err, strconv.ErrRange):
		ps.add(path, "%s is out of range", n)
	case err != nil:
		ps.add(path, "%s is not a whole number; write it without a fraction or exponent", n)
	}
	return err == nil
}

// describeJSON names the JSON type of a decoded value for messages.
func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	default:
		return "an object"
	}
}

// joinKey appends an object member to a path, quoting names that are not
// plain identifiers (e.g. docker label keys with dots).
func joinKey(path, key string) string {
	plain := key != "" && strings.IndexFunc(key, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
