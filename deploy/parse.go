package deploy

// Reading a spec strictly: Parse checks the JSON's syntax (json_syntax.go),
// its shape against the Go types (shape.go) and the semantic rules
// (validate*.go), and reports every problem at once. The types themselves
// are the domain's (ecsconsole.Spec, /spec.go).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecsconsole/ecsconsole"
)

// Parse reads a spec strictly and validates it; see ParseWithDefaultRegion.
// A spec without a region keeps an empty Region.
func Parse(data []byte) (*ecsconsole.Spec, error) {
	return ParseWithDefaultRegion(data, "")
}

// ParseWithDefaultRegion reads a spec, fills an empty region with
// defaultRegion (the console's configured region; "" leaves it empty), and
// validates it. Unknown fields are rejected at every level, the task
// definition may be given as RegisterTaskDefinition input or as the output of
// `aws ecs describe-task-definition` (whole or its inner taskDefinition), and
// every problem found is returned at once in a *ValidationError.
func ParseWithDefaultRegion(data []byte, defaultRegion string) (*ecsconsole.Spec, error) {
	if len(data) > ecsconsole.MaxSpecBytes {
		return nil, (problems{{Message: fmt.Sprintf("the spec is %d bytes; the limit is %d (256 KiB)", len(data), ecsconsole.MaxSpecBytes)}}).err()
	}
	if p := checkSyntax(data); p != nil {
		return nil, (problems{*p}).err()
	}
	var doc map[string]any
	if err := decodeGeneric(data, &doc); err != nil {
		return nil, fmt.Errorf("deploy: decode checked spec: %w", err)
	}
	return ParseDocument(doc, defaultRegion)
}

