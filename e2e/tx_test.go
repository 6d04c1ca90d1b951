package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// setupAccounts creates accounts 1..n with 1000 each and returns two ids
// that live on different shards.
func setupAccounts(t *testing.T, c *pgx.Conn, n int) (int, int) {
	t.Helper()
	gatetest.MustExec(t, c, `CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)`)
	// One row a statement: each is a single-shard write (the crash test's
	// failpoint fires at the first multi-shard commit).
	for i := 1; i <= n; i++ {
		gatetest.MustExec(t, c, `INSERT INTO accounts VALUES ($1, 1000)`, i)
	}
	first := shardOfAccount(t, c, 1)
	for id := 2; id <= n; id++ {
		if shardOfAccount(t, c, id) != first {
			return 1, id
		}
	}
	t.Fatal("all accounts on one shard")
	return 0, 0
}

// shardOfAccount is the shard EXPLAIN (ROUTE) names for an account id.
func shardOfAccount(t *testing.T, c *pgx.Conn, id int) string {
	t.Helper()
	var plan string
	rows, err := c.Query(context.Background(), fmt.Sprintf(`EXPLAIN (ROUTE) SELECT * FROM accounts WHERE id = %d`, id), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		if i := strings.Index(line, "shards="); i >= 0 && plan == "" {
			plan = strings.Fields(line[i:])[0]
		}
	}
	if rows.Err() != nil || plan == "" {
		t.Fatalf("no shard for %d: %v", id, rows.Err())
	}
	return plan
}

func balances(t *testing.T, c *pgx.Conn, ids ...int) []int64 {
	t.Helper()
	out := make([]int64, len(ids))
	for i, id := range ids {
		if err := c.QueryRow(context.Background(), `SELECT balance FROM accounts WHERE id = $1`, id).Scan(&out[i]); err != nil {
			t.Fatalf("balance %d: %v", id, err)
		}
	}
	return out
}

// beginTransfer opens a transaction on c that moves 100 from account a to
// account b; the caller ends it.
func beginTransfer(t *testing.T, c *pgx.Conn, a, b int) {
	t.Helper()
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance - 100 WHERE id = $1`, a)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 100 WHERE id = $1`, b)
}

// transfer moves amount from account from to account to inside tx.
func transfer(ctx context.Context, tx pgx.Tx, from, to, amount int) error {
	if _, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance - $1 WHERE id = $2`, amount, from); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE accounts SET balance = balance + $1 WHERE id = $2`, amount, to)
	return err
}

// TestTransactions: multi-shard commit and rollback, an error inside a
// transaction, savepoints across shards, READ ONLY, isolation levels and
// pgx.BeginTxFunc, on every engine.
func TestTransactions(t *testing.T) { gatetest.ForEachEngine(t, testTransactions) }

