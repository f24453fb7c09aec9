package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every error code the engine writes itself is known as the engine's, so
// that no page shows it as "AWS said (…)".
func TestEveryEngineCodeIsKnown(t *testing.T) {
	files, err := filepath.Glob("*.go")
	check(t, err)
	literal := regexp.MustCompile(`(?:fail\(|[cC]ode: +)"([A-Za-z]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		check(t, err)
		for _, m := range literal.FindAllSubmatch(src, -1) {
			found++
			if code := string(m[1]); !IsEngineCode(code) {
				t.Errorf("%s: the engine's code %q is not in engineCodes", f, code)
			}
		}
	}
	if found < 10 {
		t.Fatalf("found %d of the engine's codes in its sources; the pattern no longer matches them", found)
	}
	for _, aws := range []string{"AccessDeniedException", "InvalidParameterException", "ValidationError", ""} {
		if IsEngineCode(aws) {
			t.Errorf("%q counted as the engine's own code", aws)
		}
	}
}
