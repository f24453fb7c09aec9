package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
)

// TestErrorTable pins every row of the one error table: each kind of error
// the store and the engine return, wrapped as lower layers wrap them, gets
// its status, code and one wording; an unknown error is internal, logged,
// and its text never shown.
func TestErrorTable(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{logger: slog.New(slog.NewTextHandler(&logs, nil))}
	active := &ecsconsole.ActiveDeploymentError{Active: ecsconsole.Deployment{ID: 7, ServiceKey: "us-east-1/demo/php-app", Status: ecsconsole.StatusWaitingForDNS}}
	cases := []struct {
		name   string
		err    error
		status int
		code   string
		words  string
	}{
		{"not found", fmt.Errorf("deployment 9: %w", ecsconsole.ErrNotFound), 404, "not_found", "There is nothing here."},
		{"field errors", &store.FieldErrors{Fields: map[string]string{"name": "required"}}, 422, "invalid", "Some fields need attention."}, // well-formed input refused, as every form answers
		{"spec problems", &ecsconsole.ValidationError{Problems: []ecsconsole.Problem{{Path: "service.subnets[0]", Message: "does not exist"}}}, 422, "invalid_spec", "The spec has 1 problem(s)."},
		{"service busy", fmt.Errorf("submitting: %w", active), 409, "deployment_in_progress", "Deployment #7 of us-east-1/demo/php-app is waiting for DNS; try again once it finishes."},
		{"other conflict", fmt.Errorf("token name taken: %w", ecsconsole.ErrConflict), 409, "conflict", "reload and try again"},
		{"not rollbackable", fmt.Errorf("rolling back: %w", &deploy.NotRollbackableError{ID: 3, Why: "cluster demo no longer exists"}), 422, "not_rollbackable", "Deployment #3 cannot be restored: cluster demo no longer exists"},
		{"AWS refused", fmt.Errorf("planning: %w", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}), 502, "aws_error", "AWS refused: AccessDeniedException: not allowed"},
		{"internal", errors.New("pgx: secret-internal-detail"), 500, "internal", "Something went wrong."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			r := httptest.NewRequest(http.MethodGet, "/api/v1/deployments", nil)
			e := s.asError(r, c.err)
			if e.Status != c.status || e.Code != c.code || !strings.Contains(e.Message, c.words) {
				t.Fatalf("got %d %s %q, want %d %s containing %q", e.Status, e.Code, e.Message, c.status, c.code, c.words)
			}
			if strings.Contains(e.Message, "secret-internal-detail") {
				t.Fatalf("internal text reached the user: %q", e.Message)
			}
			if logged := strings.Contains(logs.String(), "internal error"); logged != (c.code == "internal") {
				t.Fatalf("logged %v for %s:\n%s", logged, c.name, logs.String())
			}
		})
	}
}
