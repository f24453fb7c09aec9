package deploy

import (
	"encoding/json"
	"fmt"

	"github.com/ecsconsole/ecsconsole"
)

// StoredChanges is a deployment's changes against the deployment of its
// service before it, computed once when it is created and stored with it
// (ecsconsole.Deployment.SpecChanges), so that its page does not diff two specs
// on every view.
type StoredChanges struct {
	// Previous is the deployment compared against; 0 for a service's first.
	Previous int64    `json:"previous"`
	Changes  []Change `json:"changes"`
}

// storedChanges returns the ecsconsole.NewDeployment.Changes of a deployment of
// spec (its JSON). A previous spec that no longer decodes stores nothing:
// its page then compares on view, as it did before changes were stored.
func storedChanges(spec json.RawMessage) func(int64, json.RawMessage) (json.RawMessage, error) {
	return func(prevID int64, prevSpec json.RawMessage) (json.RawMessage, error) {
		sc := StoredChanges{Previous: prevID, Changes: []Change{}}
		if prevID != 0 {
			var a, b ecsconsole.Spec
			if json.Unmarshal(prevSpec, &a) != nil || json.Unmarshal(spec, &b) != nil {
				return nil, nil
			}
			if c := Diff(&a, &b); c != nil {
				sc.Changes = c
			}
		}
		out, err := json.Marshal(sc)
		if err != nil {
			return nil, fmt.Errorf("encoding the changes against deployment %d: %w", prevID, err)
		}
		return out, nil
	}
}
