package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// fetchIDs runs a FETCH and returns the ids it gave and its tag.
func fetchIDs(t *testing.T, c *pgx.Conn, sql string) ([]int64, string) {
	t.Helper()
	rows, err := c.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var ids []int64
	for rows.Next() {
		vals, err := rows.Values() // the id is the first column
		if err != nil {
			t.Fatal(err)
		}
		id, ok := vals[0].(int64)
		if !ok {
			t.Fatalf("%s: first column %T", sql, vals[0])
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil {
		t.Fatalf("%s: %v", sql, rows.Err())
	}
	return ids, rows.CommandTag().String()
}

// TestCursors: DECLARE / FETCH / MOVE / CLOSE over scatter, single-shard
// and aggregate queries, WITH HOLD across COMMIT, and psql's FETCH_COUNT
// (which reads through a cursor), on every engine.
func TestCursors(t *testing.T) { gatetest.ForEachEngine(t, testCursors) }

func testCursors(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "")
	c := g.Connect(t)
	ctx := context.Background()
	a, _ := setupAccounts(t, c, 20)
	want := func(from, to int64) string {
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, strconv.FormatInt(i, 10))
		}
		return strings.Join(s, ",")
	}
	str := func(ids []int64) string {
		var s []string
		for _, id := range ids {
			s = append(s, strconv.FormatInt(id, 10))
		}
		return strings.Join(s, ",")
	}

	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `DECLARE c CURSOR FOR SELECT id, balance FROM accounts ORDER BY id`)
	for _, step := range []struct{ sql, ids, tag string }{
		{`FETCH 5 FROM c`, want(1, 5), "FETCH 5"},
		{`FETCH FORWARD 3 FROM c`, want(6, 8), "FETCH 3"},
		{`MOVE 2 IN c`, "", "MOVE 2"},
		{`FETCH NEXT FROM c`, want(11, 11), "FETCH 1"},
		{`FETCH ALL FROM c`, want(12, 20), "FETCH 9"},
		{`FETCH 1 FROM c`, "", "FETCH 0"},
	} {
		var ids []int64
		var tag string
		if strings.HasPrefix(step.sql, "MOVE") {
			ct, err := c.Exec(ctx, step.sql)
			if err != nil {
				t.Fatal(err)
			}
			tag = ct.String()
		} else {
			ids, tag = fetchIDs(t, c, step.sql)
		}
		if str(ids) != step.ids || tag != step.tag {
			t.Errorf("%s: %s %q, want %s %q", step.sql, str(ids), tag, step.ids, step.tag)
		}
	}
	if _, err := c.Exec(ctx, `FETCH BACKWARD 1 FROM c`); gatetest.SQLState(err) != "55000" {
		t.Errorf("backward fetch: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)

	// Single-shard and aggregate cursors; CLOSE; the cursor dies with its
	// transaction.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, fmt.Sprintf(`DECLARE one CURSOR FOR SELECT id FROM accounts WHERE id = %d`, a))
	gatetest.MustExec(t, c, `DECLARE agg CURSOR FOR SELECT count(*) FROM accounts`)
	if ids, tag := fetchIDs(t, c, `FETCH ALL FROM one`); str(ids) != strconv.Itoa(a) || tag != "FETCH 1" {
		t.Errorf("single-shard cursor: %v %q", ids, tag)
	}
	if ids, _ := fetchIDs(t, c, `FETCH ALL FROM agg`); str(ids) != "20" {
		t.Errorf("aggregate cursor: %v", ids)
	}
	gatetest.MustExec(t, c, `CLOSE one`)
	if _, err := c.Exec(ctx, `FETCH 1 FROM one`); gatetest.SQLState(err) != "34000" {
		t.Errorf("closed cursor: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	gatetest.MustExec(t, c, `BEGIN`)
	if _, err := c.Exec(ctx, `FETCH 1 FROM agg`); gatetest.SQLState(err) != "34000" {
		t.Errorf("cursor of a rolled back transaction: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	if _, err := c.Exec(ctx, `DECLARE x CURSOR FOR SELECT 1`); gatetest.SQLState(err) != "25P01" {
		t.Errorf("DECLARE outside a transaction: %v", err)
	}

	// WITH HOLD outlives COMMIT.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `DECLARE h CURSOR WITH HOLD FOR SELECT id FROM accounts ORDER BY id DESC`)
	if ids, _ := fetchIDs(t, c, `FETCH 2 FROM h`); str(ids) != "20,19" {
		t.Errorf("hold cursor before commit: %v", ids)
	}
	gatetest.MustExec(t, c, `COMMIT`)
	if ids, _ := fetchIDs(t, c, `FETCH 3 FROM h`); str(ids) != "18,17,16" {
		t.Errorf("hold cursor after commit: %v", ids)
	}
	gatetest.MustExec(t, c, `CLOSE ALL`)

	// psql with FETCH_COUNT reads results through a cursor.
	if gatetest.HaveTool(t, "psql") {
		out, err := g.Psql(ctx, "app", "main", "-At", "-v", "FETCH_COUNT=3", "-c", "SELECT id FROM accounts ORDER BY id").CombinedOutput()
		if err != nil || strings.Join(strings.Fields(string(out)), ",") != want(1, 20) {
			t.Errorf("psql FETCH_COUNT: %v\n%s", err, out)
		}
	}
}
