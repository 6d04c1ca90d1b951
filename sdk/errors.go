package sdk

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error codes (the seed API's).
const (
	CodeConnection   = "CONNECTION_ERROR"
	CodeQuery        = "QUERY_ERROR"
	CodeTransaction  = "TRANSACTION_ERROR"
	CodeSyntax       = "SYNTAX_ERROR"
	CodeConstraint   = "CONSTRAINT_VIOLATION"
	CodeType         = "TYPE_ERROR"
	CodeNotFound     = "NOT_FOUND"
	CodeTimeout      = "TIMEOUT"
	CodeUnauthorized = "UNAUTHORIZED"
	CodeShard        = "SHARD_ERROR"
)

// Error is every error the SDK returns. It unwraps to the underlying error
// (a *pgconn.PgError for errors the gate or a shard reported).
type Error struct {
	Code    string
	Message string
	// Shard is the shard the gate named in the error ("-80"), if any.
	Shard string
	// SQLState is the Postgres error code, when there is one.
	SQLState string
	Err      error
}

func (e *Error) Error() string {
	if e.Shard != "" && !strings.Contains(e.Message, "shard "+e.Shard) {
		return e.Code + ": shard " + e.Shard + ": " + e.Message
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// shardPrefix finds the shard the gate names in a message ("shard -80: ...").
var shardPrefix = regexp.MustCompile(`^shard ([0-9a-fA-F]*-[0-9a-fA-F]*):`)

// wrap converts an error to *Error (nil stays nil; *Error passes through).
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	e := &Error{Code: CodeQuery, Message: err.Error(), Err: err}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		e.Message, e.SQLState = pe.Message, pe.Code
		if m := shardPrefix.FindStringSubmatch(pe.Message); m != nil {
			e.Shard = m[1]
		}
		e.Code = codeForSQLState(pe.Code)
		if e.Shard != "" && (e.Code == CodeConnection || e.Code == CodeQuery) {
			e.Code = CodeShard // the gate is up; one of its shards failed
		}
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		e.Code = CodeTimeout
	case isConnError(err):
		e.Code = CodeConnection
	}
	return e
}

// codeForSQLState maps SQLSTATE classes to the seed's codes.
func codeForSQLState(code string) string {
	switch {
	case code == "42601":
		return CodeSyntax
	case code == "42P01", code == "42703", code == "42883", code == "3D000", code == "34000":
		return CodeNotFound
	case code == "57014":
		return CodeTimeout
	case strings.HasPrefix(code, "23"):
		return CodeConstraint
	case strings.HasPrefix(code, "22"):
		return CodeType
	case strings.HasPrefix(code, "08"):
		return CodeConnection
	case strings.HasPrefix(code, "28"):
		return CodeUnauthorized
	case strings.HasPrefix(code, "40"), strings.HasPrefix(code, "25"):
		return CodeTransaction
	}
	return CodeQuery
}

func isConnError(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ne) || errors.As(err, &ce)
}

// retryable reports a failure before anything reached the gate: what
// pgconn calls safe to retry, and a connection that could not be opened
// (refused, unreachable: pgx does not mark those). A connection the gate
// refused with an error (wrong token, unknown keyspace) is not retried.
func retryable(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	return errors.As(err, &ce) && !errors.As(err, &pe)
}

// retryableTx reports a failure after which a whole transaction may run
// again: a serialization failure or a deadlock.
func retryableTx(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
