package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// TestLookupMaintenance: INSERT, UPDATE and DELETE keep the lookup tables
// in step with the rows, in and out of transactions, and a unique lookup
// refuses duplicates without leaving anything behind.
func TestLookupMaintenance(t *testing.T) { gatetest.ForEachEngine(t, testLookupMaintenance) }

func testLookupMaintenance(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	ctx := context.Background()
	step := func(name string, want map[int64]userRow) {
		t.Helper()
		got := checkLookups(t, c, name)
		if want == nil {
			return
		}
		if d := diffUsers(want, got); d != "" {
			t.Errorf("%s: users (want/got): %s", name, d)
		}
	}
	u := func(email, name string) userRow {
		r := userRow{}
		if email != "" {
			r.email = strp(email)
		}
		if name != "" {
			r.name = strp(name)
		}
		return r
	}
	want := map[int64]userRow{}
	expectDup := func(sql string, args ...any) {
		t.Helper()
		_, err := c.Exec(ctx, sql, args...)
		if gatetest.SQLState(err) != "23505" {
			t.Errorf("%s %v: want 23505, got %v", sql, args, err)
		}
	}

	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann')`)
	want[1] = u("a@x", "ann")
	step("single insert", want)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (2, 'b@x', 'bob'), (3, 'c@x', 'ann'), (4, NULL, 'ann'), (5, 'e@x', NULL), (6, NULL, NULL)`)
	want[2], want[3], want[4], want[5], want[6] = u("b@x", "bob"), u("c@x", "ann"), u("", "ann"), u("e@x", ""), u("", "")
	step("multi-row insert", want)
	if ids := sameRowsViaLookup(t, c, "name", "ann"); fmt.Sprint(ids) != "[1 3 4]" {
		t.Errorf("ann: %v", ids)
	}

	// Duplicates: against an existing row, within one statement, by
	// UPDATE; nothing of the statement stays.
	expectDup(`INSERT INTO users (id, email, name) VALUES (10, 'a@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (11, 'new@x', 'dup'), (12, 'new@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (13, 'n13@x', 'dup'), (14, 'b@x', 'dup')`)
	expectDup(`INSERT INTO users (id, email, name) VALUES (15, 'n15@x', 'dup'), (1, 'n1@x', 'dup')`) // duplicate id
	expectDup(`UPDATE users SET email = 'b@x' WHERE id = 1`)
	expectDup(`UPDATE users SET email = 'same@x' WHERE name = 'ann'`) // three rows, one email
	step("refused duplicates", want)
	if ids := sameRowsViaLookup(t, c, "email", "new@x"); len(ids) != 0 {
		t.Errorf("new@x: %v", ids)
	}
	if ids := sameRowsViaLookup(t, c, "name", "dup"); len(ids) != 0 {
		t.Errorf("dup: %v", ids)
	}

	// UPDATE moves lookup rows.
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a2@x' WHERE id = 1`)
	want[1] = u("a2@x", "ann")
	step("update email by id", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a2@x' WHERE id = 1`) // to its own value
	step("update email to itself", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a@x' WHERE id = 2`) // a freed value
	want[2] = u("a@x", "bob")
	step("update email to a freed value", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = NULL WHERE name = 'ann'`)
	for _, id := range []int64{1, 3, 4} {
		want[id] = userRow{name: want[id].name}
	}
	step("update email to NULL by name", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = $1 WHERE name = $2`, "solo@x", "bob")
	want[2] = u("solo@x", "bob")
	step("update email by name (one row)", want)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'zed' WHERE name = 'ann'`)
	for _, id := range []int64{1, 3, 4} {
		want[id] = userRow{email: want[id].email, name: strp("zed")}
	}
	step("update name by name (three rows)", want)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'bob' WHERE email = 'e@x'`)
	want[5] = u("e@x", "bob")
	step("update name by email", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'f@x', name = NULL WHERE id = 5`)
	want[5] = u("f@x", "")
	step("update email and name at once", want)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'g@x' WHERE id = 6`)
	want[6] = u("g@x", "")
	step("update email from NULL", want)
	tag, err := c.Exec(ctx, `UPDATE users SET email = 'h@x' WHERE id = 999`)
	if err != nil || tag.RowsAffected() != 0 {
		t.Errorf("update of no row: %v %v", tag, err)
	}
	step("update of no row", want)
	if ids := sameRowsViaLookup(t, c, "email", "a@x"); len(ids) != 0 {
		t.Errorf("a@x after the moves: %v", ids)
	}
	if ids := sameRowsViaLookup(t, c, "email", "solo@x"); fmt.Sprint(ids) != "[2]" {
		t.Errorf("solo@x after the moves: %v", ids)
	}

	// DELETE removes them.
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (20, 'p@x', 'pat'), (21, 'q@x', 'pat'), (22, NULL, 'pat'), (23, 'r@x', 'ray')`)
	want[20], want[21], want[22], want[23] = u("p@x", "pat"), u("q@x", "pat"), u("", "pat"), u("r@x", "ray")
	step("insert for deletes", want)
	tag, err = c.Exec(ctx, `DELETE FROM users WHERE email = 'p@x'`)
	if err != nil || tag.RowsAffected() != 1 {
		t.Errorf("delete by email: %v %v", tag, err)
	}
	delete(want, 20)
	step("delete by email", want)
	tag, err = c.Exec(ctx, `DELETE FROM users WHERE name = $1`, "pat")
	if err != nil || tag.RowsAffected() != 2 {
		t.Errorf("delete by name: %v %v", tag, err)
	}
	delete(want, 21)
	delete(want, 22)
	step("delete by name", want)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE id = 23`)
	delete(want, 23)
	step("delete by id", want)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email IN ('nobody@x', 'g@x')`)
	delete(want, 6)
	step("delete by email IN", want)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (23, 'r@x', 'ray')`) // the freed email again
	want[23] = u("r@x", "ray")
	step("reinsert", want)

	// Transactions: ROLLBACK undoes the lookup changes with the rows.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (30, 't@x', 'tx'), (31, 'u@x', 'tx')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'r2@x' WHERE id = 23`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'solo@x'`)
	// The transaction sees its own lookup rows.
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 't@x'`); fmt.Sprint(ids) != "[30]" {
		t.Errorf("in the transaction, t@x: %v", ids)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE name = 'tx'`); fmt.Sprint(ids) != "[30 31]" {
		t.Errorf("in the transaction, tx: %v", ids)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 'solo@x'`); len(ids) != 0 {
		t.Errorf("in the transaction, deleted solo@x: %v", ids)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	step("rollback", want)
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (30, 't@x', 'tx'), (31, 'u@x', 'tx')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'r2@x' WHERE id = 23`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'solo@x'`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[30], want[31], want[23] = u("t@x", "tx"), u("u@x", "tx"), u("r2@x", "ray")
	delete(want, 2)
	step("commit", want)

	// An error in a transaction: the whole transaction goes.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (40, 'v@x', 'vic')`)
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (41, 'v@x', 'vic')`); gatetest.SQLState(err) != "23505" {
		t.Errorf("duplicate in a transaction: %v", err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (42, 'w@x', 'vic')`); gatetest.SQLState(err) != "25P02" {
		t.Errorf("after the error: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)
	step("failed transaction", want)

	// Savepoints.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (50, 's1@x', 'sam')`)
	gatetest.MustExec(t, c, `SAVEPOINT a`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (51, 's2@x', 'sam'), (52, 's3@x', 'sam')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 's9@x' WHERE id = 50`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE id = 30`)
	gatetest.MustExec(t, c, `ROLLBACK TO SAVEPOINT a`)
	gatetest.MustExec(t, c, `SAVEPOINT b`)
	if _, err := c.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (53, 's1@x', 'sam')`); gatetest.SQLState(err) != "23505" {
		t.Errorf("duplicate after a savepoint: %v", err)
	}
	gatetest.MustExec(t, c, `ROLLBACK TO b`)
	gatetest.MustExec(t, c, `UPDATE users SET name = 'sue' WHERE email = 's1@x'`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[50] = u("s1@x", "sue")
	step("savepoints", want)
	for _, e := range []string{"s1@x", "s2@x", "s3@x", "s9@x", "t@x"} {
		sameRowsViaLookup(t, c, "email", e)
	}
	for _, n := range []string{"sam", "sue", "tx", "zed", "bob"} {
		sameRowsViaLookup(t, c, "name", n)
	}

	// The lookup keyspace's shard joins the transaction only after the
	// savepoint; ROLLBACK TO undoes its changes there too. RELEASE keeps
	// them.
	gatetest.MustExec(t, c, `BEGIN`)
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE id = 1`); fmt.Sprint(ids) != "[1]" {
		t.Errorf("id 1: %v", ids)
	}
	gatetest.MustExec(t, c, `SAVEPOINT s`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (60, 'late@x', 'lou')`)
	gatetest.MustExec(t, c, `UPDATE users SET email = 'a9@x' WHERE id = 1`)
	gatetest.MustExec(t, c, `ROLLBACK TO SAVEPOINT s`)
	var id int64
	var email *string
	if err := c.QueryRow(ctx, `INSERT INTO users (id, name) VALUES (61, 'lou') RETURNING id, email`).Scan(&id, &email); err != nil || id != 61 || email != nil {
		t.Errorf("INSERT without the lookup column RETURNING: %d %v %v", id, email, err)
	}
	gatetest.MustExec(t, c, `SAVEPOINT r`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (62, 'kept@x', 'lou')`)
	gatetest.MustExec(t, c, `RELEASE r`)
	gatetest.MustExec(t, c, `SAVEPOINT q`)
	gatetest.MustExec(t, c, `DELETE FROM users WHERE email = 'kept@x'`)
	gatetest.MustExec(t, c, `ROLLBACK TO q`)
	gatetest.MustExec(t, c, `COMMIT`)
	want[61], want[62] = u("", "lou"), u("kept@x", "lou")
	step("savepoint before the lookup shard joins", want)

	// UPDATE of the looked-up column found through the same lookup.
	rows, err := c.Query(ctx, `UPDATE users SET email = $1 WHERE email = $2 RETURNING id`, "kept2@x", "kept@x")
	if err == nil {
		var ids []int64
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err == nil && fmt.Sprint(ids) != "[62]" {
			t.Errorf("UPDATE ... WHERE email RETURNING: %v", ids)
		}
	}
	if err != nil {
		t.Errorf("UPDATE ... WHERE email RETURNING: %v", err)
	}
	want[62] = u("kept2@x", "lou")
	step("update email by email", want)

	// COPY FROM would bypass the lookups: refused, and nothing is written.
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("70,c70@x,cop\n71,kept2@x,cop\n"), `COPY users (id, email, name) FROM STDIN (FORMAT csv)`)
	if gatetest.SQLState(err) != "0A000" {
		t.Errorf("COPY FROM into users: want 0A000, got %v", err)
	}
	step("COPY FROM refused", want)

	// Two clients insert one email at once: the second waits for the
	// first and is refused when it commits, admitted when it rolls back.
	c2 := g.Connect(t)
	for _, commit := range []bool{true, false} {
		gatetest.MustExec(t, c, `BEGIN`)
		gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (80, 'race@x', 'r1')`)
		done := make(chan error, 1)
		go func() {
			_, err := c2.Exec(ctx, `INSERT INTO users (id, email, name) VALUES (81, 'race@x', 'r2')`)
			done <- err
		}()
		select {
		case err := <-done:
			// It did not wait (allowed only if it was refused).
			if gatetest.SQLState(err) != "23505" && gatetest.SQLState(err) != "40001" && gatetest.SQLState(err) != "40P01" && gatetest.SQLState(err) != "55P03" {
				t.Errorf("second insert of race@x while the first is open: %v", err)
			}
			done <- err
		case <-time.After(300 * time.Millisecond):
		}
		if commit {
			gatetest.MustExec(t, c, `COMMIT`)
			want[80] = u("race@x", "r1")
		} else {
			gatetest.MustExec(t, c, `ROLLBACK`)
		}
		err := <-done
		switch {
		case commit && gatetest.SQLState(err) != "23505":
			t.Errorf("second insert of race@x after the first committed: want 23505, got %v", err)
		case !commit && err != nil:
			t.Logf("second insert of race@x after the first rolled back: %v", err)
			if s := gatetest.SQLState(err); s != "40001" && s != "40P01" && s != "55P03" {
				t.Errorf("second insert of race@x after the first rolled back: %v", err)
			}
		case !commit:
			want[81] = u("race@x", "r2")
		}
		step(fmt.Sprintf("concurrent inserts of one email (first commits: %v)", commit), want)
		gatetest.MustExec(t, c, `DELETE FROM users WHERE id IN (80, 81)`)
		delete(want, 80)
		delete(want, 81)
	}
}

func diffUsers(want, got map[int64]userRow) string {
	var out []string
	ids := map[int64]bool{}
	for id := range want {
		ids[id] = true
	}
	for id := range got {
		ids[id] = true
	}
	var sorted []int64
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	for _, id := range sorted {
		w, wok := want[id]
		g, gok := got[id]
		switch {
		case !wok:
			out = append(out, fmt.Sprintf("%d: extra (%s, %s)", id, showp(g.email), showp(g.name)))
		case !gok:
			out = append(out, fmt.Sprintf("%d: missing (%s, %s)", id, showp(w.email), showp(w.name)))
		case showp(w.email) != showp(g.email) || showp(w.name) != showp(g.name):
			out = append(out, fmt.Sprintf("%d: (%s, %s)/(%s, %s)", id, showp(w.email), showp(w.name), showp(g.email), showp(g.name)))
		}
		if len(out) > 10 {
			out = append(out, "...")
			break
		}
	}
	return strings.Join(out, "; ")
}

// TestLookupFromForeignKeyspace: a statement on main.users from a session of
// database lookup (not relayed: SQLite) uses and maintains users' lookup
// vindexes as it does from database main.
func TestLookupFromForeignKeyspace(t *testing.T) {
	g := startVindexGate(t, "sqlite")
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob')`)
	lc := gatetest.ConnectURL(t, g.URL("lookup"))
	for _, q := range []struct{ sql, want string }{
		{`SELECT id FROM main.users WHERE id = 2`, "[2]"},
		{`SELECT id FROM main.users WHERE email = 'b@x'`, "[2]"},
		{`SELECT id FROM main.users WHERE name = 'ann'`, "[1]"},
		{`INSERT INTO main.users (id, email, name) VALUES (3, 'c@x', 'cy') RETURNING id`, "[3]"},
		{`UPDATE main.users SET email = 'd@x', name = 'dee' WHERE id = 3 RETURNING id`, "[3]"},
		{`DELETE FROM main.users WHERE email = 'a@x' RETURNING id`, "[1]"},
	} {
		rows, err := lc.Query(ctx, q.sql)
		var ids []int64
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err != nil || fmt.Sprint(ids) != q.want {
			t.Errorf("%s from database lookup: %v %v, want %s", q.sql, ids, err, q.want)
		}
	}
	users := checkLookups(t, c, "after writes from database lookup")
	if d := diffUsers(map[int64]userRow{2: {email: strp("b@x"), name: strp("bob")}, 3: {email: strp("d@x"), name: strp("dee")}}, users); d != "" {
		t.Errorf("users (want/got): %s", d)
	}
}