// ParseDocument validates a spec already held as generic JSON values
// (map[string]any, []any, string, bool, json.Number, nil: what a decoder
// with UseNumber makes), as ParseWithDefaultRegion does after reading the
// text. The wizard builds its spec this way and hands it over without
// encoding it to text and scanning and decoding that text again. doc is
// the callee's: shape checking removes what it reports.
func ParseDocument(doc map[string]any, defaultRegion string) (*ecsconsole.Spec, error) {
	spec, td, ps, err := decodeSpec(doc)
	if err != nil {
		return nil, err
	}
	if spec.Region == "" {
		spec.Region = defaultRegion
	}
	for _, p := range checkSpec(spec, td) {
		if !ps.covers(p.Path) {
			ps = append(ps, p)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// decodeSpec decodes a generic spec document into a Spec and its decoded
// task definition (nil when absent), recording shape problems. What
// checkShape reports it removes, so the rest decodes cleanly and the semantic
// checks can still report their own problems.
func decodeSpec(doc map[string]any) (*ecsconsole.Spec, *ecs.RegisterTaskDefinitionInput, problems, error) {
	var ps problems
	rawTD, hasTD := doc["taskDefinition"]
	delete(doc, "taskDefinition")
	checkShape(&ps, "", doc, reflect.TypeFor[ecsconsole.Spec]())
	spec := &ecsconsole.Spec{}
	if err := redecode(doc, spec); err != nil {
		return nil, nil, nil, err
	}
	normalize(spec)
	if !hasTD {
		return spec, nil, ps, nil
	}
	spec.TaskDefinition = normalizeTaskDefinition(&ps, rawTD)
	if spec.TaskDefinition == nil {
		return spec, nil, ps, nil
	}
	td := &ecs.RegisterTaskDefinitionInput{}
	if err := json.Unmarshal(spec.TaskDefinition, td); err != nil {
		return nil, nil, nil, fmt.Errorf("deploy: decode checked task definition: %w", err)
	}
	return spec, td, ps, nil
}

// normalize makes empty lists nil so that a spec and its re-parsed JSON
// compare equal (JSON omits empty lists).
func normalize(s *ecsconsole.Spec) {
	svc := &s.Service
	svc.Subnets = nilIfEmpty(svc.Subnets)
	svc.SecurityGroupIDs = nilIfEmpty(svc.SecurityGroupIDs)
	if svc.NewSecurityGroup != nil {
		svc.NewSecurityGroup.IngressPorts = nilIfEmpty(svc.NewSecurityGroup.IngressPorts)
	}
	if s.LoadBalancer != nil {
		s.LoadBalancer.Subnets = nilIfEmpty(s.LoadBalancer.Subnets)
		if h := s.LoadBalancer.HTTPS; h != nil {
			h.AlternativeNames = nilIfEmpty(h.AlternativeNames)
		}
	}
}

func nilIfEmpty[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// TaskDefinitionInput decodes the task definition into the SDK's input type,
// rejecting any member RegisterTaskDefinition does not accept.
func TaskDefinitionInput(s *ecsconsole.Spec) (*ecs.RegisterTaskDefinitionInput, error) {
	if len(s.TaskDefinition) == 0 {
		return nil, errors.New("deploy: the spec has no task definition")
	}
	in, err := decodeTaskDefinition(s.TaskDefinition)
	if err != nil {
		return nil, fmt.Errorf("deploy: decode task definition: %w", err)
	}
	return in, nil
}

func decodeTaskDefinition(raw json.RawMessage) (*ecs.RegisterTaskDefinitionInput, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	in := &ecs.RegisterTaskDefinitionInput{}
	if err := dec.Decode(in); err != nil {
		return nil, err
	}
	return in, nil
}

// redecode decodes shape-checked generic JSON into v.
func redecode(doc map[string]any, v any) error {
	b, err := ecsconsole.CanonicalJSON(doc)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("deploy: decode checked spec: %w", err)
	}
	return nil
}

// decodeGeneric decodes JSON keeping numbers as written (json.Number), so
// that integer checks see the literal and the task definition re-encodes
// exactly.
func decodeGeneric(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// isReadOnlyMember reports whether describe-task-definition returns member
// k but RegisterTaskDefinition does not accept it: the SDK's
// types.TaskDefinition fields absent from RegisterTaskDefinitionInput.
func isReadOnlyMember(k string) bool {
	switch k {
	case "compatibilities", "deleteRequestedAt", "deregisteredAt", "registeredAt",
		"registeredBy", "requiresAttributes", "revision", "status", "taskDefinitionArn":
		return true
	}
	return false
}

// normalizeTaskDefinition accepts RegisterTaskDefinition input or
// describe-task-definition output, checks its shape against the SDK's input
// type and returns it as canonical JSON (nil if it is not an object).
func normalizeTaskDefinition(ps *problems, raw any) json.RawMessage {
	const path = "taskDefinition"
	td, ok := raw.(map[string]any)
	if !ok {
		ps.add(path, "must be an object: RegisterTaskDefinition input, or the output of aws ecs describe-task-definition; found %s", describeJSON(raw))
		return nil
	}
	td = unwrapDescribeOutput(ps, td)
	for k := range td {
		if isReadOnlyMember(k) {
			delete(td, k)
		}
	}
	checkShape(ps, path, td, reflect.TypeFor[ecs.RegisterTaskDefinitionInput]())
	b, err := ecsconsole.CanonicalJSON(td)
	if err != nil {
		panic(fmt.Sprintf("deploy: re-encode decoded JSON: %v", err)) // it came from valid JSON
	}
	if len(b) > ecsconsole.MaxTaskDefinitionBytes {
		ps.add(path, "is %d bytes; AWS accepts at most %d (64 KiB); shorten it, e.g. move large environment values to secrets", len(b), ecsconsole.MaxTaskDefinitionBytes)
	}
	return b
}

// unwrapDescribeOutput returns the inner task definition when td is the
// whole describe-task-definition output, moving its top-level tags inside
// (RegisterTaskDefinition takes them as a member).
func unwrapDescribeOutput(ps *problems, td map[string]any) map[string]any {
	inner, ok := td["taskDefinition"].(map[string]any)
	if !ok {
		return td
	}
	for _, k := range sortedKeys(td) {
		if k != "taskDefinition" && k != "tags" {
			ps.add("taskDefinition."+k, "unknown field in describe-task-definition output; only taskDefinition and tags are expected")
		}
	}
	if tags, ok := td["tags"]; ok {
		if _, dup := inner["tags"]; dup {
			ps.add("taskDefinition.tags", "tags are given both inside and beside taskDefinition; keep one list")
		} else {
			inner["tags"] = tags
		}
	}
	return inner
}
