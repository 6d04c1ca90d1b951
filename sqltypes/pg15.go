package sqltypes

import (
	"regexp"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// The gate reports server_version 15 (the version of the Postgres shards it
// is tested against) but parses with pg_query's PostgreSQL 17 grammar. The
// lexers differ in what a literal means:
//
//   - E'\v' is a vertical tab (0x0B) from PostgreSQL 16 on; PostgreSQL 15
//     reads an unknown escape as the character itself, so E'\v' is 'v'.
//   - 0x1F, 0o17, 0b101 and digit separators (1_000) are numbers from
//     PostgreSQL 16 on; PostgreSQL 15 refuses them ("trailing junk after
//     numeric literal", 42601).
//
// PG15Text rewrites the statement so that pg_query reads it as PostgreSQL 15
// would: every \v escape in an E'...' string becomes a plain v, and PG 16
// number forms are refused. The other escapes (\b \f \n \r \t, octal, \x,
// \u, \U) mean the same in both versions, so the rewritten text is still
// decoded by pg_query itself. The planner and the SQLite translation both
// read statements through it, so a value routes as the shard stores it.
func PG15Text(sql string) (string, error) {
	if !strings.Contains(sql, `\v`) && !rePG16Number.MatchString(sql) {
		return sql, nil // fast path: nothing either rule can touch
	}
	sr, err := pg.Scan(sql)
	if err != nil {
		return sql, nil // Parse reports the error
	}
	var b strings.Builder
	last := 0
	for _, tok := range sr.Tokens {
		text := sql[tok.Start:tok.End]
		switch tok.Token {
		case pg.Token_SCONST:
			if len(text) < 2 || (text[0] != 'e' && text[0] != 'E') || !strings.Contains(text, `\v`) {
				continue
			}
			b.WriteString(sql[last:tok.Start])
			b.WriteString(plainV(text))
			last = int(tok.End)
		case pg.Token_ICONST, pg.Token_FCONST:
			if rePG16Number.MatchString(text) {
				return "", Errorf(SyntaxError, "trailing junk after numeric literal at or near %q", text)
			}
		}
	}
	b.WriteString(sql[last:])
	return b.String(), nil
}

// rePG16Number finds the number forms PostgreSQL 16 added: a 0x/0o/0b
// prefix or an underscore after a digit.
var rePG16Number = regexp.MustCompile(`(^|[^A-Za-z0-9_$])0[xXoObB]|[0-9]_`)

// plainV replaces each \v escape (a v after an odd number of backslashes)
// in an E'...' literal's text by v.
func plainV(text string) string {
	var b strings.Builder
	run := 0 // backslashes just before this byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == 'v' && run%2 == 1 {
			s := b.String()
			b.Reset()
			b.WriteString(s[:len(s)-1]) // drop the escaping backslash
			b.WriteByte('v')
			run = 0
			continue
		}
		b.WriteByte(c)
		if c == '\\' {
			run++
		} else {
			run = 0
		}
	}
	return b.String()
}
