package planner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// LookupDML runs an UPDATE or DELETE of a table with lookup vindexes. It
// reads (and on Postgres locks) the rows the statement will change, moves
// their lookup entries, and runs the statement on the same shards, all in
// the session's transaction. If the statement then changes another number
// of rows than were read (a row inserted meanwhile), it fails with 40001
// and the transaction rolls back: the lookup tables never disagree with
// the rows.
type LookupDML struct {
	Read     *Route // SELECT vindex column, lookup columns ... FOR UPDATE
	ReadArgs []int  // the statement's parameter behind each $n of Read
	Write    *Route // the statement itself
	Table    *router.Table
	VColType uint32
	Lookups  []dmlLookup
	Command  string // UPDATE or DELETE
}

// dmlLookup is one lookup vindex a statement maintains.
type dmlLookup struct {
	LT      *LookupTable
	ColType uint32
	New     *Value // UPDATE: the column's new value; nil for DELETE
}

// Open runs the read, the lookup changes and the statement.
func (d *LookupDML) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	targets, err := d.Write.TargetsIn(ctx, env, args)
	if err != nil {
		return nil, err
	}
	readArgs := make([]any, len(d.ReadArgs))
	for i, j := range d.ReadArgs {
		readArgs[i] = args[j]
	}
	old, _, err := readAllOn(ctx, env, d.Read, readArgs, targets)
	if err != nil {
		return nil, err
	}
	for _, row := range old {
		if row[0] == nil {
			continue // a row without a vindex value cannot exist; nothing to move
		}
		cv, err := CoerceFor(d.Table, string(row[0]), d.VColType)
		if err != nil {
			return nil, err
		}
		ksid, err := d.Table.Vindex.Map(cv)
		if err != nil {
			return nil, fmt.Errorf("table %s: vindex %s: %w", d.Table.Name, d.Table.VindexType, err)
		}
		for j, l := range d.Lookups {
			if v := row[1+j]; v != nil {
				text, err := LookupText(string(v), l.ColType)
				if err != nil {
					return nil, err
				}
				if err := l.LT.Remove(ctx, env, text, ksid); err != nil {
					return nil, err
				}
			}
			if l.New == nil {
				continue
			}
			if nv := l.New.eval(args); nv != nil {
				text, err := LookupText(nv, l.ColType)
				if err != nil {
					return nil, err
				}
				if err := l.LT.Add(ctx, env, text, ksid); err != nil {
					return nil, err
				}
			}
		}
	}
	out, tags, err := readAllOn(ctx, env, d.Write, args, targets)
	if err != nil {
		return nil, err
	}
	tag := d.Write.EmptyTag
	if len(tags) > 0 {
		tag = SumTags(tags)
	}
	if n := tagCount(tag); n != int64(len(old)) {
		return nil, sqltypes.Errorf("40001", "could not serialize access: %s of %s changed %d rows, but %d matched when its lookup vindexes were updated (a concurrent write); retry the transaction", d.Command, d.Table.Name, n, len(old))
	}
	return &sqltypes.Buffered{Cols: d.Write.Fields, Data: out, Command: tag}, nil
}

// readAllOn runs r on targets and returns every shard's rows, in target
// order, and each shard's command tag.
func readAllOn(ctx context.Context, env Env, r *Route, args []any, targets []string) ([]sqltypes.Row, []string, error) {
	streams, err := r.openOn(ctx, env, args, targets)
	if err != nil {
		return nil, nil, err
	}
	each, tags, err := readEach(ctx, streams)
	if err != nil {
		return nil, nil, err
	}
	var rows []sqltypes.Row
	for _, rs := range each {
		rows = append(rows, rs...)
	}
	return rows, tags, nil
}

