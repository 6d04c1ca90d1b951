package sqltypes

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
)

// AsParseError returns the parser's error in err as the 42601 syntax error
// Postgres sends, with its cursor position; nil when err holds none.
func AsParseError(err error) *pgconn.PgError {
	var qe *pgparser.Error
	if !errors.As(err, &qe) {
		return nil
	}
	e := Errorf(SyntaxError, "%s", qe.Message)
	e.Position = int32(qe.Cursorpos)
	return e
}
