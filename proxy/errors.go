package proxy

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/sqltypes"
)

// errCanceledByRequest marks a statement stopped by a CancelRequest.
var errCanceledByRequest = sqltypes.Errorf(sqltypes.QueryCanceled, "canceling statement due to user request")

// toPgError turns any error into the Postgres error a client sees. A wrapped
// *pgconn.PgError keeps all its fields, and text the wrappers put in front of
// it (such as a sqltypes.ShardError's "shard -40: ") is prefixed to its
// Message. A parser error is a
// 42601 syntax error, a cancelled context a 57014, anything else XX000.
func toPgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		out := *pe
		if out.Severity == "" {
			out.Severity = "ERROR"
		}
		if out.Code == "" {
			out.Code = sqltypes.InternalError
		}
		outer, inner := err.Error(), pe.Error()
		if i := strings.Index(outer, inner); i > 0 {
			out.Message = outer[:i] + out.Message
		}
		return &out
	}
	if pe := sqltypes.AsParseError(err); pe != nil {
		return pe
	}
	switch {
	case errors.Is(err, context.Canceled):
		return &pgconn.PgError{Severity: "ERROR", Code: sqltypes.QueryCanceled, Message: "canceling statement due to user request"}
	case errors.Is(err, context.DeadlineExceeded):
		return &pgconn.PgError{Severity: "ERROR", Code: sqltypes.QueryCanceled, Message: "canceling statement due to statement timeout"}
	}
	return &pgconn.PgError{Severity: "ERROR", Code: sqltypes.InternalError, Message: err.Error()}
}

// errorResponse is the one place an error becomes an ErrorResponse message.
func errorResponse(err error) *pgproto3.ErrorResponse {
	pe := toPgError(err)
	sev := pe.SeverityUnlocalized
	if sev == "" {
		sev = pe.Severity
	}
	return &pgproto3.ErrorResponse{
		Severity:            pe.Severity,
		SeverityUnlocalized: sev,
		Code:                pe.Code,
		Message:             pe.Message,
		Detail:              pe.Detail,
		Hint:                pe.Hint,
		Position:            pe.Position,
		InternalPosition:    pe.InternalPosition,
		InternalQuery:       pe.InternalQuery,
		Where:               pe.Where,
		SchemaName:          pe.SchemaName,
		TableName:           pe.TableName,
		ColumnName:          pe.ColumnName,
		DataTypeName:        pe.DataTypeName,
		ConstraintName:      pe.ConstraintName,
		File:                pe.File,
		Line:                pe.Line,
		Routine:             pe.Routine,
	}
}

// fatal returns err as a FATAL error: the server closes the connection after
// sending it.
func fatal(err error) *pgconn.PgError {
	pe := toPgError(err)
	pe.Severity, pe.SeverityUnlocalized = "FATAL", "FATAL"
	return pe
}
