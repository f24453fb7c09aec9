package store

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable marks an error that says the database cannot be reached
// right now (refused, reset, shutting down, or too slow to answer), rather
// than that a query was wrong: retrying later may succeed.
var ErrUnavailable = errors.New("the database is unavailable")

// IsUnavailable reports whether err means the database could not be
// reached or stopped answering: a failed connect, a connection lost mid
// query, the server shutting down or refusing connections (SQLSTATE class
// 08, 57P01–57P03, 53300), or a connect that timed out.
//
// Only Postgres's failures count: a network error that an HTTP client
// returned (an AWS SDK call's, which carries its service and operation,
// or net/http's *url.Error) is another service's trouble, however much it
// looks like a lost connection.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	if fromHTTPClient(err) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne):
		return true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, pgconn.ErrConnClosed):
		return true
	}
	return pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}

// fromHTTPClient reports whether err came from an HTTP call rather than
// from pgx: an AWS SDK operation error (smithy's OperationError, known by
// its methods so that the store need not import the SDK) or net/http's
// *url.Error.
func fromHTTPClient(err error) bool {
	var op interface {
		Service() string
		Operation() string
	}
	var ue *url.Error
	return errors.As(err, &op) || errors.As(err, &ue)
}
