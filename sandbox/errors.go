package sandbox

import "fmt"

// apiError is an AWS error as it goes on the wire. Code is the wire code
// (ECS/ACM/Logs: the shape name such as "ClientException"; ELBv2: the model's
// error code such as "DuplicateTargetGroupName"; EC2: dotted codes such as
// "InvalidGroup.NotFound").
type apiError struct {
	Status  int // 400 for client errors, 500 for faults
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// clientErr is a 400 error with a formatted message.
func clientErr(code, format string, args ...any) *apiError {
	return &apiError{Status: 400, Code: code, Message: fmt.Sprintf(format, args...)}
}
