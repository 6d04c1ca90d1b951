package planner

import (
	"context"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// clearLookups adds the lookup tables of the named tables to the broadcast.
func (b *builder) clearLookups(d *engine.Broadcast, names []string) error {
	for _, name := range names {
		t, ok := b.ks.Table(name)
		if !ok {
			continue
		}
		for _, l := range t.Lookups {
			lt, err := b.lookupTable(l)
			if err != nil {
				return err
			}
			d.Clear = append(d.Clear, lt)
		}
	}
	return nil
}

func (b *builder) ddlPlan(n *pg_query.Node) (*engine.Plan, error) {
	r := b.route(engine.AllShards, b.sql)
	if !b.ks.Sharded {
		r.Opcode = engine.Unsharded
	}
	d := &engine.Broadcast{Route: r, Tag: ddlTag(n)}
	vs, ks, p := b.p.VSchema, b.ks, b.p
	switch {
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		name := cs.Relation.Relname
		if cs.Relation.Relpersistence == "t" {
			return nil, unsupported("CREATE TEMP TABLE through the gate")
		}
		existing, declared := ks.Table(name)
		reg, err := registration(cs, existing, declared, ks)
		if err != nil {
			return nil, err
		}
		d.After = func(ctx context.Context) error {
			p.SchemaChanged()
			if reg == nil {
				return nil
			}
			_, err := vs.Register(ctx, ks, *reg)
			return err
		}
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		var names []string
		if ds.RemoveType == pg_query.ObjectType_OBJECT_TABLE {
			for _, o := range ds.Objects {
				parts := pgast.Strings(o.GetList().GetItems())
				if len(parts) > 0 {
					names = append(names, parts[len(parts)-1])
				}
			}
		}
		if err := b.clearLookups(d, names); err != nil {
			return nil, err
		}
		d.After = func(ctx context.Context) error {
			p.SchemaChanged()
			for _, name := range names {
				if err := vs.Unregister(ctx, ks, name); err != nil {
					return err
				}
			}
			return nil
		}
	default:
		if ts := n.GetTruncateStmt(); ts != nil {
			var names []string
			for _, rel := range ts.Relations {
				names = append(names, rel.GetRangeVar().GetRelname())
			}
			if err := b.clearLookups(d, names); err != nil {
				return nil, err
			}
		}
		d.After = func(ctx context.Context) error { p.SchemaChanged(); return nil }
	}
	return &engine.Plan{Type: "ddl", Root: d, SQL: b.sql, SchemaChange: true}, nil
}

// registration decides how CREATE TABLE registers a table the vschema does
// not declare: sharded by hash on the first primary-key column. It also finds
// serial and identity columns, which get gate sequences.
func registration(cs *pg_query.CreateStmt, existing *router.Table, declared bool, ks *router.Keyspace) (*router.Table, error) {
	name := cs.Relation.Relname
	var pk []string
	var serial string
	colTypes := map[string]string{}
	for _, elt := range cs.TableElts {
		if cd := elt.GetColumnDef(); cd != nil {
			typ := ""
			if cd.TypeName != nil {
				parts := pgast.Strings(cd.TypeName.Names)
				if len(parts) > 0 {
					typ = parts[len(parts)-1]
				}
			}
			colTypes[cd.Colname] = typ
			if (typ == "serial" || typ == "bigserial" || typ == "smallserial" || typ == "serial4" || typ == "serial8" || typ == "serial2") && serial == "" {
				serial = cd.Colname
			}
			for _, c := range cd.Constraints {
				con := c.GetConstraint()
				if con == nil {
					continue
				}
				if con.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
					pk = append(pk, cd.Colname)
				}
				if con.Contype == pg_query.ConstrType_CONSTR_IDENTITY && serial == "" {
					serial = cd.Colname
				}
			}
		}
		if con := elt.GetConstraint(); con != nil && con.Contype == pg_query.ConstrType_CONSTR_PRIMARY {
			pk = append(pk, pgast.Strings(con.Keys)...)
		}
	}
	if declared {
		if existing.AutoIncrement == nil && serial != "" {
			t := *existing
			t.AutoIncrement = &router.AutoIncrementConfig{Column: serial, Sequence: name + "_" + serial + "_seq"}
			return &t, nil
		}
		return nil, nil
	}
	t := &router.Table{Name: name, Type: router.Unsharded}
	if ks.Sharded {
		if len(pk) == 0 {
			return nil, sqltypes.Errorf(sqltypes.InvalidTableDefinition, "table %s has no primary key and no vschema entry: add a PRIMARY KEY (the gate shards by its first column) or declare it in the config (tables: {%s: {vindex: {type: hash, columns: [col]}}} or {type: reference})", name, name)
		}
		if typ, ok := colTypes[pk[0]]; ok {
			if oid, _, known := sqltypes.ParseTypeName(typ); known {
				if _, err := engine.Coerce(int64(0), oid); err != nil && sqltypes.CategoryOf(oid) != sqltypes.CatString {
					return nil, unsupported("table %s: cannot shard by hash on primary-key column %s of type %s; use an integer, text or uuid key, or declare the table in the config", name, pk[0], typ)
				}
			}
		}
		t.Type, t.VindexType, t.Columns = router.Sharded, "hash", []string{pk[0]}
	}
	if serial != "" {
		t.AutoIncrement = &router.AutoIncrementConfig{Column: serial, Sequence: name + "_" + serial + "_seq"}
	}
	return t, nil
}

func ddlTag(n *pg_query.Node) string {
	switch {
	case n.GetCreateStmt() != nil:
		return "CREATE TABLE"
	case n.GetDropStmt() != nil:
		switch n.GetDropStmt().RemoveType {
		case pg_query.ObjectType_OBJECT_INDEX:
			return "DROP INDEX"
		case pg_query.ObjectType_OBJECT_TABLE:
			return "DROP TABLE"
		}
		return "DROP"
	case n.GetAlterTableStmt() != nil:
		return "ALTER TABLE"
	case n.GetIndexStmt() != nil:
		return "CREATE INDEX"
	case n.GetTruncateStmt() != nil:
		return "TRUNCATE TABLE"
	case n.GetRenameStmt() != nil:
		return "ALTER TABLE"
	}
	return fmt.Sprintf("%T", n.GetNode())
}
