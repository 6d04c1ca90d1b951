package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/shards"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
)

// TestSwitchEngine moves a running shard from its SQLite file to a
// Postgres server: the switch waits for an open transaction, copies the
// rows with nothing else running, and clients keep their connections and
// see every row, now served by Postgres.
func TestSwitchEngine(t *testing.T) {
	g := gatetest.StartEngine(t, "sqlite", 2, "")
	c1, c2 := g.Connect(t), g.Connect(t)
	ctx := context.Background()
	a, _ := setupAccounts(t, c1, 20)
	shard := shardOfAccount(t, c1, a)
	var tablet *shards.Tablet
	for _, tb := range g.Tablets() {
		if strings.Contains(shard, "="+tb.Name()) {
			tablet = tb
		}
	}
	if tablet == nil {
		t.Fatalf("no tablet for %q", shard)
	}
	next, pc := postgresTarget(t, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)`)

	gatetest.MustExec(t, c2, `BEGIN`)
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = balance + 5 WHERE id = $1`, a)
	copied := 0
	done := make(chan error, 1)
	go func() {
		done <- tablet.SwitchEngine(ctx, next, func(ctx context.Context, old, next shards.Engine) error {
			n, err := copyRowsTo(ctx, old, next, `SELECT id, balance FROM accounts`, `INSERT INTO accounts VALUES ($1::text::bigint, $2::text::bigint)`)
			copied = n
			return err
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("switched with a transaction open: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	gatetest.MustExec(t, c2, `COMMIT`)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the switch did not finish")
	}
	if tablet.Kind() != "postgres" || copied == 0 {
		t.Fatalf("engine %s, %d rows copied", tablet.Kind(), copied)
	}
	var total int64
	if err := c1.QueryRow(ctx, `SELECT sum(balance) FROM accounts`).Scan(&total); err != nil || total != 20*1000+5 {
		t.Fatalf("total through the same client after the switch: %d %v", total, err)
	}
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = balance + 1 WHERE id = $1`, a)
	var direct int64
	if err := pc.QueryRow(ctx, `SELECT balance FROM accounts WHERE id = $1`, a).Scan(&direct); err != nil || direct != 1006 {
		t.Fatalf("row on the Postgres server: %d %v", direct, err)
	}
}

// TestSwitchEngineUnderLoad: clients insert rows while a shard switches
// from SQLite to Postgres; every insert that succeeded is there afterwards.
func TestSwitchEngineUnderLoad(t *testing.T) {
	g := gatetest.StartEngine(t, "sqlite", 2, "")
	setup := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, setup, `CREATE TABLE events (id bigint PRIMARY KEY, writer int NOT NULL)`)
	tablet := g.Tablets()[0]
	next, pc := postgresTarget(t, `CREATE TABLE events (id bigint PRIMARY KEY, writer int NOT NULL)`)
	stop := make(chan struct{})
	results := make(chan int, 4)
	for w := 0; w < 4; w++ {
		c := g.Connect(t)
		go func() {
			ok := 0
			for i := 0; ; i++ {
				select {
				case <-stop:
					results <- ok
					return
				default:
				}
				if _, err := c.Exec(ctx, `INSERT INTO events VALUES ($1, $2)`, int64(w*1000000+i), w); err == nil {
					ok++
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	err := tablet.SwitchEngine(ctx, next, func(ctx context.Context, old, next shards.Engine) error {
		_, err := copyRowsTo(ctx, old, next, `SELECT id, writer FROM events`, `INSERT INTO events VALUES ($1::text::bigint, $2::text::int)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	inserted := 0
	for w := 0; w < 4; w++ {
		inserted += <-results
	}
	var n int64
	if err := setup.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&n); err != nil || n != int64(inserted) {
		t.Fatalf("%d rows after the switch, %d inserts succeeded (%v)", n, inserted, err)
	}
	var onPG int64
	if err := pc.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&onPG); err != nil || onPG == 0 || onPG >= n {
		t.Fatalf("rows on the switched shard's Postgres: %d of %d (%v)", onPG, n, err)
	}
	t.Logf("%d inserts, %d on the shard that moved to Postgres", inserted, onPG)
}

// postgresTarget is a new database of the shared test PostgreSQL with the
// table ddl creates, opened as the shard engine a switch moves to, and a
// direct connection to it to check what arrived.
func postgresTarget(t *testing.T, ddl string) (shards.Engine, *pgx.Conn) {
	t.Helper()
	_, url := pgtest.Shared(t).CreateDB(t)
	pc := gatetest.ConnectURL(t, url)
	gatetest.MustExec(t, pc, ddl)
	next, err := shards.OpenEngine(context.Background(), url, shards.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return next, pc
}

// copyRowsTo copies the rows of query on old into next with insert (its
// parameters are the row's values as text) and returns how many.
func copyRowsTo(ctx context.Context, old, next shards.Engine, query, insert string) (int, error) {
	r, err := old.Query(ctx, query, nil)
	if err != nil {
		return 0, err
	}
	rows, err := sqltypes.ReadAll(ctx, r)
	if err != nil {
		return 0, err
	}
	for i, row := range rows {
		args := make([]any, len(row))
		for j, v := range row {
			args[j] = string(v)
		}
		w, err := next.Query(ctx, insert, args)
		if err != nil {
			return i, err
		}
		w.Close()
	}
	return len(rows), nil
}
