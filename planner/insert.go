package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

func (b *builder) insertPlan(n *pg_query.Node) (*engine.Plan, error) {
	ins := n.GetInsertStmt()
	name := ins.Relation.Relname
	t, ok := b.ks.Table(name)
	if !ok {
		if b.ks.Sharded {
			return nil, sqltypes.Errorf(sqltypes.UndefinedTable, "relation \"%s\" does not exist", name)
		}
		return b.passthrough("unsharded", engine.Unsharded)
	}
	if ins.WithClause != nil {
		return nil, unsupported("WITH ... INSERT on table %s", name)
	}
	sel := ins.SelectStmt.GetSelectStmt()
	isValues := sel != nil && len(sel.ValuesLists) > 0
	if !isValues {
		if t.Type == router.Sharded {
			return nil, unsupported("INSERT ... SELECT or DEFAULT VALUES into sharded table %s (use INSERT ... VALUES)", name)
		}
		if t.Type == router.Unsharded {
			return b.passthrough("unsharded", engine.Unsharded)
		}
	}
	if err := refuseOnConflict(ins, t); err != nil {
		return nil, err
	}
	stmt := proto.Clone(ins).(*pg_query.InsertStmt)
	cols, err := b.insertColumns(stmt, sel, isValues)
	if err != nil {
		return nil, err
	}
	op := &engine.InsertSplit{Keyspace: b.ks, Shards: b.shards, Table: t, SQL: b.sql, VCol: -1, SeqCol: -1, Seq: b.p.Seq}
	if isValues {
		op.Rows = len(sel.ValuesLists)
		for _, row := range sel.ValuesLists {
			if len(row.GetList().Items) != len(cols) {
				return nil, sqltypes.Errorf(sqltypes.SyntaxError, "INSERT has more expressions than target columns")
			}
		}
	}
	if t.AutoIncrement != nil && isValues {
		cols = addSequenceColumn(op, stmt, cols)
	}
	if t.Type == router.Sharded {
		if err := b.routeInsert(op, name, cols); err != nil {
			return nil, err
		}
	}
	op.Stmt = stmt
	if op.SeqAdded {
		// The client's text lacks the column; describe and send the rewritten form.
		s, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_InsertStmt{InsertStmt: stmt}})
		if err != nil {
			return nil, err
		}
		op.SQL = s
	}
	params, fields, err := b.describe(b.sql)
	if err != nil {
		return nil, err
	}
	op.Fields = fields
	typ := "insert"
	if t.Type == router.Reference {
		typ = "insert_reference"
	}
	return &engine.Plan{Type: typ, Root: op, Fields: fields, ParamOIDs: params, SQL: b.sql}, nil
}

// refuseOnConflict refuses the ON CONFLICT forms the gate cannot keep
// consistent across shards and lookup tables.
func refuseOnConflict(ins *pg_query.InsertStmt, t *router.Table) error {
	name := ins.Relation.Relname
	if ins.OnConflictClause != nil && len(t.Lookups) > 0 {
		return unsupported("INSERT ... ON CONFLICT into %s, which has lookup vindexes (the gate could not tell which rows it inserted)", name)
	}
	if ins.OnConflictClause != nil && t.Type == router.Sharded {
		for _, tgt := range ins.OnConflictClause.TargetList {
			if rt := tgt.GetResTarget(); rt != nil && rt.Name == t.VindexColumn() {
				return unsupported("ON CONFLICT DO UPDATE of vindex column %s.%s", name, rt.Name)
			}
		}
	}
	return nil
}

// insertColumns returns the INSERT's target columns; a VALUES insert that
// names none gets the table's leading columns written into stmt.
func (b *builder) insertColumns(stmt *pg_query.InsertStmt, sel *pg_query.SelectStmt, isValues bool) ([]string, error) {
	var cols []string
	for _, c := range stmt.Cols {
		cols = append(cols, c.GetResTarget().Name)
	}
	if len(cols) == 0 && isValues {
		_, fields, err := b.describe(fmt.Sprintf("SELECT * FROM %s", sqltypes.QuoteIdent(stmt.Relation.Relname)))
		if err != nil {
			return nil, err
		}
		for i, f := range fields {
			if i < len(sel.ValuesLists[0].GetList().Items) {
				cols = append(cols, f.Name)
				stmt.Cols = append(stmt.Cols, pg_query.MakeResTargetNodeWithName(f.Name, -1))
			}
		}
	}
	return cols, nil
}

// addSequenceColumn points op at the auto-increment column, adding it with
// DEFAULT in every row when the INSERT leaves it out.
func addSequenceColumn(op *engine.InsertSplit, stmt *pg_query.InsertStmt, cols []string) []string {
	column := op.Table.AutoIncrement.Column
	idx := indexOf(cols, column)
	if idx < 0 {
		stmt.Cols = append(stmt.Cols, pg_query.MakeResTargetNodeWithName(column, -1))
		cols = append(cols, column)
		idx = len(cols) - 1
		vals := stmt.SelectStmt.GetSelectStmt().ValuesLists
		for _, row := range vals {
			l := row.GetList()
			l.Items = append(l.Items, &pg_query.Node{Node: &pg_query.Node_SetToDefault{SetToDefault: &pg_query.SetToDefault{}}})
		}
		op.SeqAdded = true
	}
	op.SeqCol = idx
	return cols
}

// routeInsert finds the vindex column and the lookup vindex columns of an
// INSERT into a sharded table.
func (b *builder) routeInsert(op *engine.InsertSplit, name string, cols []string) error {
	t := op.Table
	op.VCol = indexOf(cols, t.VindexColumn())
	if op.VCol < 0 {
		return sqltypes.Errorf(sqltypes.NotNullViolation, "INSERT into sharded table %s must set its vindex column %s", name, t.VindexColumn())
	}
	var err error
	if op.VColType, err = b.colType(name, t.VindexColumn()); err != nil {
		return err
	}
	for _, l := range t.Lookups {
		il := engine.InsertLookup{Col: indexOf(cols, l.Column)}
		if il.Col < 0 {
			if err := b.checkLeftOut(name, l); err != nil {
				return err
			}
			continue // the column is NULL, which is never looked up
		}
		if il.LT, err = b.lookupTable(l); err != nil {
			return err
		}
		if il.ColType, err = b.colType(name, l.Column); err != nil {
			return err
		}
		op.Lookups = append(op.Lookups, il)
	}
	return nil
}

// checkLeftOut refuses an INSERT that leaves out a lookup vindex column
// the shard would fill itself (a DEFAULT other than NULL, a generated
// column): the gate would not know the value, and the row would be missing
// from the lookup table.
func (b *builder) checkLeftOut(table string, l *router.Lookup) error {
	cd, ok := b.firstShard().(engine.ColumnDefaulter)
	if !ok {
		return nil
	}
	def, err := cd.ColumnDefault(b.ctx, table, l.Column)
	if err != nil {
		return err
	}
	if def != "" {
		return unsupported("INSERT into %s that leaves out lookup vindex column %s, which has DEFAULT %s (the gate would not know its value; name the column in the INSERT)", table, l.Column, def)
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
