package handlers

// The wizard's steps and their names; the draft's content and its mapping
// to an ecsconsole.Spec live in package draft.

import (
	"bytes"
	"encoding/json"
	"slices"

	"github.com/ecsconsole/ecsconsole/draft"
)

// wizardSteps are the wizard's steps in order; each is /deploy/drafts/{id}/{step}.
var wizardSteps = draft.Steps

// wizardStepTitles name the steps for people.
var wizardStepTitles = map[string]string{
	"taskdef": "Task definition", "cluster": "Cluster", "service": "Service",
	"loadbalancer": "Load balancer", "https": "HTTPS", "review": "Review",
}

func nextStep(step string) string {
	i := slices.Index(wizardSteps, step)
	if i < 0 || i+1 >= len(wizardSteps) {
		return "review"
	}
	return wizardSteps[i+1]
}

func prevStep(step string) string {
	i := slices.Index(wizardSteps, step)
	if i <= 0 {
		return ""
	}
	return wizardSteps[i-1]
}

// wizardState is a draft's content.
type wizardState = draft.State

var firstNonEmpty = draft.FirstNonEmpty

// marshalDoc encodes generic JSON without HTML escaping.
func marshalDoc(v any) []byte { return draft.MarshalJSON(v) }

// prettyJSON indents JSON for reading.
func prettyJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}
