package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorKindsClosed keeps the error kinds a closed set: an Error, an
// errorKind or an errorDetail literal anywhere but errors.go's declaration
// of the kinds (and errorKind.err, serveError) fails here, so a refusal
// cannot invent a status or a code the API's clients have not been told of.
func TestErrorKindsClosed(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"Error": true, "errorKind": true, "errorDetail": true, "errorBody": true}
	fset := token.NewFileSet()
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			id, ok := cl.Type.(*ast.Ident)
			if !ok || !allowed[id.Name] {
				return true
			}
			seen++
			if name != "errors.go" {
				t.Errorf("%s: a %s literal outside errors.go: make it with one of errors.go's kinds (kindX.err)", fset.Position(cl.Pos()), id.Name)
			}
			return true
		})
	}
	if seen == 0 {
		t.Fatal("no literal found at all: the test no longer reads the package")
	}
}

// TestErrorKindsDistinct: no two kinds share a status and a code, and
// every code is lower-case snake case.
func TestErrorKindsDistinct(t *testing.T) {
	kinds := []errorKind{kindInvalid, kindInvalidFields, kindUnauthenticated, kindForbidden, kindNotFound, kindMethod,
		kindConflict, kindBusy, kindTooLarge, kindUnsupportedType, kindInvalidSpec, kindNotRollbackable, kindRateLimited,
		kindInternal, kindAWSRefused, kindAWSUnreachable, kindAWSTimeout, kindUnavailable}
	seen := map[errorKind]bool{}
	for _, k := range kinds {
		if seen[k] {
			t.Errorf("kind %v declared twice", k)
		}
		seen[k] = true
		if k.status < 400 || k.status > 599 || k.code == "" || strings.Trim(k.code, "abcdefghijklmnopqrstuvwxyz_") != "" {
			t.Errorf("kind %v: want a 4xx/5xx status and a snake_case code", k)
		}
	}
}
