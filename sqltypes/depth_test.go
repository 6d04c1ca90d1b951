package sqltypes

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// deepForms build statements nesting n levels through each construct that
// nests: left-deep chains (which crash pg_query past its C stack) and
// nesting through parentheses (which bison bounds, less tightly than the
// gate).
var deepForms = map[string]func(n int) string{
	"plus":      func(n int) string { return "SELECT 1" + strings.Repeat("+1", n) },
	"concat":    func(n int) string { return "SELECT 'a'" + strings.Repeat("||'a'", n) },
	"cast":      func(n int) string { return "SELECT 1" + strings.Repeat("::int", n) },
	"collate":   func(n int) string { return "SELECT 'a'" + strings.Repeat(` COLLATE "C"`, n) },
	"attz":      func(n int) string { return "SELECT now()" + strings.Repeat(" AT TIME ZONE 'UTC'", n) },
	"unary":     func(n int) string { return "SELECT 1" + strings.Repeat("+-", n) + "x FROM t" },
	"operator":  func(n int) string { return "SELECT 1" + strings.Repeat(" OPERATOR(pg_catalog.+) 1", n) },
	"union":     func(n int) string { return "SELECT 1, 2" + strings.Repeat(" UNION ALL SELECT 1, 2", n) },
	"join":      func(n int) string { return "SELECT * FROM t" + strings.Repeat(" JOIN t ON a = 1 AND b = 2", n) },
	"betweenis": func(n int) string { return "SELECT 1" + strings.Repeat(" BETWEEN 1 AND 1 IS TRUE", n) },
	"paren":     func(n int) string { return "SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n) },
	"func":      func(n int) string { return "SELECT " + strings.Repeat("abs(", n) + "1" + strings.Repeat(")", n) },
	"subquery":  func(n int) string { return "SELECT " + strings.Repeat("(SELECT ", n) + "1" + strings.Repeat(")", n) },
	"case": func(n int) string {
		return "SELECT " + strings.Repeat("CASE WHEN true THEN ", n) + "1" + strings.Repeat(" END", n)
	},
	"not":   func(n int) string { return "SELECT " + strings.Repeat("NOT ", n) + "true" },
	"array": func(n int) string { return "SELECT " + strings.Repeat("ARRAY[", n) + "1" + strings.Repeat("]", n) },
	"andor": func(n int) string {
		return "SELECT 1 WHERE " + strings.Repeat("(x=1 AND (y=1 OR ", n) + "true" + strings.Repeat("))", n)
	},
}

func isDepthError(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == StatementTooComplex && pe.Message == "stack depth limit exceeded" && pe.Hint != ""
}

// TestCheckDepthRefusesDeep: every nesting form past the limit is refused,
// up to the 25,000 terms that crashed the gate.
func TestCheckDepthRefusesDeep(t *testing.T) {
	for name, gen := range deepForms {
		for _, n := range []int{MaxParseDepth + 1, 3000, 25000} {
			if err := CheckDepth(gen(n)); !isDepthError(err) {
				t.Errorf("%s with %d levels: %v, want 54001", name, n, err)
			}
		}
	}
}

// TestCheckDepthAcceptsWithinLimit: at the limit every form passes the
// check, and the parser then builds its tree without an error of its own
// (its protobuf depth limit is not reached either).
func TestCheckDepthAcceptsWithinLimit(t *testing.T) {
	for name, gen := range deepForms {
		n := MaxParseDepth - 2 // the statement's own top level
		if name == "andor" || name == "unary" || name == "betweenis" {
			n /= 2 // two counted tokens a level
		}
		sql := gen(n)
		if err := CheckDepth(sql); err != nil {
			t.Errorf("%s with %d levels refused: %v", name, n, err)
			continue
		}
		if _, err := pg_query.Parse(sql); err != nil && !strings.Contains(err.Error(), "syntax error") {
			t.Errorf("%s with %d levels: parser: %v", name, n, err)
		}
	}
}

// TestCheckDepthAcceptsFlat: long flat lists are no deeper than one
// element, as the grammar builds them.
func TestCheckDepthAcceptsFlat(t *testing.T) {
	var vals strings.Builder
	vals.WriteString("INSERT INTO t (a, b) VALUES (1, -1)")
	for i := 0; i < 10000; i++ {
		vals.WriteString(", (2, -2.5)")
	}
	flat := map[string]string{
		"in":      "SELECT * FROM t WHERE a IN (1" + strings.Repeat(", -1", 30000) + ")",
		"values":  vals.String(),
		"or":      "SELECT * FROM t WHERE a = 1" + strings.Repeat(" OR a = -1", 20000),
		"and":     "SELECT * FROM t WHERE a <> 1" + strings.Repeat(" AND a + 1 <> 2", 20000),
		"orand":   "SELECT * FROM t WHERE a = 1" + strings.Repeat(" OR a = 2 AND b = 3", 10000),
		"case":    "SELECT CASE a" + strings.Repeat(" WHEN 1 THEN 'x' || 'y'", 10000) + " END FROM t",
		"columns": "SELECT a + 1" + strings.Repeat(", a + 1", 10000) + " FROM t",
		"array":   "SELECT ARRAY[1" + strings.Repeat(", -1", 30000) + "]",
		"many":    strings.Repeat("SELECT 1+1+1+1+1+1+1+1+1+1; ", 1000),
		"string":  "SELECT '" + strings.Repeat("((1+", 20000) + "'",
		"comment": "SELECT 1 /* " + strings.Repeat("((1+", 20000) + " */",
		"between": "SELECT * FROM t WHERE a BETWEEN 1 AND 2" + strings.Repeat(" AND a BETWEEN 1 AND 2", 5000),
	}
	for name, sql := range flat {
		if err := CheckDepth(sql); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
