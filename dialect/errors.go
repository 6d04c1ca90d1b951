package dialect

import (
	"errors"
	"regexp"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// SQLite extended result codes MapError looks at.
const (
	sqliteError          = 1
	sqliteBusy           = 5
	sqliteLocked         = 6
	sqliteInterrupt      = 9
	sqliteFull           = 13
	sqliteConstraint     = 19
	sqliteMismatch       = 20
	sqliteBusySnapshot   = 517
	sqliteConstraintChk  = 275
	sqliteConstraintFK   = 787
	sqliteConstraintNN   = 1299
	sqliteConstraintPK   = 1555
	sqliteConstraintUniq = 2067
)

var (
	reConstraintCols = regexp.MustCompile(`constraint failed: ([^()]+?)(?: \(\d+\))?$`)
	reTrailCode      = regexp.MustCompile(` \(\d+\)$`)
	rePgLen          = regexp.MustCompile(`^pglen_(varchar|char)_(\d+)_`)
	rePgErr          = regexp.MustCompile(`pgerr:([0-9A-Z]{5}):(.*?)(?: \(\d+\))?$`)
)

// MapError converts a SQLite error (from modernc.org/sqlite) into a
// *pgconn.PgError with the matching SQLSTATE; other errors pass through.
func MapError(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	code := se.Code()
	msg := reTrailCode.ReplaceAllString(se.Error(), "")
	if m := rePgErr.FindStringSubmatch(se.Error()); m != nil {
		return sqltypes.Errorf(m[1], "%s", m[2])
	}
	// the SQLite message proper, without modernc's "<code text>: " prefix
	detail := msg
	for _, p := range []string{"SQL logic error: ", "constraint failed: "} {
		if i := strings.Index(detail, p); i >= 0 {
			detail = detail[i+len(p):]
			break
		}
	}
	// SQLite names the tables, columns and constraints by their encoded
	// names (names.go)
	msg, detail = PGName(msg), PGName(detail)
	switch code {
	case sqliteConstraintPK, sqliteConstraintUniq:
		table, cols := constraintCols(msg)
		name := table + "_pkey"
		if code == sqliteConstraintUniq {
			name = table + "_" + strings.Join(cols, "_") + "_key"
		}
		e := sqltypes.Errorf(sqltypes.UniqueViolation, "duplicate key value violates unique constraint %q", name)
		e.TableName, e.ConstraintName = table, name
		return e
	case sqliteConstraintNN:
		table, cols := constraintCols(msg)
		col := ""
		if len(cols) > 0 {
			col = cols[0]
		}
		e := sqltypes.Errorf(sqltypes.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", col, table)
		e.TableName, e.ColumnName = table, col
		return e
	case sqliteConstraintFK:
		return sqltypes.Errorf(sqltypes.ForeignKeyViolation, "insert or update violates foreign key constraint")
	case sqliteConstraintChk:
		name := strings.TrimSpace(strings.TrimPrefix(detail, "CHECK constraint failed:"))
		if m := rePgLen.FindStringSubmatch(name); m != nil {
			kind := "character varying"
			if m[1] == "char" {
				kind = "character"
			}
			return sqltypes.Errorf(sqltypes.StringDataRightTruncation, "value too long for type %s(%s)", kind, m[2])
		}
		e := sqltypes.Errorf(sqltypes.CheckViolation, "new row violates check constraint %q", name)
		e.ConstraintName = name
		return e
	case sqliteBusySnapshot:
		return sqltypes.Errorf(sqltypes.SerializationFailure, "could not serialize access due to concurrent update")
	case sqliteInterrupt:
		return sqltypes.Errorf(sqltypes.QueryCanceled, "canceling statement due to user request")
	case sqliteFull:
		return sqltypes.Errorf(sqltypes.DiskFull, "could not extend file: %s", detail)
	case sqliteMismatch:
		return sqltypes.Errorf(sqltypes.DatatypeMismatch, "%s", detail)
	}
	switch code & 0xff {
	case sqliteBusy, sqliteLocked:
		return sqltypes.Errorf(sqltypes.LockNotAvailable, "could not obtain lock on SQLite shard: %s", detail)
	case sqliteConstraint:
		return sqltypes.Errorf(sqltypes.IntegrityConstraintViolation, "%s", detail)
	}
	switch {
	case strings.HasPrefix(detail, "no such table: "):
		return sqltypes.Errorf(sqltypes.UndefinedTable, "relation %q does not exist", strings.TrimPrefix(detail, "no such table: "))
	case strings.HasPrefix(detail, "no such column: "):
		c := strings.TrimPrefix(detail, "no such column: ")
		if strings.Contains(c, ".") {
			return sqltypes.Errorf(sqltypes.UndefinedColumn, "column %s does not exist", c)
		}
		return sqltypes.Errorf(sqltypes.UndefinedColumn, "column %q does not exist", c)
	case strings.HasPrefix(detail, "no such index: "):
		return sqltypes.Errorf(sqltypes.UndefinedObject, "index %q does not exist", strings.TrimPrefix(detail, "no such index: "))
	case strings.Contains(detail, "syntax error"), strings.HasPrefix(detail, "incomplete input"):
		return sqltypes.Errorf(sqltypes.SyntaxError, "%s", detail)
	case strings.HasPrefix(detail, "duplicate column name: "):
		return sqltypes.Errorf(sqltypes.DuplicateColumn, "column %q specified more than once", strings.TrimPrefix(detail, "duplicate column name: "))
	case strings.HasSuffix(detail, " already exists"):
		name := strings.TrimSuffix(detail, " already exists")
		name = strings.TrimPrefix(strings.TrimPrefix(name, "table "), "index ")
		return sqltypes.Errorf(sqltypes.DuplicateTable, "relation %q already exists", strings.Trim(name, `"`))
	case detail == "integer overflow":
		// SQLite's abs/sum over int64; the Postgres types involved are bigint
		return sqltypes.Errorf(sqltypes.NumericValueOutOfRange, "bigint out of range")
	case strings.Contains(detail, "division by zero"):
		return sqltypes.Errorf(sqltypes.DivisionByZero, "division by zero")
	case strings.HasPrefix(detail, "Expression tree is too large"):
		// SQLite's own nesting limit (an OR of more than 1000 terms)
		return sqltypes.Errorf(sqltypes.StatementTooComplex, "%s", detail)
	}
	return sqltypes.Errorf(sqltypes.InternalError, "%s", detail)
}

// constraintCols parses "UNIQUE constraint failed: t.a, t.b".
func constraintCols(msg string) (table string, cols []string) {
	m := reConstraintCols.FindStringSubmatch(msg)
	if m == nil {
		return "", nil
	}
	s := m[1]
	if i := strings.Index(s, "failed: "); i >= 0 {
		s = s[i+len("failed: "):]
	}
	for _, p := range strings.Split(s, ",") {
		t, c, ok := strings.Cut(strings.TrimSpace(p), ".")
		if !ok {
			continue
		}
		table = t
		cols = append(cols, c)
	}
	return table, cols
}
