package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/sqltypes"
)

// textOrderer is a shard that knows how its database orders text.
type textOrderer interface {
	TextOrder(ctx context.Context) (bytewise bool, collation string, err error)
}

// textOrder is a keyspace's text ordering, once read from its shards.
type textOrder struct {
	bytewise  bool
	collation string // one that is not bytewise
}

// textBytewise reports whether every shard of the keyspace orders text
// byte by byte, as the gate compares text when it merges, sorts or merges
// min/max; otherwise it names a collation that does not.
func (b *builder) textBytewise() (bool, string, error) {
	b.p.mu.Lock()
	o, ok := b.p.textOrders[b.ks.Name]
	b.p.mu.Unlock()
	if ok {
		return o.bytewise, o.collation, nil
	}
	o = textOrder{bytewise: true}
	for _, name := range b.ks.Shards {
		to, ok := b.shards[name].(textOrderer)
		if !ok {
			continue
		}
		bw, coll, err := to.TextOrder(b.ctx)
		if err != nil {
			return false, "", err
		}
		if !bw {
			o = textOrder{collation: coll}
			break
		}
	}
	b.p.mu.Lock()
	b.p.textOrders[b.ks.Name] = o
	b.p.mu.Unlock()
	return o.bytewise, o.collation, nil
}

// isCollatable reports the types whose order depends on a collation.
func isCollatable(oid uint32) bool {
	switch oid {
	case sqltypes.OIDText, sqltypes.OIDVarchar, sqltypes.OIDBPChar, sqltypes.OIDUnknown:
		return true
	}
	return false
}

// gateTextOrder refuses an ordering of text values at the gate (merge,
// sort, min/max) unless the shards order text as the gate does: bytewise,
// and no COLLATE clause in the statement.
func (b *builder) gateTextOrder(stmt proto.Message, oid uint32, what string) error {
	if !isCollatable(oid) {
		return nil
	}
	if hasCollate(stmt) {
		return unsupported("%s of text with a COLLATE clause across shards: the gate compares text in byte (C) order", what)
	}
	bw, coll, err := b.textBytewise()
	if err != nil {
		return err
	}
	if !bw {
		return unsupported("%s of text across shards whose collation is %s: the gate compares text in byte (C) order", what, coll)
	}
	return nil
}

func hasCollate(m proto.Message) bool {
	return containsNode(m, func(x proto.Message) bool {
		_, ok := x.(*pg_query.CollateClause)
		return ok
	})
}

// bytewiseGroups makes the shards sort text group keys bytewise (COLLATE
// "C") when their own order is not, so that the gate's merge of the sorted
// streams meets each group once. Equal keys are equal in both orders.
func (b *builder) bytewiseGroups(pushed *pg_query.SelectStmt, sql string, keys []sqltypes.Field) (string, error) {
	need := false
	for _, f := range keys {
		if isCollatable(f.OID) {
			need = true
		}
	}
	if !need {
		return sql, nil
	}
	bw, _, err := b.textBytewise()
	if err != nil || (bw && !hasCollate(pushed)) {
		return sql, err
	}
	for i, f := range keys {
		if !isCollatable(f.OID) {
			continue
		}
		key := pushed.TargetList[i].GetResTarget().Val
		pushed.SortClause[i] = pg_query.MakeSortByNode(&pg_query.Node{Node: &pg_query.Node_CollateClause{CollateClause: &pg_query.CollateClause{
			Arg: key, Collname: []*pg_query.Node{pg_query.MakeStrNode("C")}, Location: -1,
		}}}, pg_query.SortByDir_SORTBY_ASC, pg_query.SortByNulls_SORTBY_NULLS_LAST, -1)
	}
	return pgast.Deparse(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: pushed}})
}
