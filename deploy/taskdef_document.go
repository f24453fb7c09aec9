package deploy

import (
	"encoding/json"
	"fmt"

	"github.com/ecsconsole/ecsconsole"
)

// TaskDefinitionDocument reads a task definition someone pasted:
// RegisterTaskDefinition input, or what `aws ecs describe-task-definition`
// prints (whole, or its inner taskDefinition). It returns the members as
// generic JSON (numbers as json.Number) without describe's read-only ones,
// for a form to load. Only problems that stop reading it (syntax, not an
// object, too large) are reported; Parse checks the rest once it is part
// of a spec.
func TaskDefinitionDocument(data []byte) (map[string]any, error) {
	if len(data) > ecsconsole.MaxTaskDefinitionBytes*4 {
		return nil, (problems{{Message: fmt.Sprintf("the task definition is %d bytes; AWS accepts at most %d (64 KiB)", len(data), ecsconsole.MaxTaskDefinitionBytes)}}).err()
	}
	if p := checkSyntax(data); p != nil {
		return nil, (problems{*p}).err()
	}
	var doc map[string]any
	if err := decodeGeneric(data, &doc); err != nil {
		return nil, fmt.Errorf("deploy: decode checked task definition: %w", err)
	}
	var ps problems
	doc = unwrapDescribeOutput(&ps, doc)
	for k := range doc {
		if isReadOnlyMember(k) {
			delete(doc, k)
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// RegisterInputJSON turns a described task definition's members (generic
// JSON with AWS's member names, tags included) into RegisterTaskDefinition
// input JSON, as a spec holds it: describe's read-only members dropped,
// encoded without HTML escaping. The wizard's catalog loads a family's
// latest revision through it.
func RegisterInputJSON(doc map[string]any) (json.RawMessage, error) {
	for k := range doc {
		if isReadOnlyMember(k) {
			delete(doc, k)
		}
	}
	return ecsconsole.CanonicalJSON(doc)
}