// tagCount is the row count at the end of a command tag ("UPDATE 3").
func tagCount(tag string) int64 {
	i := strings.LastIndexByte(tag, ' ')
	n, err := strconv.ParseInt(tag[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// Explain shows the read, the lookups and the statement.
func (d *LookupDML) Explain() *ExplainNode {
	var names []string
	for _, l := range d.Lookups {
		names = append(names, l.LT.L.Name+"("+l.LT.L.Column+")->"+l.LT.L.Keyspace+"."+l.LT.L.Table)
	}
	return &ExplainNode{Op: "LookupMaintain", Props: []string{"table=" + d.Table.Name, "lookups=" + strings.Join(names, ",")},
		Children: []*ExplainNode{d.Read.Explain(), d.Write.Explain()}}
}

// maintainLookups wraps an UPDATE or DELETE route of a table with lookup
// vindexes in a LookupDML when the statement changes looked-up values.
func (b *builder) maintainLookups(pl *Plan, n *pg_query.Node, t *router.Table, r *Route) (*Plan, error) {
	if len(t.Lookups) == 0 || t.Type != router.Sharded {
		return pl, nil
	}
	var rel *pg_query.RangeVar
	var where *pg_query.Node
	d := &LookupDML{Write: r, Table: t}
	add := func(l *router.Lookup, newValue *Value) error {
		lt, err := b.lookupTable(l)
		if err != nil {
			return err
		}
		colType, err := b.colType(t.Name, l.Column)
		if err != nil {
			return err
		}
		d.Lookups = append(d.Lookups, dmlLookup{LT: lt, ColType: colType, New: newValue})
		return nil
	}
	if u := n.GetUpdateStmt(); u != nil {
		rel, where, d.Command = u.Relation, u.WhereClause, "UPDATE"
		for _, tgt := range u.TargetList {
			rt := tgt.GetResTarget()
			for _, l := range t.Lookups {
				if rt.Name != l.Column {
					continue
				}
				if len(rt.Indirection) > 0 || rt.Val.GetMultiAssignRef() != nil {
					return nil, unsupported("UPDATE of lookup vindex column %s.%s in a multiple-column or subscripted assignment", t.Name, l.Column)
				}
				v, ok := routeValue(rt.Val)
				if !ok {
					return nil, unsupported("UPDATE of lookup vindex column %s.%s: the new value must be a constant or a parameter", t.Name, l.Column)
				}
				if err := add(l, &v); err != nil {
					return nil, err
				}
			}
		}
		if len(d.Lookups) == 0 {
			return pl, nil
		}
		if len(u.FromClause) > 0 {
			return nil, unsupported("UPDATE ... FROM of table %s, which has lookup vindexes", t.Name)
		}
	} else {
		del := n.GetDeleteStmt()
		rel, where, d.Command = del.Relation, del.WhereClause, "DELETE"
		if len(del.UsingClause) > 0 {
			return nil, unsupported("DELETE ... USING of table %s, which has lookup vindexes", t.Name)
		}
		for _, l := range t.Lookups {
			if err := add(l, nil); err != nil {
				return nil, err
			}
		}
	}
	if where != nil && hasCurrentOf(where) {
		return nil, unsupported("WHERE CURRENT OF on table %s, which has lookup vindexes", t.Name)
	}
	var err error
	if d.VColType, err = b.colType(t.Name, t.VindexColumn()); err != nil {
		return nil, err
	}
	// The read: the vindex column and the old lookup values of the rows
	// the statement's WHERE picks.
	qual := rvAlias(rel)
	sel := &pg_query.SelectStmt{
		FromClause:    []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: proto.Clone(rel).(*pg_query.RangeVar)}}},
		LockingClause: []*pg_query.Node{{Node: &pg_query.Node_LockingClause{LockingClause: &pg_query.LockingClause{Strength: pg_query.LockClauseStrength_LCS_FORUPDATE, WaitPolicy: pg_query.LockWaitPolicy_LockWaitBlock}}}},
	}
	cols := []string{t.VindexColumn()}
	for _, l := range d.Lookups {
		cols = append(cols, l.LT.L.Column)
	}
	for _, c := range cols {
		sel.TargetList = append(sel.TargetList, pg_query.MakeResTargetNodeWithVal(pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(qual), pg_query.MakeStrNode(c)}, -1), -1))
	}
	if where != nil {
		sel.WhereClause = proto.Clone(where).(*pg_query.Node)
	}
	d.ReadArgs = renumberAll(sel)
	sql, err := deparseStmt(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}})
	if err != nil {
		return nil, err
	}
	read := *r
	read.SQL, read.Passthrough, read.Direct, read.Fields, read.EmptyTag = sql, false, false, nil, "SELECT 0"
	d.Read = &read
	pl.Root = d
	pl.Type += "_lookup"
	return pl, nil
}

// renumberAll rewrites the $n of stmt as $1..$k in the order they are met
// and returns, for each new number, the 0-based index of the argument it
// takes.
func renumberAll(stmt proto.Message) []int {
	renum := map[int32]int32{}
	var out []int
	walk(stmt, func(m proto.Message) bool {
		p, ok := m.(*pg_query.ParamRef)
		if !ok || p.Number < 1 {
			return true
		}
		n, seen := renum[p.Number]
		if !seen {
			out = append(out, int(p.Number)-1)
			n = int32(len(out))
			renum[p.Number] = n
		}
		p.Number = n
		return true
	})
	return out
}

func hasCurrentOf(n *pg_query.Node) bool {
	found := false
	walk(n, func(m proto.Message) bool {
		if _, ok := m.(*pg_query.CurrentOfExpr); ok {
			found = true
		}
		return !found
	})
	return found
}
