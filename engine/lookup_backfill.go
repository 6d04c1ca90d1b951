package engine

import (
	"context"
	"fmt"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// ensure makes the table hold val at ksid (refs = n for a non-unique
// lookup) and reports whether it had to change anything.
func (lt *LookupTable) Ensure(ctx context.Context, env Env, val string, ksid []byte, n int64) (bool, error) {
	c, err := lt.conn(ctx, env, val)
	if err != nil {
		return false, err
	}
	table, col := lt.ident()
	id := router.KeyspaceIDText(ksid)
	if lt.L.Unique {
		if n > 1 {
			return false, dupValue(lt, val)
		}
		r, err := c.Query(ctx, fmt.Sprintf("SELECT keyspace_id FROM %s WHERE %s = $1", table, col), []any{val})
		if err != nil {
			return false, err
		}
		have, err := sqltypes.ReadAll(ctx, r)
		if err != nil {
			return false, err
		}
		if len(have) > 0 {
			if string(have[0][0]) != id {
				return false, dupValue(lt, val)
			}
			return false, nil
		}
		return true, lt.exec(ctx, c, fmt.Sprintf("INSERT INTO %s (%s, keyspace_id) VALUES ($1, $2)", table, col), val, ksid)
	}
	r, err := c.Query(ctx, fmt.Sprintf("SELECT refs FROM %s WHERE %s = $1 AND keyspace_id = $2", table, col), []any{val, id})
	if err != nil {
		return false, err
	}
	have, err := sqltypes.ReadAll(ctx, r)
	if err != nil {
		return false, err
	}
	if len(have) > 0 && string(have[0][0]) == fmt.Sprint(n) {
		return false, nil
	}
	r, err = c.Query(ctx, fmt.Sprintf("INSERT INTO %s (%s, keyspace_id, refs) VALUES ($1, $2, $3) ON CONFLICT (%s, keyspace_id) DO UPDATE SET refs = excluded.refs", table, col, col), []any{val, id, n})
	if err != nil {
		return false, err
	}
	r.Close()
	return true, nil
}

func dupValue(lt *LookupTable, val string) error {
	e := sqltypes.Errorf(sqltypes.UniqueViolation, "could not build unique lookup vindex %s: several rows have the value %s", lt.L.Name, val)
	e.Detail = fmt.Sprintf("Key (%s)=(%s) is duplicated.", lt.L.Column, val)
	return e
}