func testTransactions(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "")
	c := g.Connect(t)
	ctx := context.Background()
	a, b := setupAccounts(t, c, 20)

	// Both or neither.
	beginTransfer(t, c, a, b)
	gatetest.MustExec(t, c, `COMMIT`)
	if got := balances(t, c, a, b); got[0] != 900 || got[1] != 1100 {
		t.Fatalf("after commit: %v", got)
	}
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = 0 WHERE id IN ($1, $2)`, a, b)
	gatetest.MustExec(t, c, `ROLLBACK`)
	if got := balances(t, c, a, b); got[0] != 900 || got[1] != 1100 {
		t.Fatalf("after rollback: %v", got)
	}

	// An error inside the transaction: everything is refused until its
	// end, and COMMIT rolls back.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = 1 WHERE id = $1`, a)
	if _, err := c.Exec(ctx, `SELECT 1/0`); gatetest.SQLState(err) != "22012" {
		t.Fatalf("1/0: %v", err)
	}
	if _, err := c.Exec(ctx, `UPDATE accounts SET balance = 2 WHERE id = $1`, b); gatetest.SQLState(err) != "25P02" {
		t.Fatalf("in a failed transaction: %v", err)
	}
	if tag, err := c.Exec(ctx, `COMMIT`); err != nil || tag.String() != "ROLLBACK" {
		t.Fatalf("COMMIT of a failed transaction: %q %v", tag, err)
	}
	if got := balances(t, c, a, b); got[0] != 900 || got[1] != 1100 {
		t.Fatalf("after failed transaction: %v", got)
	}

	// Savepoints: the shard that joins after the savepoint is rolled back
	// to it too; ROLLBACK TO recovers from an error.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 1 WHERE id = $1`, a)
	gatetest.MustExec(t, c, `SAVEPOINT s1`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 1000 WHERE id = $1`, b)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 1000 WHERE id = $1`, a)
	gatetest.MustExec(t, c, `ROLLBACK TO SAVEPOINT s1`)
	gatetest.MustExec(t, c, `SAVEPOINT s2`)
	if _, err := c.Exec(ctx, `UPDATE accounts SET balance = balance / 0 WHERE id = $1`, b); err == nil {
		t.Fatal("division by zero passed")
	}
	gatetest.MustExec(t, c, `ROLLBACK TO s2`)
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 2 WHERE id = $1`, b)
	gatetest.MustExec(t, c, `RELEASE s2`)
	if _, err := c.Exec(ctx, `ROLLBACK TO s2`); gatetest.SQLState(err) != "3B001" {
		t.Fatalf("released savepoint: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK TO s1`) // recovers, and undoes the +2
	gatetest.MustExec(t, c, `UPDATE accounts SET balance = balance + 3 WHERE id = $1`, b)
	gatetest.MustExec(t, c, `COMMIT`)
	if got := balances(t, c, a, b); got[0] != 901 || got[1] != 1103 {
		t.Fatalf("after savepoints: %v", got)
	}
	if _, err := c.Exec(ctx, `SAVEPOINT x`); gatetest.SQLState(err) != "25P01" {
		t.Fatalf("savepoint outside a transaction: %v", err)
	}

	// READ ONLY refuses writes with 25006, by BEGIN and by SET TRANSACTION.
	for _, begin := range []string{`BEGIN READ ONLY`, `BEGIN; SET TRANSACTION READ ONLY`, `START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`} {
		for _, s := range strings.Split(begin, "; ") {
			gatetest.MustExec(t, c, s)
		}
		balances(t, c, a)
		if _, err := c.Exec(ctx, `UPDATE accounts SET balance = 0 WHERE id = $1`, a); gatetest.SQLState(err) != "25006" {
			t.Errorf("%s: write: %v", begin, err)
		}
		gatetest.MustExec(t, c, `ROLLBACK`)
	}

	// Isolation levels reach Postgres shards.
	if engine == "postgres" {
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
		if err != nil {
			t.Fatal(err)
		}
		var lvl string
		if err := tx.QueryRow(ctx, `SELECT current_setting('transaction_isolation') FROM accounts WHERE id = $1`, a).Scan(&lvl); err != nil || lvl != "repeatable read" {
			t.Errorf("isolation %q %v", lvl, err)
		}
		tx.Rollback(ctx)

		// SET LOCAL reaches the shards already in the transaction and
		// those that join later, and ends with it.
		gatetest.MustExec(t, c, `BEGIN`)
		balances(t, c, a)
		gatetest.MustExec(t, c, `SET LOCAL application_name = 'in_tx'`)
		for _, id := range []int{a, b} {
			var name string
			if err := c.QueryRow(ctx, `SELECT current_setting('application_name') FROM accounts WHERE id = $1`, id).Scan(&name); err != nil || name != "in_tx" {
				t.Errorf("SET LOCAL on the shard of %d: %q %v", id, name, err)
			}
		}
		gatetest.MustExec(t, c, `COMMIT`)
		var name string
		if err := c.QueryRow(ctx, `SELECT current_setting('application_name') FROM accounts WHERE id = $1`, b).Scan(&name); err != nil || name == "in_tx" {
			t.Errorf("SET LOCAL after COMMIT: %q %v", name, err)
		}
	}

	// pgx.BeginTxFunc, serializable.
	err := pgx.BeginTxFunc(ctx, c, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(tx pgx.Tx) error {
		return transfer(ctx, tx, a, b, 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := balances(t, c, a, b); got[0] != 900 || got[1] != 1104 {
		t.Fatalf("after BeginTxFunc: %v", got)
	}
	var total int64
	if err := c.QueryRow(ctx, `SELECT sum(balance) FROM accounts`).Scan(&total); err != nil || total != 20*1000+4 {
		t.Fatalf("total %d %v", total, err)
	}
	noPreparedLeft(t, g)
}

// noPreparedLeft checks that no prepared transaction is left on the
// gate's Postgres shards.
func noPreparedLeft(t *testing.T, g *gatetest.Gate) {
	t.Helper()
	if n := preparedOn(t, g.Cfg.Keyspaces["main"].Shards); n != 0 {
		t.Errorf("%d prepared transactions left on the shards", n)
	}
}

// preparedOn counts the prepared transactions on the Postgres shards among
// the shard URLs.
func preparedOn(t *testing.T, urls map[string]string) int {
	t.Helper()
	total := 0
	for _, url := range urls {
		total += shardCount(t, url, `SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database()`)
	}
	return total
}

// shardCount runs a count query directly on the shard at url when it is a
// PostgreSQL one (0 for a SQLite shard, which has no catalogs to ask).
func shardCount(t *testing.T, url, query string) int {
	t.Helper()
	if !strings.HasPrefix(url, "postgres") {
		return 0
	}
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatalf("%s on %s: %v", query, url, err)
	}
	return n
}

// TestBankInvariant: clients move money between accounts on different
// shards at once; a scatter SUM during and after the run always sees the
// same total.
func TestBankInvariant(t *testing.T) { gatetest.ForEachEngine(t, testBankInvariant) }

func testBankInvariant(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "")
	setup := g.Connect(t)
	const accounts, clients = 10, 4
	setupAccounts(t, setup, accounts)
	const total = accounts * 1000
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var moves, retries atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients+1)
	for i := 0; i < clients; i++ {
		c := g.Connect(t)
		// Cross-shard lock waits can deadlock across two Postgres
		// servers, which neither detects: a lock timeout breaks them.
		if engine != "sqlite" {
			gatetest.MustExec(t, c, `SET lock_timeout = '200ms'`)
		}
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(seed))
			for ctx.Err() == nil {
				from, to := 1+rnd.Intn(accounts), 1+rnd.Intn(accounts)
				if from == to {
					continue
				}
				amount := 1 + rnd.Intn(50)
				err := pgx.BeginTxFunc(context.Background(), c, pgx.TxOptions{}, func(tx pgx.Tx) error {
					return transfer(context.Background(), tx, from, to, amount)
				})
				switch code := gatetest.SQLState(err); {
				case err == nil:
					moves.Add(1)
				case code == "40001" || code == "40P01" || code == "55P03" || strings.Contains(err.Error(), "lock timeout") || code == "57014":
					retries.Add(1) // a conflict: the transfer did not happen
				default:
					errs <- err
					return
				}
			}
		}(int64(i))
	}
	checker := g.Connect(t)
	checks := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			var sum int64
			if err := checker.QueryRow(context.Background(), `SELECT sum(balance) FROM accounts`).Scan(&sum); err != nil {
				errs <- err
				return
			}
			if sum != total {
				errs <- fmt.Errorf("total %d during the run, want %d", sum, total)
				return
			}
			checks++
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var sum int64
	if err := setup.QueryRow(context.Background(), `SELECT sum(balance) FROM accounts`).Scan(&sum); err != nil || sum != total {
		t.Fatalf("total after the run %d %v", sum, err)
	}
	if moves.Load() < 20 || checks < 5 {
		t.Errorf("too little happened: %d transfers, %d checks", moves.Load(), checks)
	}
	t.Logf("%s: %d transfers, %d conflicts retried, %d scatter checks", engine, moves.Load(), retries.Load(), checks)
	noPreparedLeft(t, g)
}

