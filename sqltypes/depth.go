package sqltypes

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// MaxParseDepth bounds how deeply a statement may nest before the gate
// hands it to the Postgres parser. pg_query is C code called through cgo
// with its stack check disabled: it builds the parse tree and packs it into
// protobuf recursively, on the calling thread's C stack, and a tree that is
// too deep ends the whole process with SIGSEGV. Measured with pg_query_go
// v6.2.5 on linux/amd64, parsing on a non-main thread:
//
//   - chains that the grammar builds left-deep without growing bison's
//     stack crash: `1+1+...` (also ||, ::int, COLLATE, AT TIME ZONE, JOIN)
//     at 23,806 terms with 8 MB thread stacks (ulimit -s 8192), 5,932 with
//     2 MB (ulimit -s unlimited), 1,464 with 512 KB: about 360 bytes of C
//     stack a level. UNION ALL chains crash at twice those counts.
//   - nesting through parentheses, function calls, subqueries, CASE, ARRAY
//     or ROW never crashes: bison's 10,000-entry stack fails first
//     ("memory exhausted", 42601) at 9,994 parentheses, 2,000 CASEs, 1,665
//     subqueries.
//   - Go's protobuf decoder stops at 10,000 nested messages ("exceeded
//     maximum recursion depth"): 4,996 terms of a `+` chain, 1,666 nested
//     subqueries (six messages a level).
//
// PostgreSQL 15 (max_stack_depth 2 MB) refuses a `+` chain from 4,092
// terms on. 1,000 levels stay under every limit above with a margin of at
// least 1.5 (subqueries against the protobuf limit) and use at most about
// 360 KB of C stack; the gate's own tree walks in Go grow their stacks as
// needed and are bounded by the same depth.
const MaxParseDepth = 1000

// CheckDepth refuses a statement whose parse tree would nest deeper than
// MaxParseDepth, before any cgo parser call that builds a tree: the planner and the
// SQLite translation call it before pg_query.Parse.
func CheckDepth(sql string) error {
	if len(sql) <= MaxParseDepth {
		return nil // every level of nesting costs at least one byte
	}
	// The scanner is flex: iterative, safe at any length (measured to
	// 200,000 terms), and it lexes exactly as the parser will.
	sc, err := pg_query.Scan(sql)
	if err != nil {
		return nil // the parser reports the same lexing error
	}
	if estimateDepth(sc.Tokens) > MaxParseDepth {
		e := Errorf(StatementTooComplex, "stack depth limit exceeded") // Postgres raises stack_depth_limit_exceeded under this code
		e.Hint = "A statement may nest at most " + strconv.Itoa(MaxParseDepth) +
			" levels (operators, parentheses, subqueries, CASE, joins, set operations); use flat forms (IN lists, VALUES rows, AND/OR terms) or split it."
		return e
	}
	return nil
}

// depthLevel is one open parenthesis, bracket or CASE.
type depthLevel struct {
	kind pg_query.Token // '(' '[' or CASE
	base int            // depth where the level opens
	// chain counts operators since the last separator (',' AND OR WHEN
	// THEN ELSE): an expression chain nests one level per operator, while
	// the separators start flat list members (AND and OR chains are
	// flattened by the grammar).
	chain int
	// lists counts set operations and joins: they nest left-deep across
	// commas and ANDs, so no separator resets them.
	lists int
	// between: a BETWEEN waits for its AND, which is no separator.
	between bool
}

func (l *depthLevel) depth() int { return l.base + l.chain + l.lists }

// estimateDepth over-estimates the nesting depth of the parse tree from
// the statement's tokens. It never under-estimates a left-deep chain: every
// grammar rule that nests without parentheses has an operator or keyword
// token per level, counted here.
func estimateDepth(toks []*pg_query.ScanToken) int {
	stack := []depthLevel{{}}
	max := 0
	for _, t := range toks {
		top := &stack[len(stack)-1]
		switch tok := t.Token; tok {
		case pg_query.Token_ASCII_40, pg_query.Token_ASCII_91, pg_query.Token_CASE:
			stack = append(stack, depthLevel{kind: tok, base: top.depth() + 1})
		case pg_query.Token_ASCII_41, pg_query.Token_ASCII_93:
			stack = closeLevel(stack)
		case pg_query.Token_END_P:
			if top.kind == pg_query.Token_CASE {
				stack = stack[:len(stack)-1]
			}
		case pg_query.Token_ASCII_59: // ';': a new statement
			stack = stack[:1]
			stack[0] = depthLevel{}
		case pg_query.Token_ASCII_44, pg_query.Token_OR, pg_query.Token_WHEN, pg_query.Token_THEN, pg_query.Token_ELSE:
			top.chain, top.between = 0, false
		case pg_query.Token_AND:
			if !top.between {
				top.chain = 0
			}
			top.between = false
		case pg_query.Token_UNION, pg_query.Token_INTERSECT, pg_query.Token_EXCEPT, pg_query.Token_JOIN:
			top.lists++
		case pg_query.Token_BETWEEN:
			top.chain++
			top.between = true
		default:
			if chainToken(tok) {
				top.chain++
			}
		}
		if d := stack[len(stack)-1].depth(); d > max {
			max = d
		}
	}
	return max
}

// closeLevel pops to the innermost open parenthesis or bracket (a CASE
// left open inside it is a syntax error the parser reports).
func closeLevel(stack []depthLevel) []depthLevel {
	for len(stack) > 1 {
		k := stack[len(stack)-1].kind
		stack = stack[:len(stack)-1]
		if k != pg_query.Token_CASE {
			break
		}
	}
	return stack
}

// chainToken reports whether tok is an operator or a keyword that can
// nest an expression one level deeper than its operand.
func chainToken(tok pg_query.Token) bool {
	switch tok {
	case pg_query.Token_Op, pg_query.Token_ASCII_37, pg_query.Token_ASCII_42,
		pg_query.Token_ASCII_43, pg_query.Token_ASCII_45, pg_query.Token_ASCII_47,
		pg_query.Token_ASCII_60, pg_query.Token_ASCII_61, pg_query.Token_ASCII_62,
		pg_query.Token_ASCII_94, pg_query.Token_LESS_EQUALS, pg_query.Token_GREATER_EQUALS,
		pg_query.Token_NOT_EQUALS, pg_query.Token_TYPECAST, pg_query.Token_COLLATE,
		pg_query.Token_AT, pg_query.Token_IS, pg_query.Token_ISNULL, pg_query.Token_NOTNULL,
		pg_query.Token_NOT, pg_query.Token_LIKE, pg_query.Token_ILIKE, pg_query.Token_SIMILAR,
		pg_query.Token_IN_P, pg_query.Token_OPERATOR, pg_query.Token_OVERLAPS,
		pg_query.Token_ESCAPE, pg_query.Token_NOT_LA:
		return true
	}
	return false
}
