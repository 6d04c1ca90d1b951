package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
	Lookups  []DMLLookup
	Command  string // UPDATE or DELETE
}

// DMLLookup is one lookup vindex a statement maintains.
type DMLLookup struct {
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
		return nil, sqltypes.Errorf(sqltypes.SerializationFailure, "could not serialize access: %s of %s changed %d rows, but %d matched when its lookup vindexes were updated (a concurrent write); retry the transaction", d.Command, d.Table.Name, n, len(old))
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

// Inputs is the operator it reads.
func (d *LookupDML) Inputs() []Operator { return []Operator{d.Write} }

// MayWriteSeveralShards: see ShardWriter.
func (d *LookupDML) MayWriteSeveralShards() bool {
	return true
}
