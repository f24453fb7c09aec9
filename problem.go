package ecsconsole

import "strings"

// Problem is one thing wrong with a spec, located by a JSON path such as
// taskDefinition.containerDefinitions[0].portMappings[1].containerPort.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// String renders the problem as "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationError reports every problem found in a spec, in document order.
type ValidationError struct {
	Problems []Problem
}

// Error lists all problems on one line.
func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.String()
	}
	return "invalid deployment spec: " + strings.Join(msgs, "; ")
}
