package deploy

// problems collects what is wrong with a spec, every problem at once; a
// non-empty list becomes an *ecsconsole.ValidationError.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ecsconsole/ecsconsole"
)

// problems collects Problems while checks run, so every one is reported.
type problems []ecsconsole.Problem

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, ecsconsole.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err is nil when nothing was found, else a *ValidationError.
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ecsconsole.ValidationError{Problems: ps}
}

// covers reports whether a problem is already recorded at path or at one of
// its ancestors, so a malformed value does not also yield follow-on
// complaints about what it failed to provide.
func (ps problems) covers(path string) bool {
	return slices.ContainsFunc(ps, func(p ecsconsole.Problem) bool {
		return path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[")
	})
}
