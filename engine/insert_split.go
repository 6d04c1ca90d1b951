package engine

import (
	"context"
	"fmt"
	"math"
	"sort"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
	"google.golang.org/protobuf/proto"
)

// InsertSplit runs a multi-row INSERT: it fills sequence columns, computes
// each row's shard from its vindex column, and sends each shard its rows.
type InsertSplit struct {
	Keyspace *router.Keyspace
	Shards   map[string]Shard
	Table    *router.Table
	Stmt     *pg_query.InsertStmt // with the column list made explicit
	SQL      string               // the client's text, used when nothing changes
	Rows     int
	VCol     int    // index of the vindex column in the column list, -1 if none
	VColType uint32 // its type
	SeqCol   int    // index of the autoIncrement column, -1 if none
	SeqAdded bool   // the column was added to the list by the gate
	Seq      Sequencer
	Fields   []sqltypes.Field
	// Lookups are the table's lookup vindexes: each row's value is added
	// to their tables before the row is written, in the same transaction.
	Lookups []InsertLookup
}

// insertParts are the rows of an insert grouped by shard.
type insertParts struct {
	byShard map[string][]int // row indexes, in VALUES order; nil for a reference table
	order   []string         // shards in the order their first row appears
	ksids   [][]byte         // each row's keyspace id, when lookups need it
}

// Open runs the insert.
func (ins *InsertSplit) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	stmt, changed, err := ins.fillSequence(ctx, env, args)
	if err != nil {
		return nil, err
	}
	values := stmt.SelectStmt.GetSelectStmt().ValuesLists
	parts, err := ins.split(values, args)
	if err != nil {
		return nil, err
	}
	if len(ins.Lookups) > 0 {
		// Join the rows' shards before writing the lookup tables: UPDATE
		// and DELETE lock the rows before their lookup entries too, and
		// one order means no lock cycle between them.
		for _, shard := range parts.order {
			if _, err := env.Conn(ctx, shard); err != nil {
				return nil, err
			}
		}
		if err := ins.addLookups(ctx, env, values, parts.ksids, args); err != nil {
			return nil, err
		}
	}
	targets := parts.order
	if ins.Table.Type == router.Reference {
		targets = ins.Keyspace.Shards
		parts.byShard = nil
	}
	var tags []string
	var returned [][]sqltypes.Row
	for _, shard := range targets {
		sql, shardArgs, err := ins.shardSQL(stmt, changed, parts, shard, args)
		if err != nil {
			return nil, err
		}
		rows, tag, err := runOn(ctx, env, shard, sql, shardArgs)
		if err != nil {
			return nil, err
		}
		tags = append(tags, tag)
		returned = append(returned, rows)
	}
	if ins.Table.Type == router.Reference {
		return &sqltypes.Buffered{Cols: ins.Fields, Data: returned[0], Command: tags[0]}, nil
	}
	return &sqltypes.Buffered{Cols: ins.Fields, Data: ins.returning(targets, parts.byShard, returned), Command: SumTags(tags)}, nil
}

// fillSequence puts the next sequence values in the rows that leave the
// autoIncrement column out, NULL or DEFAULT; changed reports a new stmt.
func (ins *InsertSplit) fillSequence(ctx context.Context, env Env, args []any) (stmt *pg_query.InsertStmt, changed bool, err error) {
	stmt = ins.Stmt
	if ins.SeqCol < 0 {
		return stmt, false, nil
	}
	values := stmt.SelectStmt.GetSelectStmt().ValuesLists
	needSeq := make([]bool, ins.Rows)
	n := 0
	for i, row := range values {
		item := row.GetList().Items[ins.SeqCol]
		v, isConst := ConstValue(item)
		if item.GetSetToDefault() != nil || (isConst && v.Param == 0 && v.Lit == nil) || (isConst && v.Param > 0 && v.eval(args) == nil) {
			needSeq[i] = true
			n++
		}
	}
	if n == 0 {
		return stmt, false, nil
	}
	seqVals, err := ins.Seq.Next(ctx, ins.Table.AutoIncrement.Sequence, n)
	if err != nil {
		return nil, false, err
	}
	if r, ok := env.(InsertIDReporter); ok {
		r.ReportInsertID(seqVals[len(seqVals)-1])
	}
	stmt = proto.Clone(stmt).(*pg_query.InsertStmt)
	values = stmt.SelectStmt.GetSelectStmt().ValuesLists
	k := 0
	for i, row := range values {
		if needSeq[i] {
			row.GetList().Items[ins.SeqCol] = bigIntConst(seqVals[k])
			k++
		}
	}
	return stmt, true, nil
}

