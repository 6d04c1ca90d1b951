package dialect

import (
	"strings"

	"github.com/dotdo/vitess/sqltypes"
)

// Postgres identifiers are case-sensitive once folded (unquoted MixedCase
// is mixedcase, "MixedCase" is another name); SQLite compares identifiers
// ignoring ASCII case, so "MixedCase" and mixedcase would be one table on a
// SQLite shard. Every identifier the translator prints is therefore
// encoded: an upper-case ASCII letter X becomes ^x and ^ becomes ^^. The
// encoding has no upper-case ASCII letters, so SQLite's case-insensitive
// comparison of two encodings is exact, and names in lower case (all
// unquoted names) are unchanged.

// SQLiteName is the name a Postgres identifier has in a SQLite shard.
func SQLiteName(pgName string) string {
	if !strings.ContainsFunc(pgName, func(r rune) bool { return r == '^' || 'A' <= r && r <= 'Z' }) {
		return pgName
	}
	var b strings.Builder
	for i := 0; i < len(pgName); i++ {
		switch c := pgName[i]; {
		case c == '^':
			b.WriteString("^^")
		case 'A' <= c && c <= 'Z':
			b.WriteByte('^')
			b.WriteByte(c + ('a' - 'A'))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// PGName is the Postgres identifier of a SQLite shard's name (the inverse
// of SQLiteName).
func PGName(sqliteName string) string {
	if !strings.Contains(sqliteName, "^") {
		return sqliteName
	}
	var b strings.Builder
	for i := 0; i < len(sqliteName); i++ {
		c := sqliteName[i]
		if c == '^' && i+1 < len(sqliteName) {
			i++
			if n := sqliteName[i]; n != '^' {
				c = n - ('a' - 'A')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ident prints a Postgres identifier as a quoted SQLite identifier.
func ident(pgName string) string { return sqltypes.QuoteIdent(SQLiteName(pgName)) }