// TestLookupMultiStatementQuery: the statements of one simple Query
// message run as one implicit transaction in Postgres: when one fails,
// the ones before it are rolled back too (with their lookup entries).

func TestLookupMultiStatementQuery(t *testing.T) {
	g := startVindexGate(t, "sqlite")
	c := g.Connect(t)
	ctx := context.Background()
	_, err := c.PgConn().Exec(ctx, `INSERT INTO users (id, email, name) VALUES (90, 'm1@x', 'm'); INSERT INTO users (id, email, name) VALUES (91, 'm1@x', 'm')`).ReadAll()
	if gatetest.SQLState(err) != "23505" {
		t.Fatalf("want 23505, got %v", err)
	}
	users := checkLookups(t, c, "after a failed multi-statement query")
	if len(users) != 0 {
		t.Errorf("rows after the failed query: %d", len(users))
	}
}

// TestLookupColumnDefault: an INSERT that leaves out a lookup vindex
// column the shard would fill itself (a DEFAULT other than NULL, a
// generated column) is refused, since the gate could not add the row's
// lookup entry; a column whose default is NULL may be left out.
func TestLookupColumnDefault(t *testing.T) { gatetest.ForEachEngine(t, testLookupColumnDefault) }

func testLookupColumnDefault(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	c := g.Connect(t)
	ctx := context.Background()
	refused := func(sql, fragment string) {
		t.Helper()
		_, err := c.Exec(ctx, sql)
		if gatetest.SQLState(err) != "0A000" || !strings.Contains(err.Error(), fragment) {
			t.Errorf("%s: want 0A000 naming %q, got %v", sql, fragment, err)
		}
	}
	recreate := func(ddl string) {
		t.Helper()
		gatetest.MustExec(t, c, `DROP TABLE users`)
		gatetest.MustExec(t, c, ddl)
	}

	recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text DEFAULT 'none@x', name text)`)
	refused(`INSERT INTO users (id, name) VALUES (1, 'ann')`, "lookup vindex column email, which has DEFAULT")
	gatetest.MustExec(t, c, `INSERT INTO users (id, email) VALUES (2, 'b@x')`) // name takes NULL
	gatetest.MustExec(t, c, `INSERT INTO users VALUES (3, 'c@x', 'cat')`)
	if users := checkLookups(t, c, "email with a DEFAULT"); len(users) != 2 {
		t.Errorf("rows: %v", users)
	}
	if ids := sameRowsViaLookup(t, c, "email", "none@x"); len(ids) != 0 {
		t.Errorf("none@x: %v", ids)
	}

	recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text DEFAULT NULL, name text)`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, name) VALUES (1, 'ann')`)
	checkLookups(t, c, "email DEFAULT NULL")

	if engine == "postgres" {
		recreate(`CREATE TABLE users (id bigint PRIMARY KEY, email text, name text GENERATED ALWAYS AS (upper(email)) STORED)`)
		refused(`INSERT INTO users (id, email) VALUES (1, 'a@x')`, "lookup vindex column name, which has DEFAULT GENERATED")
	}
}

// TestKeyspacesQualified: a client of database lookup sees keyspace
// lookup's tables; from main, lookup.table reaches them; a statement
// mixing keyspaces is refused; an unknown database is refused at connect.
// (TestKeyspaces, in e2e_more_test.go, covers an unsharded keyspace alone.)
func TestKeyspacesQualified(t *testing.T) { gatetest.ForEachEngine(t, testKeyspacesQualified) }

func testKeyspacesQualified(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	ctx := context.Background()
	c := g.Connect(t)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'ann'), (2, 'b@x', 'bob'), (3, NULL, 'ann')`)
	lc := gatetest.ConnectURL(t, g.URL("lookup"))
	pairs := func(c *pgx.Conn, sql string) string {
		t.Helper()
		rows, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out []string
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, a+"="+b)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	own := pairs(lc, `SELECT email, keyspace_id FROM users_email`)
	want := "a@x=" + idKsid(t, 1) + " b@x=" + idKsid(t, 2)
	if own != want {
		t.Errorf("users_email from database lookup: %q, want %q", own, want)
	}
	if got := pairs(c, `SELECT email, keyspace_id FROM lookup.users_email`); got != own {
		t.Errorf("lookup.users_email from main: %q, database lookup says %q", got, own)
	}
	if got := pairs(c, `SELECT e.email, e.keyspace_id FROM lookup.users_email AS e WHERE e.email = 'b@x'`); got != "b@x="+idKsid(t, 2) {
		t.Errorf("lookup.users_email WHERE from main: %q", got)
	}
	// Main's tables are not lookup's.
	if _, err := lc.Exec(ctx, `SELECT * FROM users`); gatetest.SQLState(err) != "42P01" {
		t.Errorf("users from database lookup: %v", err)
	}

	// A table made in keyspace lookup is written from main.
	gatetest.MustExec(t, lc, `CREATE TABLE notes (id bigint, body text)`)
	tag, err := c.Exec(ctx, `INSERT INTO lookup.notes (id, body) VALUES (1, 'one'), (2, 'two')`)
	if err != nil || tag.RowsAffected() != 2 {
		t.Fatalf("INSERT INTO lookup.notes from main: %v %v", tag, err)
	}
	gatetest.MustExec(t, c, `UPDATE lookup.notes SET body = 'uno' WHERE id = 1`)
	gatetest.MustExec(t, c, `DELETE FROM lookup.notes WHERE id = 2`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes from database lookup: %q", got)
	}
	if got := pairs(c, `SELECT id::text, body FROM lookup.notes`); got != "1=uno" {
		t.Errorf("lookup.notes from main: %q", got)
	}
	// In a transaction with main's writes: both or neither.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `INSERT INTO lookup.notes (id, body) VALUES (3, 'three')`)
	gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES (4, 'd@x', 'dee')`)
	gatetest.MustExec(t, c, `ROLLBACK`)
	if got := pairs(lc, `SELECT id::text, body FROM notes`); got != "1=uno" {
		t.Errorf("notes after a rolled back transaction: %q", got)
	}
	if ids := queryIDs(t, c, `SELECT id FROM users WHERE email = 'd@x'`); len(ids) != 0 {
		t.Errorf("d@x after rollback: %v", ids)
	}

	// Tables of two keyspaces in one statement are refused.
	for _, q := range []string{
		`SELECT u.id FROM users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT u.id FROM main.users u JOIN lookup.users_email e ON e.email = u.email`,
		`SELECT id FROM users WHERE email IN (SELECT email FROM lookup.users_email)`,
		`INSERT INTO lookup.notes (id, body) SELECT id, name FROM users`,
	} {
		if _, err := c.Exec(ctx, q); gatetest.SQLState(err) != "0A000" {
			t.Errorf("%s: want 0A000, got %v", q, err)
		}
	}
	// From database lookup: on SQLite the gate plans the statements; on
	// Postgres the unsharded keyspace is relayed (README "Unsharded
	// keyspaces on PostgreSQL"): the server gets the text as sent and knows
	// no schema main.
	relayed := engine != "sqlite"
	_, err = lc.Exec(ctx, `SELECT n.id FROM notes n JOIN main.users u ON u.id = n.id`)
	if want := map[bool]string{false: "0A000", true: "42P01"}[relayed]; gatetest.SQLState(err) != want {
		t.Errorf("join of main.users from database lookup: want %s, got %v", want, err)
	}
	rows, err := lc.Query(ctx, `SELECT id FROM main.users WHERE id = 2`) // by lookup: TestLookupFromForeignKeyspace
	if err == nil {
		var ids []int64
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		if err == nil && fmt.Sprint(ids) != "[2]" {
			t.Errorf("main.users from database lookup: %v", ids)
		}
	}
	if relayed && gatetest.SQLState(err) != "42P01" || !relayed && err != nil {
		t.Errorf("main.users from database lookup (relayed %v): %v", relayed, err)
	}
	// An unknown database.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if bad, err := pgx.Connect(cctx, g.URL("nosuchdb")); gatetest.SQLState(err) != "3D000" {
		if err == nil {
			bad.Close(ctx)
		}
		t.Errorf("connect to an unknown database: want 3D000, got %v", err)
	}
}