// split finds each row's shard from its vindex column.
func (ins *InsertSplit) split(values []*pg_query.Node, args []any) (*insertParts, error) {
	parts := &insertParts{byShard: map[string][]int{}, ksids: make([][]byte, len(values))}
	for i, row := range values {
		shard := ins.Keyspace.Shards[0]
		if ins.Table.Type == router.Sharded {
			var err error
			if shard, err = ins.rowShard(row, args, &parts.ksids[i]); err != nil {
				return nil, err
			}
		}
		if _, ok := parts.byShard[shard]; !ok {
			parts.order = append(parts.order, shard)
		}
		parts.byShard[shard] = append(parts.byShard[shard], i)
	}
	return parts, nil
}

// rowShard is the shard of one row of a sharded table; with lookups it
// keeps the row's keyspace id in ksid.
func (ins *InsertSplit) rowShard(row *pg_query.Node, args []any, ksid *[]byte) (string, error) {
	item := row.GetList().Items[ins.VCol]
	v, ok := RouteValue(item)
	if !ok {
		return "", sqltypes.Unsupported("INSERT into %s: the value of vindex column %s must be a constant or a parameter", ins.Table.Name, ins.Table.VindexColumn())
	}
	val := v.eval(args)
	if val == nil {
		return "", sqltypes.Errorf(sqltypes.NotNullViolation, "null value in column \"%s\" of relation \"%s\" violates not-null constraint (it is the vindex column; rows cannot be routed without it)", ins.Table.VindexColumn(), ins.Table.Name)
	}
	cv, err := CoerceFor(ins.Table, val, ins.VColType)
	if err != nil {
		return "", err
	}
	if len(ins.Lookups) == 0 {
		return ins.Keyspace.ShardForValue(ins.Table, cv)
	}
	if *ksid, err = ins.Table.Vindex.Map(cv); err != nil {
		return "", fmt.Errorf("table %s: vindex %s: %w", ins.Table.Name, ins.Table.VindexType, err)
	}
	return ins.Keyspace.ShardFor(*ksid)
}

// shardSQL is the statement a shard runs: the whole insert when it goes
// to one shard (or every shard), else the shard's rows alone.
func (ins *InsertSplit) shardSQL(stmt *pg_query.InsertStmt, changed bool, parts *insertParts, shard string, args []any) (string, []any, error) {
	if parts.byShard == nil || len(parts.order) == 1 {
		if !changed {
			return ins.SQL, args, nil
		}
		sql, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_InsertStmt{InsertStmt: stmt}})
		return sql, args, err
	}
	s := proto.Clone(stmt).(*pg_query.InsertStmt)
	sel := s.SelectStmt.GetSelectStmt()
	var rows []*pg_query.Node
	for _, i := range parts.byShard[shard] {
		rows = append(rows, sel.ValuesLists[i])
	}
	sel.ValuesLists = rows
	// A shard's part may not use every $n; Postgres cannot type the
	// ones it does not see, so the part gets its own $1..$k.
	shardArgs := renumberParams(s, args)
	sql, err := pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_InsertStmt{InsertStmt: s}})
	return sql, shardArgs, err
}

// runOn runs sql on a shard's connection and reads all its rows.
func runOn(ctx context.Context, env Env, shard, sql string, args []any) ([]sqltypes.Row, string, error) {
	conn, err := env.Conn(ctx, shard)
	if err != nil {
		return nil, "", err
	}
	r, err := conn.Query(ctx, sql, args)
	if err != nil {
		return nil, "", err
	}
	rows, err := sqltypes.ReadAll(ctx, r)
	if err != nil {
		return nil, "", err
	}
	return rows, r.Tag(), nil
}

// returning gives RETURNING rows back in VALUES order when every row came
// back, else shard by shard.
func (ins *InsertSplit) returning(targets []string, byShard map[string][]int, returned [][]sqltypes.Row) []sqltypes.Row {
	var out []sqltypes.Row
	inOrder := ins.Fields != nil
	for i, shard := range targets {
		if len(returned[i]) != len(byShard[shard]) {
			inOrder = false
		}
	}
	if inOrder {
		out = make([]sqltypes.Row, ins.Rows)
		for i, shard := range targets {
			for j, rowIdx := range byShard[shard] {
				out[rowIdx] = returned[i][j]
			}
		}
	} else {
		for _, rs := range returned {
			out = append(out, rs...)
		}
	}
	return out
}