// TestAutocommitMultiShardWrite: outside a transaction a statement that
// writes to several shards commits on all of them or on none.
func TestAutocommitMultiShardWrite(t *testing.T) {
	gatetest.ForEachEngine(t, testAutocommitMultiShardWrite)
}

func testAutocommitMultiShardWrite(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "")
	c := g.Connect(t)
	ctx := context.Background()
	a, b := setupAccounts(t, c, 20)
	// A new id on the other shard than b, and b again: one shard fails.
	var newID int
	for id := 21; id < 200 && newID == 0; id++ {
		if shardOfAccount(t, c, id) != shardOfAccount(t, c, b) {
			newID = id
		}
	}
	if newID == 0 {
		t.Fatal("no id on another shard")
	}
	_, err := c.Exec(ctx, `INSERT INTO accounts VALUES ($1, 5), ($2, 5)`, newID, b)
	if gatetest.SQLState(err) != "23505" {
		t.Fatalf("duplicate insert: %v", err)
	}
	var n int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE id = $1`, newID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the other shard kept its row: %d %v", n, err)
	}
	// A scatter UPDATE with RETURNING commits everywhere and returns every row.
	if got, rows := countResult(t, c, `UPDATE accounts SET balance = balance + 1 RETURNING id`); rows.Err() != nil || got != 20 || rows.CommandTag().String() != "UPDATE 20" {
		t.Fatalf("scatter update: %d rows, %q, %v", got, rows.CommandTag(), rows.Err())
	}
	if bal := balances(t, c, a, b); bal[0] != 1001 || bal[1] != 1001 {
		t.Fatalf("after scatter update: %v", bal)
	}
	noPreparedLeft(t, g)
}

// TestTransactionLimits: maxTransactions refuses the BEGIN that would
// exceed it (53400) instead of queueing, and
// idle_in_transaction_session_timeout ends the session and rolls back its
// transaction on every shard.
func TestTransactionLimits(t *testing.T) { gatetest.ForEachEngine(t, testTransactionLimits) }

func testTransactionLimits(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 2, "keyspaces:\n  main:\n    maxTransactions: 1\n")
	c1, c2 := g.Connect(t), g.Connect(t)
	ctx := context.Background()
	a, b := setupAccounts(t, c1, 20)
	gatetest.MustExec(t, c1, `BEGIN`)
	gatetest.MustExec(t, c1, `UPDATE accounts SET balance = 0 WHERE id = $1`, a)
	gatetest.MustExec(t, c2, `BEGIN`)
	_, err := c2.Exec(ctx, `UPDATE accounts SET balance = 0 WHERE id = $1`, a)
	if gatetest.SQLState(err) != "53400" || !strings.Contains(err.Error(), "maxTransactions 1") {
		t.Fatalf("second transaction on the shard: %v", err)
	}
	gatetest.MustExec(t, c2, `ROLLBACK`)
	// The other shard still has room.
	gatetest.MustExec(t, c2, `BEGIN`)
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = 7 WHERE id = $1`, b)
	gatetest.MustExec(t, c2, `ROLLBACK`)
	gatetest.MustExec(t, c1, `ROLLBACK`)
	gatetest.MustExec(t, c2, `BEGIN`)
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = 5 WHERE id = $1`, a)
	gatetest.MustExec(t, c2, `COMMIT`)

	c3 := g.Connect(t)
	gatetest.MustExec(t, c3, `SET idle_in_transaction_session_timeout = '300ms'`)
	gatetest.MustExec(t, c3, `BEGIN`)
	gatetest.MustExec(t, c3, `UPDATE accounts SET balance = 0 WHERE id IN ($1, $2)`, a, b)
	time.Sleep(time.Second)
	if _, err := c3.Exec(ctx, `COMMIT`); err == nil {
		t.Fatal("COMMIT after the idle-in-transaction timeout succeeded")
	}
	if bal := balances(t, c1, a, b); bal[0] != 5 || bal[1] != 1000 {
		t.Fatalf("after the timeout: %v", bal)
	}
	// The timed-out transaction's shards are free again.
	gatetest.MustExec(t, c1, `BEGIN`)
	gatetest.MustExec(t, c1, `UPDATE accounts SET balance = 6 WHERE id IN ($1, $2)`, a, b)
	gatetest.MustExec(t, c1, `COMMIT`)
}

// TestConflictCodes: serialization failures and deadlocks on a Postgres
// shard reach the client with their SQLSTATE, so that it can retry.
func TestConflictCodes(t *testing.T) {
	g := gatetest.StartEngine(t, "postgres", 2, "")
	c1, c2 := g.Connect(t), g.Connect(t)
	ctx := context.Background()
	x, _ := setupAccounts(t, c1, 20)
	y := 0
	for id := 1; id <= 20; id++ {
		if id != x && shardOfAccount(t, c1, id) == shardOfAccount(t, c1, x) {
			y = id
			break
		}
	}
	gatetest.MustExec(t, c1, `BEGIN ISOLATION LEVEL REPEATABLE READ`)
	balances(t, c1, x)
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = balance + 1 WHERE id = $1`, x)
	if _, err := c1.Exec(ctx, `UPDATE accounts SET balance = balance + 1 WHERE id = $1`, x); gatetest.SQLState(err) != "40001" {
		t.Errorf("serialization failure: %v", err)
	}
	gatetest.MustExec(t, c1, `ROLLBACK`)

	gatetest.MustExec(t, c1, `BEGIN`)
	gatetest.MustExec(t, c2, `BEGIN`)
	gatetest.MustExec(t, c1, `UPDATE accounts SET balance = 1 WHERE id = $1`, x)
	gatetest.MustExec(t, c2, `UPDATE accounts SET balance = 2 WHERE id = $1`, y)
	errs := make(chan error, 1)
	go func() {
		_, err := c1.Exec(ctx, `UPDATE accounts SET balance = 1 WHERE id = $1`, y)
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond)
	_, err2 := c2.Exec(ctx, `UPDATE accounts SET balance = 2 WHERE id = $1`, x)
	err1 := <-errs
	if gatetest.SQLState(err1) != "40P01" && gatetest.SQLState(err2) != "40P01" {
		t.Errorf("deadlock: %v / %v", err1, err2)
	}
	gatetest.MustExec(t, c1, `ROLLBACK`)
	gatetest.MustExec(t, c2, `ROLLBACK`)
}

