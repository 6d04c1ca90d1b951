package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestSimpleLiteralsBound: a simple-protocol point query on Postgres shards
// runs there as its normalized text with the literals bound as parameters
// (the shard's backend shows the $n text), and answers as PostgreSQL does:
// the same values and column types as a reference database, positional
// ORDER BY / GROUP BY kept as positions (those run as the client's text).
func TestSimpleLiteralsBound(t *testing.T) {
	g := gatetest.StartEngine(t, "postgres", 2, "keyspaces: {main: {tables: {users: {vindex: {type: hash, columns: [tenant_id]}}}}}")
	_, refURL := pgtest.Shared(t).CreateDB(t)
	ref := gatetest.ConnectURL(t, refURL)
	gw := g.Connect(t, pgx.QueryExecModeSimpleProtocol)
	ctx := context.Background()
	for _, c := range []*pgx.Conn{gw, ref} {
		gatetest.MustExec(t, c, `CREATE TABLE users (tenant_id int NOT NULL, id int NOT NULL, name text, score numeric, born date, PRIMARY KEY (tenant_id, id))`)
		gatetest.MustExec(t, c, `INSERT INTO users VALUES (1, 1, 'carol', 2.5, '1990-01-02'), (1, 2, 'alice', 10, '1985-05-06'), (1, 3, 'bob', NULL, NULL), (2, 1, 'dave', 1, '2000-01-01')`)
	}
	for _, q := range []string{
		`SELECT id, name FROM users WHERE tenant_id = 1 AND id = 2`,
		`SELECT id, score * 2, score + 1.25, id + 2147483640, id * 3000000000 FROM users WHERE tenant_id = 1 ORDER BY id`,
		`SELECT name FROM users WHERE tenant_id = 1 AND born > '1988-01-01'`,
		`SELECT name, born + 1 FROM users WHERE tenant_id = 1 AND name IN ('alice', 'bob', 'zed') ORDER BY name`,
		`SELECT id, name FROM users WHERE tenant_id = 1 ORDER BY 2`,
		`SELECT id, name FROM users WHERE tenant_id = 1 ORDER BY 2 DESC, 1`,
		`SELECT name IS NULL, count(*) FROM users WHERE tenant_id = 1 GROUP BY 1 ORDER BY 1`,
		`SELECT DISTINCT ON (1) score IS NULL, name FROM users WHERE tenant_id = 1 ORDER BY 1, 2`,
		`SELECT name FROM users WHERE tenant_id = 1 ORDER BY id LIMIT 2 OFFSET 1`,
		`SELECT 'tag', name FROM users WHERE tenant_id = 1 AND id = 1`,
		`SELECT name FROM users WHERE tenant_id = 1 AND name LIKE 'a%'`,
		`SELECT id FROM users WHERE tenant_id = 1 AND score > 2.4 ORDER BY id`,
	} {
		wf, want, werr := gatetest.QueryText(ctx, ref, q)
		gf, got, gerr := gatetest.QueryText(ctx, gw, q)
		if werr != nil || gerr != nil {
			t.Errorf("%s: reference %v, gate %v", q, werr, gerr)
			continue
		}
		if d := gatetest.CompareResults(true, wf, want, gf, got); d != "" {
			t.Errorf("%s: %s", q, d)
		}
	}
	// Errors on bound literals are PostgreSQL's errors.
	for q, code := range map[string]string{
		`SELECT name FROM users WHERE tenant_id = 1 AND id = 'x'`:          "22P02",
		`SELECT id + 2147483647 FROM users WHERE tenant_id = 1 AND id = 2`: "22003",
	} {
		if _, _, err := gatetest.QueryText(ctx, gw, q); gatetest.SQLState(err) != code {
			t.Errorf("%s: %v, want %s", q, err, code)
		}
	}

	// A point query on the second shard ran there as the normalized text
	// (statements are described on the first shard only).
	tenant := 0
	for id := 1; id < 50 && tenant == 0; id++ {
		var plan string
		rows, err := gw.Query(ctx, fmt.Sprintf(`EXPLAIN (ROUTE) SELECT name FROM users WHERE tenant_id = %d AND id = 1`, id))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			plan += line
		}
		if strings.Contains(plan, "shards=80-") {
			tenant = id
		}
	}
	if tenant == 0 {
		t.Fatal("no tenant on the second shard")
	}
	// Inside a transaction, so that the backend that ran it is the one
	// idle in it (a describe leaves its backend idle).
	point := fmt.Sprintf(`SELECT name FROM users WHERE tenant_id = %d AND id = 1`, tenant)
	gatetest.MustExec(t, gw, point)
	gatetest.MustExec(t, gw, `BEGIN`)
	gatetest.MustExec(t, gw, point)
	if n := shardCount(t, g.Cfg.Keyspaces["main"].Shards["80-"], `SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query = 'SELECT name FROM users WHERE tenant_id = $1 AND id = $2'`); n != 1 {
		t.Errorf("%d backends of the second shard ran the normalized point query, want 1", n)
	}
	gatetest.MustExec(t, gw, `ROLLBACK`)
}