// addLookups adds every row's lookup vindex values to their tables.
func (ins *InsertSplit) addLookups(ctx context.Context, env Env, values []*pg_query.Node, ksids [][]byte, args []any) error {
	for _, l := range ins.Lookups {
		for i, row := range values {
			v, ok := RouteValue(row.GetList().Items[l.Col])
			if !ok {
				return sqltypes.Unsupported("INSERT into %s: the value of lookup vindex column %s must be a constant or a parameter", ins.Table.Name, l.LT.L.Column)
			}
			val := v.eval(args)
			if val == nil {
				continue // NULL is never looked up
			}
			text, err := LookupText(val, l.ColType)
			if err != nil {
				return err
			}
			if err := l.LT.Add(ctx, env, text, ksids[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Explain prints the insert's routing.
func (ins *InsertSplit) Explain() *ExplainNode {
	props := []string{"table=" + ins.Table.Name, fmt.Sprintf("rows=%d", ins.Rows)}
	switch ins.Table.Type {
	case router.Sharded:
		props = append(props, fmt.Sprintf("vindex=%s(%s)", ins.Table.VindexType, ins.Table.VindexColumn()), "shards=by row")
	case router.Reference:
		props = append(props, "shards=all (reference)")
	default:
		props = append(props, "shards="+ins.Keyspace.Shards[0])
	}
	if ins.SeqCol >= 0 {
		props = append(props, "sequence="+ins.Table.AutoIncrement.Sequence+"("+ins.Table.AutoIncrement.Column+")")
	}
	for _, l := range ins.Lookups {
		props = append(props, "lookup="+l.LT.L.Name+"("+l.LT.L.Column+")->"+l.LT.L.Keyspace+"."+l.LT.L.Table)
	}
	props = append(props, "sql="+ins.SQL)
	return &ExplainNode{Op: "InsertSplit", Props: props}
}

// InsertLookup is a lookup vindex an INSERT maintains.
type InsertLookup struct {
	LT      *LookupTable
	Col     int // the looked-up column's index in the column list
	ColType uint32
}

// renumberParams rewrites the $n in stmt as $1..$k in the order they are
// met and returns the arguments they now take.
func renumberParams(stmt *pg_query.InsertStmt, args []any) []any {
	renum := map[int32]int32{}
	var out []any
	pgast.Walk(stmt, func(m proto.Message) bool {
		p, ok := m.(*pg_query.ParamRef)
		if !ok || p.Number < 1 || int(p.Number) > len(args) {
			return true
		}
		n, seen := renum[p.Number]
		if !seen {
			out = append(out, args[p.Number-1])
			n = int32(len(out))
			renum[p.Number] = n
		}
		p.Number = n
		return true
	})
	return out
}

func bigIntConst(v int64) *pg_query.Node {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		return pgast.IntConst(v)
	}
	return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Fval{Fval: &pg_query.Float{Fval: fmt.Sprint(v)}}}}}
}

// Targets are the shards the insert's rows go to with these arguments.
func (ins *InsertSplit) Targets(args []any) ([]string, error) {
	if ins.Table.Type != router.Sharded {
		return ins.Keyspace.Shards, nil
	}
	set := map[string]bool{}
	for _, row := range ins.Stmt.SelectStmt.GetSelectStmt().ValuesLists {
		v, ok := RouteValue(row.GetList().Items[ins.VCol])
		if !ok || ins.VCol == ins.SeqCol {
			return ins.Keyspace.Shards, nil
		}
		shard, err := shardForValue(ins.Keyspace, ins.Table, v.eval(args), ins.VColType)
		if err != nil {
			return nil, err
		}
		set[shard] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

// Inputs is empty: it talks to shards itself.
func (ins *InsertSplit) Inputs() []Operator { return nil }

// MayWriteSeveralShards: see ShardWriter.
func (ins *InsertSplit) MayWriteSeveralShards() bool {
	return len(ins.Lookups) > 0 || len(ins.Keyspace.Shards) > 1 && (ins.Rows > 1 || ins.Table.Type == router.Reference)
}