// TestSharedMetadata: two gates share a Postgres metadata store: the
// sequence blocks they hand out never overlap, and multi-shard
// transactions through both keep the bank's total.
func TestSharedMetadata(t *testing.T) {
	_, metaURL := pgtest.Shared(t).CreateDB(t)
	o := gatetest.EngineOptions(t, "postgres", 2, fmt.Sprintf(`metadata: %q
keyspaces:
  main:
    tables:
      accounts: {vindex: {type: hash, columns: [id]}}
      notes: {vindex: {type: hash, columns: [id]}, autoIncrement: {column: id, sequence: notes_seq}}
`, metaURL))
	g1 := gatetest.StartOptions(t, o)
	g2 := gatetest.StartOptions(t, o)
	c1, c2 := g1.Connect(t), g2.Connect(t)
	ctx := context.Background()
	a, b := setupAccounts(t, c1, 10)
	gatetest.MustExec(t, c1, `CREATE TABLE notes (id bigint PRIMARY KEY, body text)`)
	seen := map[int64]bool{}
	for i := 0; i < 20; i++ {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		var id int64
		if err := c.QueryRow(ctx, `INSERT INTO notes (body) VALUES ('x') RETURNING id`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("id %d handed out twice", id)
		}
		seen[id] = true
	}
	for i := 0; i < 10; i++ {
		for _, c := range []*pgx.Conn{c1, c2} {
			err := pgx.BeginTxFunc(ctx, c, pgx.TxOptions{}, func(tx pgx.Tx) error {
				return transfer(ctx, tx, a, b, 3)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := balances(t, c2, a, b); got[0] != 1000-60 || got[1] != 1000+60 {
		t.Fatalf("balances %v", got)
	}
	noPreparedLeft(t, g1)
}
