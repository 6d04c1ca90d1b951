package planner

import (
	"strconv"
	"strings"

	"github.com/dotdo/vitess/engine"
)

// Normalize replaces the literals of a simple-protocol statement with $n
// parameters, so that statements differing only in their constants share
// one cached plan (pgbench -M simple sends a new constant each time). It
// returns the normalized text, the literals as values (int64 for integers,
// NumericLit for decimals, string for quoted strings), and false when the statement
// holds something it does not handle (dollar quotes, E” strings, typed
// literals such as date '...', existing $n parameters, several statements):
// such statements are planned as written.
func Normalize(sql string) (string, []any, bool) {
	z := &normalizer{sql: sql}
	for z.i < len(sql) {
		if !z.token() {
			return "", nil, false
		}
	}
	return z.b.String(), z.lits, true
}

// normalizer scans a statement token by token, copying it to b with the
// literals replaced by $n.
type normalizer struct {
	sql      string
	i        int // next byte to scan
	b        strings.Builder
	lits     []any
	prev     byte   // last significant character before the current token
	prevWord string // the identifier or keyword just before, if any
}

// token copies the token at z.i, reporting false for what Normalize leaves
// to the parser.
func (z *normalizer) token() bool {
	sql, n, i := z.sql, len(z.sql), z.i
	c := sql[i]
	switch {
	case c == '-' && i+1 < n && sql[i+1] == '-':
		j := strings.IndexByte(sql[i:], '\n')
		if j < 0 {
			j = n - i
		}
		z.b.WriteString(sql[i : i+j])
		z.i += j
		return true
	case c == '/' && i+1 < n && sql[i+1] == '*':
		j := strings.Index(sql[i+2:], "*/")
		if j < 0 || strings.Contains(sql[i+2:i+2+j], "/*") {
			return false // nested comments: leave to the parser
		}
		z.b.WriteString(sql[i : i+2+j+2])
		z.i += j + 4
		return true
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
		z.b.WriteByte(c)
		z.i++
		return true
	case c == '$':
		return false // parameters or dollar quotes
	case c == ';':
		if strings.TrimSpace(sql[i+1:]) != "" {
			return false
		}
		z.b.WriteString(sql[i:])
		z.i = n
		return true
	case c == '"':
		return z.quotedIdent()
	case c == '\'':
		return z.stringLit()
	case c >= '0' && c <= '9' || (c == '.' && i+1 < n && sql[i+1] >= '0' && sql[i+1] <= '9'):
		return z.number()
	case isWordByte(c):
		return z.word()
	}
	z.b.WriteByte(c)
	z.i++
	z.prev, z.prevWord = c, ""
	return true
}

func (z *normalizer) quotedIdent() bool {
	sql, n, i := z.sql, len(z.sql), z.i
	j := i + 1
	for j < n && !(sql[j] == '"' && (j+1 >= n || sql[j+1] != '"')) {
		if sql[j] == '"' {
			j++
		}
		j++
	}
	if j >= n {
		return false
	}
	z.b.WriteString(sql[i : j+1])
	z.i = j + 1
	z.prev, z.prevWord = '"', ""
	return true
}

func (z *normalizer) stringLit() bool {
	sql, n := z.sql, len(z.sql)
	// A string after a word is a typed literal (date '...', E'...',
	// x'..', U&'...'): keep it. After an operator or punctuation it
	// is a plain constant.
	if z.prevWord != "" || (z.prev != 0 && isWordByte(z.prev)) || z.prev == '&' {
		return false
	}
	var s strings.Builder
	j := z.i + 1
	for {
		if j >= n {
			return false
		}
		if sql[j] == '\'' {
			if j+1 < n && sql[j+1] == '\'' {
				s.WriteByte('\'')
				j += 2
				continue
			}
			break
		}
		s.WriteByte(sql[j])
		j++
	}
	// 'a' 'b' (string continuation across a newline) is rare: refuse.
	rest := strings.TrimLeft(sql[j+1:], " \t\r\n\f")
	if strings.HasPrefix(rest, "'") || castFollows(rest) {
		return false
	}
	z.param(s.String())
	z.i = j + 1
	z.prev, z.prevWord = '\'', ""
	return true
}

func (z *normalizer) number() bool {
	sql, n, i := z.sql, len(z.sql), z.i
	if z.prev != 0 && (isWordByte(z.prev) || z.prev == '.') {
		// part of an identifier such as t1, or a qualified name
		z.b.WriteByte(sql[i])
		z.i++
		return true
	}
	j := i
	isInt := true
	for j < n && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.' || sql[j] == '_') {
		if sql[j] == '.' || sql[j] == '_' {
			isInt = false
		}
		j++
	}
	if j < n && (sql[j] == 'e' || sql[j] == 'E' || isWordByte(sql[j])) {
		return false // exponents, 0x10, 10abc: leave to the parser
	}
	// A unary minus makes the constant negative in the parse tree;
	// keep such constants in the text.
	if z.prev == '-' {
		z.b.WriteString(sql[i:j])
		z.i = j
		z.prev, z.prevWord = '0', ""
		return true
	}
	tok := sql[i:j]
	if castFollows(sql[j:]) {
		return false
	}
	if isInt {
		v, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return false
		}
		z.param(v)
	} else {
		z.param(engine.NumericLit(tok))
	}
	z.i = j
	z.prev, z.prevWord = '0', ""
	return true
}

func (z *normalizer) word() bool {
	sql, n, i := z.sql, len(z.sql), z.i
	j := i
	for j < n && isWordByte(sql[j]) {
		j++
	}
	word := sql[i:j]
	if strings.EqualFold(word, "cast") {
		return false // CAST(2.5 AS int) is 3: the literal's type matters
	}
	z.b.WriteString(word)
	z.i = j
	z.prev = sql[i]
	z.prevWord = strings.ToLower(word)
	if isOperatorKeyword(z.prevWord) {
		z.prevWord = "" // AND 'x', IN ('a'), = ANY ...: constants follow
		z.prev = ' '
	}
	return true
}

// param takes a literal out as the next $n.
func (z *normalizer) param(v any) {
	z.lits = append(z.lits, v)
	z.b.WriteString("$" + strconv.Itoa(len(z.lits)))
}

// castFollows reports a :: cast after a literal: 2.5::int is 3, and the
// gate routes by values, so such a literal stays in the text.
func castFollows(rest string) bool {
	return strings.HasPrefix(strings.TrimLeft(rest, " \t\r\n\f"), "::")
}

// LiteralOIDs are the types Postgres gives the literals Normalize took out:
// an integer is int4 when it fits, else int8; a decimal is numeric; a
// quoted string is unknown (0) until its context decides.
func LiteralOIDs(lits []any) []uint32 {
	out := make([]uint32, len(lits))
	for i, l := range lits {
		switch x := l.(type) {
		case int64:
			out[i] = 20
			if x >= -1<<31 && x < 1<<31 {
				out[i] = 23
			}
		case engine.NumericLit:
			out[i] = 1700
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || c >= '0' && c <= '9'
}

// isOperatorKeyword lists keywords after which a string is a constant, not
// the text of a typed literal.
func isOperatorKeyword(w string) bool {
	switch w {
	case "and", "or", "not", "in", "like", "ilike", "similar", "between", "is", "then", "else", "when",
		"values", "select", "where", "set", "by", "limit", "offset", "returning", "on", "having", "case",
		"distinct", "all", "any", "some", "escape", "to", "from", "as":
		return true
	}
	return false
}
