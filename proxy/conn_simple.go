package proxy

import (
	"context"
	"io"
	"slices"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgproto3"
)

// simpleQuery runs a Query message: each statement of the string in turn,
// stopping at the first error.
func (c *conn) simpleQuery(sql string) {
	c.closePortals(func(p *portal) bool { return p == c.portals[""] })
	delete(c.stmts, "")
	parts, implicitOK, err := c.splitQuery(sql)
	if err != nil {
		c.sendError(err)
		return
	}
	// Several statements outside a transaction run in an implicit one.
	var implicit ImplicitTransactor
	if it, ok := c.sess.(ImplicitTransactor); ok && len(parts) > 1 && implicitOK && c.sess.TxStatus() == 'I' {
		if it.BeginImplicit(c.ctx) == nil {
			implicit = it
		}
	}
	ran := false
	for _, q := range parts {
		if q == "" {
			continue
		}
		ran = true
		ctx, cancel := context.WithCancel(c.ctx)
		err := c.track(cancel, func() error { return c.runSimple(ctx, q) })
		cancel()
		if err != nil {
			if implicit != nil {
				implicit.EndImplicit(c.ctx, false)
			}
			c.sendError(err)
			return
		}
		if c.werr != nil {
			if implicit != nil {
				implicit.EndImplicit(c.ctx, false)
			}
			return
		}
	}
	if implicit != nil {
		if err := implicit.EndImplicit(c.ctx, true); err != nil {
			c.sendError(err)
			return
		}
	}
	if !ran {
		c.send(&pgproto3.EmptyQueryResponse{})
	}
}

func (c *conn) runSimple(ctx context.Context, q string) error {
	var stmt Statement
	var err error
	if sp, ok := c.sess.(SimplePreparer); ok {
		stmt, err = sp.PrepareSimple(ctx, q)
	} else {
		stmt, err = c.sess.Prepare(ctx, q, nil)
	}
	if err != nil {
		return err
	}
	if tag, ok, err := c.runCopy(ctx, stmt, &sqltypes.Bound{}); ok {
		if err != nil {
			return err
		}
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return nil
	}
	rows, err := stmt.Execute(ctx, &sqltypes.Bound{})
	if err != nil {
		return err
	}
	defer rows.Close()
	// The stream's own columns: a forwarded shard result describes itself.
	fields := rows.Fields()
	if fields == nil {
		fields = stmt.Fields()
	}
	if fields != nil {
		c.send(rowDescription(fields, nil))
	}
	if _, err := c.streamRows(ctx, rows, fields, nil, 0); err != nil {
		return err
	}
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(rows.Tag())})
	return nil
}
func rowDescription(fields []sqltypes.Field, formats []int16) *pgproto3.RowDescription {
	rd := &pgproto3.RowDescription{Fields: make([]pgproto3.FieldDescription, len(fields))}
	for i, f := range fields {
		var format int16
		if i < len(formats) {
			format = formats[i]
		}
		rd.Fields[i] = pgproto3.FieldDescription{
			Name:                 []byte(f.Name),
			TableOID:             f.TableOID,
			TableAttributeNumber: f.TableAttrNum,
			DataTypeOID:          f.OID,
			DataTypeSize:         f.TypeSize,
			TypeModifier:         f.TypeMod,
			Format:               format,
		}
	}
	return rd
}

// streamRows sends up to max rows (0: all) as DataRows, converting the
// columns whose format is binary. suspended is true when it stopped at max.
func (c *conn) streamRows(ctx context.Context, rows sqltypes.Rows, fields []sqltypes.Field, formats []int16, max int) (suspended bool, err error) {
	binaryCols := slices.Contains(formats, binaryFormat)
	if _, ok := rows.(sqltypes.Encoded); ok {
		binaryCols = false // already in the client's formats
	}
	for n := 0; max <= 0 || n < max; n++ {
		row, err := rows.Next(ctx)
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		values := [][]byte(row)
		if binaryCols {
			if values, err = c.binaryRow(row, fields, formats); err != nil {
				return false, err
			}
		}
		c.send(&pgproto3.DataRow{Values: values})
		for _, v := range values {
			c.outBytes += len(v) + 4
		}
		if c.outBytes >= flushThreshold {
			c.flush()
			if c.werr != nil {
				return false, c.werr
			}
		}
	}
	return true, nil
}
func (c *conn) binaryRow(row sqltypes.Row, fields []sqltypes.Field, formats []int16) ([][]byte, error) {
	if len(row) != len(fields) {
		return nil, sqltypes.Errorf(sqltypes.InternalError, "row has %d values for %d columns", len(row), len(fields))
	}
	c.scratch = slices.Grow(c.scratch[:0], len(row))[:len(row)]
	for i, v := range row {
		if v == nil || formats[i] == textFormat {
			c.scratch[i] = v
			continue
		}
		b, err := encodeBinary(c.tmap, fields[i].OID, v, nil)
		if err != nil {
			return nil, err
		}
		c.scratch[i] = b
	}
	return c.scratch, nil
}

// splitQuery asks the session for the statements of a query string.
func (c *conn) splitQuery(sql string) ([]string, bool, error) {
	if sp, ok := c.sess.(QuerySplitter); ok {
		return sp.SplitQuery(sql)
	}
	if strings.TrimSpace(sql) == "" {
		return nil, false, nil
	}
	return []string{sql}, false, nil
}
