package vtgate

import (
	"strings"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/sqltypes"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// splitStatements splits a query string into its statements, trimmed. The
// common case, one statement without comments, dollar quotes or E”
// strings, is recognised by a quick scan; anything else goes to the
// Postgres parser.
func splitStatements(sql string) ([]string, error) {
	if s, ok := singleStatement(sql); ok {
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	return pg_query.SplitWithParser(sql, true)
}

// singleStatement returns the statement when sql certainly holds at most
// one: it contains no ';' but a final one, outside quotes.
func singleStatement(sql string) (string, bool) {
	end := len(sql)
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; c {
		case '\'', '"':
			if c == '\'' && i > 0 && (sql[i-1] == 'e' || sql[i-1] == 'E') {
				return "", false // backslash escapes
			}
			j := strings.IndexByte(sql[i+1:], c)
			if j < 0 {
				return "", false
			}
			i += j + 1 // a doubled quote is two strings in a row: same scan
		case '$':
			if i+1 < len(sql) && sql[i+1] >= '0' && sql[i+1] <= '9' {
				continue // a parameter $n (a dollar quote's tag cannot start with a digit)
			}
			return "", false
		case '\\':
			return "", false
		case '-':
			if i+1 < len(sql) && sql[i+1] == '-' {
				return "", false
			}
		case '/':
			if i+1 < len(sql) && sql[i+1] == '*' {
				return "", false
			}
		case ';':
			if strings.TrimSpace(sql[i+1:]) != "" {
				return "", false
			}
			end = i
			i = len(sql)
		}
	}
	return strings.TrimSpace(sql[:end]), true
}

// hasTransactionControl reports a statement that begins or ends a
// transaction among a query string's statements: then the statements run
// as written, without an implicit transaction around them.
func hasTransactionControl(parts []string) bool {
	for _, q := range parts {
		b := []byte(q)
		w, _ := sqltypes.Word(b, sqltypes.SkipBlank(b, 0))
		switch strings.ToUpper(string(w)) {
		case "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE", "VACUUM":
			return true
		}
	}
	return false
}

// SplitQuery implements proxy.QuerySplitter.
func (s *session) SplitQuery(sql string) ([]string, bool, error) {
	parts, err := splitStatements(sql)
	if err != nil {
		return nil, false, planner.ParseError(err)
	}
	return parts, !hasTransactionControl(parts), nil
}
