package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ecsconsole/ecsconsole"
)

func TestIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now", fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"bad encoding", &pgconn.PgError{Code: "22021"}, false},
		{"lost mid-query", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"closed connection", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"not found", ecsconsole.ErrNotFound, false},
		{"cancelled by the client", context.Canceled, false},
		{"plain error", errors.New("boom"), false},
		{"postgres unreachable", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"an AWS call's network error", fmt.Errorf("planning: %w", &smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeSubnets",
			Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}), false},
		{"an AWS call past its deadline", &smithy.OperationError{ServiceID: "ECS", OperationName: "DescribeServices",
			Err: fmt.Errorf("request canceled: %w", context.DeadlineExceeded)}, false},
		{"an HTTP client's error", &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, false},
	} {
		if got := IsUnavailable(tc.err); got != tc.want {
			t.Errorf("%s: IsUnavailable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
