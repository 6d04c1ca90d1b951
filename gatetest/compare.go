package gatetest

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Results as text, to compare the gate's answers with PostgreSQL's.

// Field is a result column: its name and type OID.
type Field struct {
	Name string
	OID  uint32
}

// QueryText runs sql and returns the columns and the values as Postgres text.
func QueryText(ctx context.Context, c *pgx.Conn, sql string, args ...any) ([]Field, [][]*string, error) {
	fields, out, _, err := QueryTextTag(ctx, c, sql, args...)
	return fields, out, err
}

// QueryTextTag is QueryText that also returns the command tag.
func QueryTextTag(ctx context.Context, c *pgx.Conn, sql string, args ...any) ([]Field, [][]*string, string, error) {
	rows, err := c.Query(ctx, sql, append([]any{pgx.QueryExecModeSimpleProtocol}, args...)...)
	if err != nil {
		return nil, nil, "", err
	}
	defer rows.Close()
	var fields []Field
	for _, fd := range rows.FieldDescriptions() {
		fields = append(fields, Field{fd.Name, fd.DataTypeOID})
	}
	var out [][]*string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]*string, len(raw))
		for i, v := range raw {
			if v != nil {
				s := string(v)
				row[i] = &s
			}
		}
		out = append(out, row)
	}
	rows.Close()
	return fields, out, rows.CommandTag().String(), rows.Err()
}

// QueryBinary runs sql in the extended protocol with binary results and
// renders each decoded value canonically.
func QueryBinary(ctx context.Context, c *pgx.Conn, sql string, args ...any) ([]Field, [][]*string, error) {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out [][]*string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, nil, err
		}
		row := make([]*string, len(vals))
		for i, v := range vals {
			if v == nil {
				continue
			}
			var s string
			switch x := v.(type) {
			case pgtype.Numeric:
				dv, _ := x.Value()
				s = fmt.Sprint(dv)
			case time.Time:
				s = x.UTC().Format(time.RFC3339Nano)
			case float64:
				s = strconv.FormatFloat(x, 'g', -1, 64)
			case float32:
				s = strconv.FormatFloat(float64(x), 'g', -1, 32)
			default:
				s = fmt.Sprintf("%T:%v", v, v)
			}
			row[i] = &s
		}
		out = append(out, row)
	}
	return nil, out, rows.Err()
}

// RowString renders a row for a failure message.
func RowString(r []*string) string {
	var b strings.Builder
	for i, v := range r {
		if i > 0 {
			b.WriteString(" | ")
		}
		if v == nil {
			b.WriteString("NULL")
		} else {
			b.WriteString(strconv.Quote(*v))
		}
	}
	return b.String()
}

// SortString orders rows for a multiset comparison; float columns are
// rounded, so that sums added in another order sort alike.
func SortString(fields []Field, r []*string) string {
	var b strings.Builder
	for i, v := range r {
		b.WriteString(" | ")
		if v == nil {
			b.WriteString("NULL")
			continue
		}
		if i < len(fields) && (fields[i].OID == 701 || fields[i].OID == 700) {
			if f, err := strconv.ParseFloat(*v, 64); err == nil {
				b.WriteString(strconv.FormatFloat(f, 'g', 9, 64))
				continue
			}
		}
		b.WriteString(strconv.Quote(*v))
	}
	return b.String()
}

// ValuesEqual compares texts; float8 results of aggregates may differ in the
// last bits because the shards add in a different order.
func ValuesEqual(oid uint32, a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if *a == *b {
		return true
	}
	if oid == 701 || oid == 700 {
		x, err1 := strconv.ParseFloat(*a, 64)
		y, err2 := strconv.ParseFloat(*b, 64)
		return err1 == nil && err2 == nil && math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x))
	}
	return false
}

// CompareResults compares two results (want from Postgres, got from
// the gate): columns, row count and values, as a multiset unless ordered;
// it returns the first difference, or "".
func CompareResults(ordered bool, wf []Field, want [][]*string, gf []Field, got [][]*string) string {
	if fmt.Sprint(wf) != fmt.Sprint(gf) {
		return fmt.Sprintf("columns differ: want %v got %v", wf, gf)
	}
	if len(want) != len(got) {
		return fmt.Sprintf("row count: want %d got %d", len(want), len(got))
	}
	if !ordered {
		sort.Slice(want, func(i, j int) bool { return SortString(wf, want[i]) < SortString(wf, want[j]) })
		sort.Slice(got, func(i, j int) bool { return SortString(wf, got[i]) < SortString(wf, got[j]) })
	}
	for i := range want {
		for j := range want[i] {
			if !ValuesEqual(wf[j].OID, want[i][j], got[i][j]) {
				return fmt.Sprintf("row %d: want %s got %s", i, RowString(want[i]), RowString(got[i]))
			}
		}
	}
	return ""
}
