package proxy

import (
	"context"
	"slices"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgproto3"
)

// parse handles Parse: plan the statement and keep it under its name.
func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return sqltypes.Errorf(sqltypes.DuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
		}
	}
	parts, _, err := c.splitQuery(m.Query)
	if err != nil {
		return err
	}
	n := 0
	for _, q := range parts {
		if q != "" {
			n++
		}
	}
	p := &prepared{}
	switch {
	case n > 1:
		return sqltypes.Errorf(sqltypes.SyntaxError, "cannot insert multiple commands into a prepared statement")
	case n == 1:
		ctx, cancel := context.WithCancel(c.ctx)
		err := c.track(cancel, func() error {
			stmt, err := c.sess.Prepare(ctx, m.Query, m.ParameterOIDs)
			p.stmt = stmt
			return err
		})
		cancel()
		if err != nil {
			return err
		}
		p.paramOIDs = p.stmt.ParamOIDs()
		p.fields = p.stmt.Fields()
	}
	c.stmts[m.Name] = p
	c.send(&pgproto3.ParseComplete{})
	return nil
}

// bind handles Bind: decode the parameters and create the portal.
func (c *conn) bind(m *pgproto3.Bind) error {
	p, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return sqltypes.Errorf(sqltypes.InvalidSQLStatementName, "prepared statement %q does not exist", m.PreparedStatement)
	}
	if m.DestinationPortal == "" {
		c.closePortals(func(pt *portal) bool { return pt == c.portals[""] })
	} else if _, dup := c.portals[m.DestinationPortal]; dup {
		return sqltypes.Errorf(sqltypes.DuplicateCursor, "cursor %q already exists", m.DestinationPortal)
	}
	if len(m.Parameters) != len(p.paramOIDs) {
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(p.paramOIDs))
	}
	pformats, err := formatCodes(m.ParameterFormatCodes, len(p.paramOIDs), "parameter")
	if err != nil {
		return err
	}
	args := make([]any, len(m.Parameters))
	for i, v := range m.Parameters {
		if args[i], err = decodeParam(c.tmap, p.paramOIDs[i], pformats[i], v, i+1); err != nil {
			return err
		}
	}
	rformats, err := formatCodes(m.ResultFormatCodes, len(p.fields), "result")
	if err != nil {
		return err
	}
	for i, f := range rformats {
		if f == binaryFormat && !supportsBinary(p.fields[i].OID) {
			return errNoBinary(p.fields[i].OID)
		}
	}
	c.portals[m.DestinationPortal] = &portal{prep: p, formats: rformats,
		bound: &sqltypes.Bound{Args: args, Raw: m.Parameters, ParamOIDs: p.paramOIDs, ParamFormats: pformats, ResultFormats: rformats}}
	c.send(&pgproto3.BindComplete{})
	return nil
}

// describe handles Describe of a statement or a portal.
func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		p, ok := c.stmts[m.Name]
		if !ok {
			return sqltypes.Errorf(sqltypes.InvalidSQLStatementName, "prepared statement %q does not exist", m.Name)
		}
		c.send(&pgproto3.ParameterDescription{ParameterOIDs: slices.Clone(p.paramOIDs)})
		c.describeFields(p.fields, nil)
	case 'P':
		pt, ok := c.portals[m.Name]
		if !ok {
			return sqltypes.Errorf(sqltypes.InvalidCursorName, "portal %q does not exist", m.Name)
		}
		c.describeFields(pt.prep.fields, pt.formats)
	default:
		return sqltypes.Errorf(sqltypes.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}
func (c *conn) describeFields(fields []sqltypes.Field, formats []int16) {
	if fields == nil {
		c.send(&pgproto3.NoData{})
		return
	}
	c.send(rowDescription(fields, formats))
}

// execute handles Execute: run the portal (or continue a suspended one) and
// send up to MaxRows rows.
func (c *conn) execute(m *pgproto3.Execute) error {
	pt, ok := c.portals[m.Portal]
	if !ok {
		return sqltypes.Errorf(sqltypes.InvalidCursorName, "portal %q does not exist", m.Portal)
	}
	if pt.prep.stmt == nil {
		c.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if pt.done {
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(pt.tag)})
		return nil
	}
	if pt.ctx == nil {
		pt.ctx, pt.cancel = context.WithCancel(c.ctx)
	}
	var suspended, copied bool
	err := c.track(pt.cancel, func() error {
		if pt.rows == nil {
			tag, ok, err := c.runCopy(pt.ctx, pt.prep.stmt, pt.bound)
			if ok {
				pt.tag, copied = tag, true
				return err
			}
			rows, err := pt.prep.stmt.Execute(pt.ctx, pt.bound)
			if err != nil {
				return err
			}
			pt.rows = rows
		}
		var err error
		suspended, err = c.streamRows(pt.ctx, pt.rows, pt.prep.fields, pt.formats, int(m.MaxRows))
		return err
	})
	if err != nil {
		pt.closeRows()
		pt.done = true
		return err
	}
	if suspended {
		c.send(&pgproto3.PortalSuspended{})
		return nil
	}
	if copied {
		pt.closeRows()
		pt.done = true
		c.send(&pgproto3.CommandComplete{CommandTag: []byte(pt.tag)})
		return nil
	}
	pt.tag = pt.rows.Tag()
	pt.closeRows()
	pt.done = true
	c.send(&pgproto3.CommandComplete{CommandTag: []byte(pt.tag)})
	return nil
}
func (pt *portal) closeRows() {
	if pt.rows != nil {
		pt.rows.Close()
		pt.rows = nil
	}
	if pt.cancel != nil {
		pt.cancel()
	}
}

// closeObject handles Close of a statement (and its portals) or a portal.
func (c *conn) closeObject(m *pgproto3.Close) {
	switch m.ObjectType {
	case 'S':
		if p, ok := c.stmts[m.Name]; ok {
			delete(c.stmts, m.Name)
			c.closePortals(func(pt *portal) bool { return pt.prep == p })
		}
	case 'P':
		if pt, ok := c.portals[m.Name]; ok {
			pt.closeRows()
			delete(c.portals, m.Name)
		}
	}
	c.send(&pgproto3.CloseComplete{})
}

// closePortals closes and forgets the portals that match.
func (c *conn) closePortals(match func(*portal) bool) {
	for name, pt := range c.portals {
		if pt != nil && match(pt) {
			pt.closeRows()
			delete(c.portals, name)
		}
	}
}
