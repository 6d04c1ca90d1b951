package sqltypes

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/jackc/pgx/v5/pgconn"
)

// PanicError logs a recovered panic with its stack and returns the XX000
// error its client sees. A panic is a bug in the gate: it ends the
// statement (or the one connection), never the process.
func PanicError(log *slog.Logger, where string, r any) *pgconn.PgError {
	if log == nil {
		log = slog.Default()
	}
	log.Error("panic recovered", "where", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	return Errorf(InternalError, "internal error in the gate (%s): %v", where, r)
}

// CatchPanic, deferred by a goroutine that works for one statement (a
// shard's part of a fan-out, a COPY stream), turns a panic into an XX000
// error in *errp.
func CatchPanic(where string, errp *error) {
	if r := recover(); r != nil {
		*errp = PanicError(nil, where, r)
	}
}
