package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// exchange sends msgs and returns what comes back up to the ReadyForQuery
// that answers the last of them (JSON, one message a line).
func exchange(t *testing.T, hc *pgconn.HijackedConn, msgs ...pgproto3.FrontendMessage) string {
	t.Helper()
	want := 0
	for _, m := range msgs {
		hc.Frontend.Send(m)
		switch m.(type) {
		case *pgproto3.Query, *pgproto3.Sync, *pgproto3.FunctionCall:
			want++
		}
	}
	if err := hc.Frontend.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = hc.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var out strings.Builder
	for want > 0 {
		m, err := hc.Frontend.Receive()
		if err != nil {
			t.Fatalf("receive: %v (so far:\n%s)", err, out.String())
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			want--
		}
	}
	return out.String()
}

// TestRelayMessages: in relay mode the messages a client gets back are the
// server's own, message for message, in the simple and the extended
// protocol, errors, warnings, ParameterStatus and zero-column results
// included.
func TestRelayMessages(t *testing.T) {
	g, shardURL := startUnshardedPG(t, "session", 0)
	gate, direct := pgtest.Hijack(t, g.URL("app")), pgtest.Hijack(t, shardURL)
	for _, k := range []string{"server_version", "standard_conforming_strings", "DateStyle", "TimeZone", "integer_datetimes"} {
		if gate.ParameterStatuses[k] != direct.ParameterStatuses[k] {
			t.Errorf("startup %s: gate %q, direct %q", k, gate.ParameterStatuses[k], direct.ParameterStatuses[k])
		}
	}
	q := func(s string) pgproto3.FrontendMessage { return &pgproto3.Query{String: s} }
	cases := [][]pgproto3.FrontendMessage{
		{q("SELECT 1 +;")},
		{q("select;")},
		{q("SELECT 1 AS a; SELECT 'x' AS b")},
		{q("COMMIT")}, // WARNING: there is no transaction in progress
		{q("SAVEPOINT a")},
		{q("BEGIN ISOLATION LEVEL SERIALIZABLE; SHOW transaction_isolation")},
		{q("SAVEPOINT a; SELECT 1/0")},
		{q("SELECT 1")}, // aborted transaction
		{q("ROLLBACK TO a; RELEASE a; SELECT 2")},
		{q("COMMIT")},
		{q("PREPARE TRANSACTION 'nope'")}, // WARNING: no transaction
		{q("SET standard_conforming_strings = off")},
		{q("SELECT 'a\\b'")},
		{q("RESET standard_conforming_strings")},
		{q("CREATE TEMP TABLE relay_t (x int)")},
		{q("COPY relay_t FROM STDIN"), &pgproto3.CopyData{Data: []byte("1\n2\n")}, &pgproto3.CopyDone{}},
		{q("COPY relay_t FROM STDIN"), &pgproto3.CopyData{Data: []byte("x\n")}, &pgproto3.CopyDone{}},
		{q("COPY relay_t TO STDOUT")},
		{q("COPY relay_t FROM '/nonexistent/file'")},
		{&pgproto3.Parse{Name: "s1", Query: "SELECT $1::int + x FROM relay_t ORDER BY x"}, &pgproto3.Describe{ObjectType: 'S', Name: "s1"},
			&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{[]byte("40")}}, &pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		{&pgproto3.Parse{Query: "SELEC 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{},
			&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{}},
		{&pgproto3.Parse{Name: "s1", Query: "SELECT 1"}, &pgproto3.Sync{}}, // duplicate statement
		{&pgproto3.Close{ObjectType: 'S', Name: "s1"}, &pgproto3.Sync{}},
		{q("")},
		// Messages larger than the relay's buffers, both ways.
		{q("SELECT length('" + strings.Repeat("y", 300000) + "') AS n")},
		{q("SELECT repeat('x', 3000000) AS big, 1 AS n")},
		{q("COPY relay_t FROM STDIN"), &pgproto3.CopyData{Data: bytes.Repeat([]byte("7\n"), 500000)}, &pgproto3.CopyDone{}},
		{q("SELECT count(*), sum(x) FROM relay_t")},
	}
	for _, msgs := range cases {
		d := exchange(t, direct, msgs...)
		gt := exchange(t, gate, msgs...)
		if gt != d {
			t.Errorf("%T %+v:\ngate:\n%s\ndirect:\n%s", msgs[0], msgs[0], gt, d)
		}
	}
}

// TestRelaySession: what the planner path could not do, through pgx.
func TestRelaySession(t *testing.T) {
	ctx := context.Background()
	g, shardURL := startUnshardedPG(t, "session", 0)
	c := connectDB(t, g, "app", "options="+strings.ReplaceAll(url.QueryEscape("-c DateStyle=SQL,DMY"), "+", "%20"))

	// A syntax error keeps the statement's trailing ';'.
	_, err := c.Exec(ctx, "SELECT 1 +;", pgx.QueryExecModeSimpleProtocol)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Message != `syntax error at or near ";"` || pe.Position != 11 {
		t.Errorf("syntax error: %v", err)
	}

	// RESET goes back to the startup options' value.
	gatetest.MustExec(t, c, `SET DateStyle = 'German'`)
	if got := c.PgConn().ParameterStatus("DateStyle"); got != "German, DMY" {
		t.Errorf("ParameterStatus after SET DateStyle: %q", got)
	}
	gatetest.MustExec(t, c, `RESET DateStyle`)
	if got := queryString(t, c, `SHOW DateStyle`); got != "SQL, DMY" {
		t.Errorf("DateStyle after RESET: %q", got)
	}

	// ParameterStatus after SET.
	gatetest.MustExec(t, c, `SET standard_conforming_strings = off`)
	if got := c.PgConn().ParameterStatus("standard_conforming_strings"); got != "off" {
		t.Errorf("standard_conforming_strings: %q", got)
	}
	gatetest.MustExec(t, c, `SET standard_conforming_strings = on`)

	// Transaction options and savepoints.
	gatetest.MustExec(t, c, `CREATE TABLE sp (x int)`)
	gatetest.MustExec(t, c, `BEGIN ISOLATION LEVEL SERIALIZABLE`)
	if got := queryString(t, c, `SHOW transaction_isolation`); got != "serializable" {
		t.Errorf("isolation: %q", got)
	}
	if st := c.PgConn().TxStatus(); st != 'T' {
		t.Errorf("tx status %c", st)
	}
	gatetest.MustExec(t, c, `INSERT INTO sp VALUES (1)`)
	gatetest.MustExec(t, c, `SAVEPOINT a`)
	gatetest.MustExec(t, c, `INSERT INTO sp VALUES (2)`)
	if _, err := c.Exec(ctx, `INSERT INTO sp VALUES ('x')`); err == nil {
		t.Fatal("bad insert worked")
	}
	if st := c.PgConn().TxStatus(); st != 'E' {
		t.Errorf("tx status after error %c", st)
	}
	gatetest.MustExec(t, c, `ROLLBACK TO a`)
	gatetest.MustExec(t, c, `RELEASE a`)
	gatetest.MustExec(t, c, `COMMIT`)
	if n := countRows(t, c, `SELECT count(*) FROM sp`); n != 1 {
		t.Errorf("rows after savepoint rollback: %d", n)
	}

	// select; has a RowDescription with no fields.
	rr := c.PgConn().Exec(ctx, "select;")
	res, err := rr.ReadAll()
	if err != nil || len(res) != 1 || res[0].FieldDescriptions == nil || len(res[0].FieldDescriptions) != 0 || res[0].CommandTag.String() != "SELECT 1" {
		t.Errorf("select;: %v %+v", err, res)
	}

	// A COPY the server refuses, before and after CopyInResponse, leaves
	// the connection usable.
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\n"), `COPY nosuch FROM STDIN`)
	wantSQLState(t, err, "42P01")
	_, err = c.PgConn().CopyFrom(ctx, strings.NewReader("1\nx\n"), `COPY sp FROM STDIN`)
	wantSQLState(t, err, "22P02")
	if tag := copyIn(t, c.PgConn(), `COPY sp FROM STDIN`, "5\n6\n"); tag != "COPY 2" {
		t.Errorf("copy tag %q", tag)
	}
	if n := countRows(t, c, `SELECT count(*) FROM sp`); n != 3 {
		t.Errorf("rows after copies: %d", n)
	}

	// The extended protocol with the client's statements, and a pipeline.
	var sum int
	if err := c.QueryRow(ctx, `SELECT $1::int + $2::int`, 40, 2).Scan(&sum); err != nil || sum != 42 {
		t.Errorf("extended: %v %d", err, sum)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO sp VALUES ($1)`, 10)
	b.Queue(`SELECT count(*) FROM sp WHERE x = $1`, 10)
	br := c.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		t.Error(err)
	}
	var n int
	if err := br.QueryRow().Scan(&n); err != nil || n != 1 {
		t.Errorf("batch: %v %d", err, n)
	}
	br.Close()

	// The gate's own command.
	rows, err := c.Query(ctx, `/* gate */ explain (ROUTE) SELECT 1`, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, s)
	}
	if rows.Err() != nil || len(plan) == 0 || !strings.Contains(strings.Join(plan, "\n"), "unsharded") {
		t.Errorf("EXPLAIN (ROUTE): %v %q", rows.Err(), plan)
	}
	// ... also inside a transaction, whose status it keeps.
	gatetest.MustExec(t, c, `BEGIN`)
	if _, err := c.Exec(ctx, `EXPLAIN (ROUTE) SELECT 1`, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Error(err)
	}
	if st := c.PgConn().TxStatus(); st != 'T' {
		t.Errorf("tx status after EXPLAIN (ROUTE) %c", st)
	}
	gatetest.MustExec(t, c, `ROLLBACK`)

	// The server's own parameters reach the client.
	direct := gatetest.ConnectURL(t, shardURL)
	if got, want := c.PgConn().ParameterStatus("server_version"), direct.PgConn().ParameterStatus("server_version"); got != want {
		t.Errorf("server_version %q, server says %q", got, want)
	}
}

// TestRelayCancelAndPool: a CancelRequest reaches the backend; each client
// holds one pool slot, which it gives back when it goes away, even in the
// middle of a statement.
func TestRelayCancelAndPool(t *testing.T) {
	ctx := context.Background()
	g, shardURL := startUnshardedPG(t, "session", 1)
	direct := gatetest.ConnectURL(t, shardURL)
	sleeping := func(q string) int {
		var n int
		if err := direct.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'`, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitNone := func(q string) {
		t.Helper()
		for i := 0; i < 100 && sleeping(q) > 0; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if sleeping(q) > 0 {
			t.Errorf("the server still runs %s", q)
		}
	}

	cc, err := pgx.ParseConfig(g.URL("app"))
	if err != nil {
		t.Fatal(err)
	}
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, CancelRequestDelay: 0, DeadlineDelay: 5 * time.Second}
	}
	c, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start := time.Now()
	_, err = c.Exec(qctx, `SELECT pg_sleep(10)`)
	cancel()
	wantSQLState(t, err, "57014")
	if time.Since(start) > 4*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	waitNone(`SELECT pg_sleep(10)`)
	if got := queryString(t, c, `SELECT 'still usable'`); got != "still usable" {
		t.Errorf("after cancel: %q", got)
	}

	// pool_size 1: a second client waits for the slot.
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	c2, err := pgx.Connect(wctx, g.URL("app"))
	wcancel()
	if err == nil {
		c2.Close(ctx)
		t.Fatal("a second client got a backend beyond pool_size 1")
	}
	// The first one goes away mid-statement: its slot comes back and its
	// statement stops.
	done := make(chan error, 1)
	go func() {
		_, err := c.Exec(ctx, `SELECT pg_sleep(30)`)
		done <- err
	}()
	for i := 0; i < 100 && sleeping(`SELECT pg_sleep(30)`) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	c.PgConn().Conn().Close()
	<-done
	wctx, wcancel = context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	c3, err := pgx.Connect(wctx, g.URL("app"))
	if err != nil {
		t.Fatalf("slot not given back: %v", err)
	}
	defer c3.Close(ctx)
	waitNone(`SELECT pg_sleep(30)`)
	if got := queryString(t, c3, `SELECT 'next client'`); got != "next client" {
		t.Errorf("%q", got)
	}
}

