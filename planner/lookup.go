package planner

import (
	"fmt"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/router"
)

func (b *builder) lookupTable(l *router.Lookup) (*engine.LookupTable, error) {
	ks, ok := b.p.VSchema.Keyspaces[l.Keyspace]
	if !ok {
		return nil, fmt.Errorf("lookup vindex %s: no keyspace %s", l.Name, l.Keyspace)
	}
	lt := &engine.LookupTable{L: l, Ks: ks}
	if ks.Sharded {
		t, ok := ks.Table(l.Table)
		if !ok {
			return nil, fmt.Errorf("lookup vindex %s: keyspace %s has no table %s", l.Name, l.Keyspace, l.Table)
		}
		lt.T = t
	}
	return lt, nil
}

// applyChoice gives a route the vindex predicate that narrows it.
func (b *builder) applyChoice(r *engine.Route, ch vindexChoice) error {
	if ch.ref == nil {
		return nil
	}
	r.Table, r.Values, r.Lows, r.Highs = ch.ref.table, ch.vals, ch.lows, ch.highs
	var err error
	if r.ColType, err = b.colType(ch.ref.table.Name, ch.col); err != nil {
		return err
	}
	if ch.lookup != nil {
		if r.Lookup, err = b.lookupTable(ch.lookup); err != nil {
			return err
		}
	}
	return nil
}
