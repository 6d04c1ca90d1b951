package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/dotdo/vitess/gatetest"
)

// TestLiteralsRouteAsStored: the gate reports PostgreSQL 15, which reads
// E'\v' as v (PostgreSQL 16 made it a vertical tab). A row inserted with
// E'k\v1' into a table sharded by that text must be found by 'kv1': the gate
// routes by the value the shard stores.
func TestLiteralsRouteAsStored(t *testing.T) {
	for _, engine := range gatetest.Engines {
		t.Run(engine, func(t *testing.T) {
			g := gatetest.StartEngine(t, engine, 4, "")
			c := g.Connect(t)
			ctx := context.Background()
			gatetest.MustExec(t, c, `CREATE TABLE tags (name text PRIMARY KEY, n int)`)
			for i := 1; i <= 8; i++ {
				gatetest.MustExec(t, c, fmt.Sprintf(`INSERT INTO tags (name, n) VALUES (E'k\v%d', %d)`, i, i))
			}
			for i := 1; i <= 8; i++ {
				var n int
				if err := c.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM tags WHERE name = 'kv%d'`, i)).Scan(&n); err != nil || n != 1 {
					t.Errorf("name = 'kv%d': count %d, err %v; want 1", i, n, err)
				}
			}
			var total int
			if err := c.QueryRow(ctx, `SELECT count(*) FROM tags WHERE name LIKE 'kv%'`).Scan(&total); err != nil || total != 8 {
				t.Errorf("scatter count %d, err %v; want 8", total, err)
			}
			if _, err := c.Exec(ctx, `SELECT 0x1F FROM tags`); err == nil {
				t.Errorf("0x1F: PostgreSQL 15 refuses it (trailing junk), the gate answered")
			}
		})
	}
}
