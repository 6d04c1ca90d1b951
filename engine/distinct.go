package engine

import (
	"context"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
)

// Distinct drops rows equal to one already sent. It remembers every
// distinct row it has sent.
type Distinct struct {
	Input Operator
}

// Open wraps the input.
func (d *Distinct) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return openInput(ctx, env, args, d.Input, func(in sqltypes.Rows) sqltypes.Rows {
		return &distinctRows{Rows: in, seen: map[string]bool{}, mem: sqltypes.BudgetOf(ctx)}
	})
}

// Explain prints the operator.
func (d *Distinct) Explain() *ExplainNode {
	return &ExplainNode{Op: "Distinct", Children: []*ExplainNode{d.Input.Explain()}}
}

type distinctRows struct {
	sqltypes.Rows
	seen map[string]bool
	n    int64
	mem  *sqltypes.MemBudget
}

// groupKey renders values so that values Postgres considers equal (1.0 and
// 1.00 as numeric) get the same key.
func groupKey(fields []sqltypes.Field, row sqltypes.Row, cols []int) string {
	var b strings.Builder
	for _, c := range cols {
		v := row[c]
		if v == nil {
			b.WriteString("N;")
			continue
		}
		s := string(v)
		switch fields[c].OID {
		case sqltypes.OIDNumeric:
			s = normalizeNumeric(s)
		case sqltypes.OIDBPChar:
			s = strings.TrimRight(s, " ")
		}
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteString(":")
		b.WriteString(s)
	}
	return b.String()
}

func (d *distinctRows) Next(ctx context.Context) (sqltypes.Row, error) {
	fields := d.Rows.Fields()
	cols := make([]int, len(fields))
	for i := range cols {
		cols[i] = i
	}
	for {
		row, err := d.Rows.Next(ctx)
		if err != nil {
			return nil, err
		}
		k := groupKey(fields, row, cols)
		if d.seen[k] {
			continue
		}
		// A map entry: the key's bytes, its string header and the
		// map's own share (about 48 bytes).
		if err := d.mem.Hold("Distinct", int64(len(k))+64); err != nil {
			return nil, err
		}
		d.seen[k] = true
		d.n++
		return row, nil
	}
}

func (d *distinctRows) Tag() string { return selectTag(d.n) }

// normalizeNumeric drops trailing fraction zeros so numerically equal
// numeric texts compare equal ("1.50" and "1.5"; "-0.0" and "0").
func normalizeNumeric(s string) string {
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Inputs is the operator it reads.
func (d *Distinct) Inputs() []Operator { return []Operator{d.Input} }