// TestRelayConnectError: a server that refuses the session is the client's
// error, and the connection is closed.
func TestRelayConnectError(t *testing.T) {
	g, shardURL := startUnshardedPG(t, "session", 0)
	_ = shardURL
	// Lower than the server's own limit: a bogus startup parameter value.
	_, err := pgx.Connect(context.Background(), g.URL("app")+"&options="+strings.ReplaceAll(url.QueryEscape("-c work_mem=bogus"), "+", "%20"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22023" {
		t.Fatalf("bad startup option: %v", err)
	}
	// A server that does not answer: class 08.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dead := gatetest.Start(t, 1, fmt.Sprintf("keyspaces:\n  gone:\n    sharded: false\n    shards: {\"-\": \"postgres://postgres@127.0.0.1:%d/x?sslmode=disable&connect_timeout=2\"}\n", port))
	_, err = pgx.Connect(context.Background(), dead.URL("gone"))
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Code, "08") {
		t.Fatalf("dead server: %v", err)
	}
}

// TestRelayLargeObjects: psql's \lo_import, \lo_export and \lo_unlink use
// the FunctionCall message.
func TestRelayLargeObjects(t *testing.T) {
	gatetest.RequireTool(t, "psql")
	g, _ := startUnshardedPG(t, "session", 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	data := bytes.Repeat([]byte("large object \x00\x01\xff\n"), 20000)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	psql := func(cmd string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := g.Psql(ctx, "app", "app", "-v", "ON_ERROR_STOP=1", "-c", cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %s: %v: %s", cmd, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	out := psql(`\lo_import ` + in)
	oid, ok := strings.CutPrefix(out, "lo_import ")
	if !ok {
		t.Fatalf("lo_import: %q", out)
	}
	outFile := filepath.Join(dir, "out.bin")
	psql(`\lo_export ` + oid + ` ` + outFile)
	got, err := os.ReadFile(outFile)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("exported %d bytes, %v", len(got), err)
	}
	if out := psql(`\lo_unlink ` + oid); out != "lo_unlink "+oid {
		t.Fatalf("lo_unlink: %q", out)
	}
}
