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
	var b strings.Builder
	var lits []any
	prev := byte(0) // last significant character before the current token
	prevWord := ""  // the identifier or keyword just before, if any
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case c == '-' && i+1 < n && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = n - i
			}
			b.WriteString(sql[i : i+j])
			i += j
			continue
		case c == '/' && i+1 < n && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 || strings.Contains(sql[i+2:i+2+j], "/*") {
				return "", nil, false // nested comments: leave to the parser
			}
			b.WriteString(sql[i : i+2+j+2])
			i += j + 4
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			b.WriteByte(c)
			i++
			continue
		case c == '$':
			return "", nil, false // parameters or dollar quotes
		case c == ';':
			if strings.TrimSpace(sql[i+1:]) != "" {
				return "", nil, false
			}
			b.WriteString(sql[i:])
			i = n
			continue
		case c == '"':
			j := i + 1
			for j < n && !(sql[j] == '"' && (j+1 >= n || sql[j+1] != '"')) {
				if sql[j] == '"' {
					j++
				}
				j++
			}
			if j >= n {
				return "", nil, false
			}
			b.WriteString(sql[i : j+1])
			i = j + 1
			prev, prevWord = '"', ""
			continue
		case c == '\'':
			// A string after a word is a typed literal (date '...', E'...',
			// x'..', U&'...'): keep it. After an operator or punctuation it
			// is a plain constant.
			if prevWord != "" || (prev != 0 && isWordByte(prev)) || prev == '&' {
				return "", nil, false
			}
			var s strings.Builder
			j := i + 1
			for {
				if j >= n {
					return "", nil, false
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
				return "", nil, false
			}
			lits = append(lits, s.String())
			b.WriteString("$" + strconv.Itoa(len(lits)))
			i = j + 1
			prev, prevWord = '\'', ""
			continue
		case c >= '0' && c <= '9' || (c == '.' && i+1 < n && sql[i+1] >= '0' && sql[i+1] <= '9'):
			if prev != 0 && (isWordByte(prev) || prev == '.') {
				// part of an identifier such as t1, or a qualified name
				b.WriteByte(c)
				i++
				continue
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
				return "", nil, false // exponents, 0x10, 10abc: leave to the parser
			}
			// A unary minus makes the constant negative in the parse tree;
			// keep such constants in the text.
			if prev == '-' {
				b.WriteString(sql[i:j])
				i = j
				prev, prevWord = '0', ""
				continue
			}
			tok := sql[i:j]
			if castFollows(sql[j:]) {
				return "", nil, false
			}
			if isInt {
				v, err := strconv.ParseInt(tok, 10, 64)
				if err != nil {
					return "", nil, false
				}
				lits = append(lits, v)
			} else {
				lits = append(lits, engine.NumericLit(tok))
			}
			b.WriteString("$" + strconv.Itoa(len(lits)))
			i = j
			prev, prevWord = '0', ""
			continue
		case isWordByte(c):
			j := i
			for j < n && isWordByte(sql[j]) {
				j++
			}
			word := sql[i:j]
			if strings.EqualFold(word, "cast") {
				return "", nil, false // CAST(2.5 AS int) is 3: the literal's type matters
			}
			b.WriteString(word)
			i = j
			prev = c
			prevWord = strings.ToLower(word)
			if isOperatorKeyword(prevWord) {
				prevWord = "" // AND 'x', IN ('a'), = ANY ...: constants follow
				prev = ' '
			}
			continue
		}
		b.WriteByte(c)
		i++
		prev, prevWord = c, ""
	}
	return b.String(), lits, true
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
