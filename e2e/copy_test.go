package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

const copyTables = `
CREATE TABLE accounts (id bigint PRIMARY KEY, name text, balance numeric(10,2), active boolean, created timestamp);
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)`

const copyConfig = `
keyspaces:
  main:
    tables:
      countries: {type: reference}
`

// copyRows is COPY text data for accounts: NULLs, escapes, unicode, empty strings.
func copyRows(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		name := fmt.Sprintf("name %d", i)
		switch i % 7 {
		case 1:
			name = `\N`
		case 2:
			name = `tab\there\\back\nnl`
		case 3:
			name = "ünïcødé ✓"
		case 4:
			name = ""
		case 5:
			name = `comma, "quote"`
		}
		active := "t"
		if i%2 == 0 {
			active = "f"
		}
		fmt.Fprintf(&b, "%d\t%s\t%d.%02d\t%s\t2024-01-%02d 10:%02d:00\n", i, name, i*3, i%100, active, i%28+1, i%60)
	}
	return b.String()
}

func copyIn(t *testing.T, c *pgconn.PgConn, sql, data string) string {
	t.Helper()
	tag, err := c.CopyFrom(context.Background(), strings.NewReader(data), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.String()
}

func copyOut(t *testing.T, c *pgconn.PgConn, sql string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	tag, err := c.CopyTo(context.Background(), &buf, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return buf.String(), tag.String()
}

func countRows(t *testing.T, c *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func wantSQLState(t *testing.T, err error, code string) {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("want SQLSTATE %s, got %v", code, err)
	}
}

func sortedLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// TestCopy: COPY FROM STDIN (text and CSV) into sharded, reference and
// sequence tables, COPY TO STDOUT byte for byte as Postgres writes it,
// refusals, and COPY inside a rolled-back transaction.
func TestCopy(t *testing.T) { gatetest.ForEachEngine(t, testCopy) }

func testCopy(t *testing.T, engine string) {
	ctx := context.Background()
	g := gatetest.StartEngine(t, engine, 4, copyConfig)
	c := g.Connect(t)
	for _, s := range strings.Split(copyTables, ";") {
		gatetest.MustExec(t, c, s)
	}
	gatetest.MustExec(t, c, `CREATE TABLE countries (code text PRIMARY KEY, name text)`)
	pc := c.PgConn()

	// The same data in a plain Postgres database, for comparison.
	pg := pgtest.Shared(t)
	_, url := pg.CreateDB(t)
	ref := gatetest.ConnectURL(t, url)
	for _, s := range strings.Split(copyTables, ";") {
		gatetest.MustExec(t, ref, s)
	}
	gatetest.MustExec(t, ref, `CREATE TABLE countries (code text PRIMARY KEY, name text)`)
	both := func(sql, data string) {
		t.Helper()
		got := copyIn(t, pc, sql, data)
		want := copyIn(t, ref.PgConn(), sql, data)
		if got != want {
			t.Fatalf("%s: tag %q, Postgres says %q", sql, got, want)
		}
	}

	// Text format, with the end marker.
	both(`COPY accounts FROM STDIN`, copyRows(1, 100)+"\\.\n")
	// CSV with a header, columns in another order, quoted fields.
	var csv strings.Builder
	csv.WriteString("name,id,active,balance,created\n")
	for i := 101; i <= 150; i++ {
		name := fmt.Sprintf("\"csv, %d\"", i)
		if i%5 == 0 {
			name = "" // NULL
		} else if i%5 == 1 {
			name = `""` // empty string
		} else if i%5 == 2 {
			name = "\"multi\nline \"\"q\"\"\""
		}
		fmt.Fprintf(&csv, "%s,%d,%v,%d.5,2023-12-31 23:59:%02d\n", name, i, i%3 == 0, i, i%60)
	}
	both(`COPY accounts (name, id, active, balance, created) FROM STDIN WITH (FORMAT csv, HEADER true)`, csv.String())
	// Old syntax.
	both(`COPY accounts (id, name) FROM STDIN WITH CSV HEADER`, "id,name\n151,old syntax\n152,\n")

	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 152 {
		t.Fatalf("count = %d, want 152", n)
	}
	if total, spread := rowSpread(t, g, "accounts"); total != 152 || spread < 3 {
		t.Fatalf("shard counts %v", shardCounts(t, g, "accounts"))
	}
	// Every row is on the shard its vindex picks: a single-shard lookup finds it.
	for _, id := range []int{1, 2, 3, 17, 50, 99, 100, 101, 133, 150, 151, 152} {
		if n := countRows(t, c, `SELECT count(*) FROM accounts WHERE id = $1`, id); n != 1 {
			t.Fatalf("id %d: found %d times on its shard", id, n)
		}
	}

	// Reference table: every row on every shard, tag counted once.
	if tag := copyIn(t, pc, `COPY countries FROM STDIN (FORMAT csv)`, "fr,France\nde,Germany\njp,Japan\n"); tag != "COPY 3" {
		t.Fatalf("tag %q", tag)
	}
	copyIn(t, ref.PgConn(), `COPY countries FROM STDIN (FORMAT csv)`, "fr,France\nde,Germany\njp,Japan\n")
	for shard, n := range shardCounts(t, g, "countries") {
		if n != 3 {
			t.Fatalf("shard %s has %d countries", shard, n)
		}
	}

	// Sequence column filled by the gate.
	if tag := copyIn(t, pc, `COPY items (name) FROM STDIN`, "a\nb\nc\nd\ne\nf\ng\nh\n"); tag != "COPY 8" {
		t.Fatalf("tag %q", tag)
	}
	rows, err := c.Query(ctx, `SELECT id, name FROM items ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if rows.Err() != nil || len(ids) != 8 {
		t.Fatalf("items ids %v err %v", ids, rows.Err())
	}

	// COPY TO STDOUT, compared with Postgres byte for byte.
	for _, sql := range []string{
		`COPY (SELECT * FROM accounts ORDER BY id) TO STDOUT`,
		`COPY (SELECT * FROM accounts ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)`,
		`COPY (SELECT id, name, balance FROM accounts ORDER BY id DESC LIMIT 20) TO STDOUT (DELIMITER '|', NULL 'NULL')`,
		`COPY (SELECT active, count(*), sum(balance) FROM accounts GROUP BY active ORDER BY active) TO STDOUT (FORMAT csv)`,
		`COPY (SELECT name FROM accounts ORDER BY id) TO STDOUT (FORMAT csv, FORCE_QUOTE *)`,
		`COPY (SELECT * FROM countries ORDER BY code) TO STDOUT (FORMAT csv, HEADER)`,
	} {
		got, gtag := copyOut(t, pc, sql)
		want, wtag := copyOut(t, ref.PgConn(), sql)
		if got != want || gtag != wtag {
			t.Fatalf("%s:\ngate (%s):\n%s\npostgres (%s):\n%s", sql, gtag, got, wtag, want)
		}
	}
	for _, sql := range []string{`COPY accounts TO STDOUT`, `COPY accounts (id, name) TO STDOUT (FORMAT csv)`} {
		got, gtag := copyOut(t, pc, sql)
		want, wtag := copyOut(t, ref.PgConn(), sql)
		if sortedLines(got) != sortedLines(want) || gtag != wtag {
			t.Fatalf("%s: gate (%s) and postgres (%s) differ", sql, gtag, wtag)
		}
	}

	// A bad row fails the whole COPY: nothing is loaded on any shard.
	_, err = pc.CopyFrom(ctx, strings.NewReader(copyRows(200, 260)+"261\tshort\n"), `COPY accounts FROM STDIN`)
	wantSQLState(t, err, "22P04")
	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 152 {
		t.Fatalf("count after failed COPY = %d", n)
	}
	// NULL vindex value.
	_, err = pc.CopyFrom(ctx, strings.NewReader("\\N\tx\n"), `COPY accounts (id, name) FROM STDIN`)
	wantSQLState(t, err, "23502")

	// Refusals.
	for _, sql := range []string{
		`COPY accounts FROM '/tmp/accounts.txt'`,
		`COPY accounts TO '/tmp/accounts.txt'`,
		`COPY accounts FROM PROGRAM 'cat /etc/passwd'`,
		`COPY accounts TO STDOUT (FORMAT binary)`,
	} {
		_, err := c.Exec(ctx, sql)
		wantSQLState(t, err, "0A000")
		if !strings.Contains(err.Error(), "COPY") {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	// Inside a transaction that rolls back: nothing stays.
	gatetest.MustExec(t, c, "BEGIN")
	copyIn(t, pc, `COPY accounts FROM STDIN`, copyRows(300, 340))
	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 193 {
		t.Fatalf("count inside transaction = %d, want 193", n)
	}
	gatetest.MustExec(t, c, "ROLLBACK")
	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 152 {
		t.Fatalf("count after rollback = %d", n)
	}
	// And one that commits.
	gatetest.MustExec(t, c, "BEGIN")
	copyIn(t, pc, `COPY accounts FROM STDIN`, copyRows(300, 340))
	gatetest.MustExec(t, c, "COMMIT")
	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 193 {
		t.Fatalf("count after commit = %d", n)
	}

	// psql: \copy both ways and COPY FROM STDIN with inline data.
	if !gatetest.HaveTool(t, "psql") {
		return
	}
	psql := func(args ...string) string {
		t.Helper()
		out, err := g.Psql(context.Background(), "app", "main", append([]string{"-q", "-v", "ON_ERROR_STOP=1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	file := filepath.Join(t.TempDir(), "out.csv")
	psql("-c", `\copy (SELECT * FROM accounts WHERE id <= 150 ORDER BY id) to '`+file+`' with (format csv, header)`)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := copyOut(t, ref.PgConn(), `COPY (SELECT * FROM accounts WHERE id <= 150 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)`)
	if string(data) != want {
		t.Fatalf("psql \\copy to: got\n%s\nwant\n%s", data, want)
	}
	gatetest.MustExec(t, c, `CREATE TABLE accounts2 (id bigint PRIMARY KEY, name text, balance numeric(10,2), active boolean, created timestamp)`)
	psql("-c", `\copy accounts2 from '`+file+`' with (format csv, header)`)
	if n := countRows(t, c, `SELECT count(*) FROM accounts2`); n != 150 {
		t.Fatalf("accounts2 count = %d", n)
	}
	in := filepath.Join(t.TempDir(), "in.sql")
	os.WriteFile(in, []byte("COPY items (name) FROM STDIN;\nx1\nx2\n\\.\nSELECT count(*) FROM items;\n"), 0o644)
	if out := psql("-At", "-f", in); !strings.Contains(out, "10") {
		t.Fatalf("psql inline COPY: %s", out)
	}
}

// TestCopyPgbench runs pgbench -i through a gate that shards the pgbench
// tables over Postgres shards.
func TestCopyPgbench(t *testing.T) {
	gatetest.RequireTool(t, "pgbench")
	g := gatetest.StartEngine(t, "postgres", 4, `
keyspaces:
  main:
    tables:
      pgbench_accounts: {vindex: {type: hash, columns: [aid]}}
      pgbench_branches: {vindex: {type: hash, columns: [bid]}}
      pgbench_tellers: {vindex: {type: hash, columns: [tid]}}
      pgbench_history: {vindex: {type: hash, columns: [aid]}}
`)
	cmd := exec.Command("pgbench", append([]string{"-i", "-s", "1"}, append(g.ClientArgs("app"), "main")...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pgbench -i: %v\n%s", err, out)
	}
	c := g.Connect(t)
	for table, want := range map[string]int64{"pgbench_accounts": 100000, "pgbench_branches": 1, "pgbench_tellers": 10, "pgbench_history": 0} {
		if n := countRows(t, c, "SELECT count(*) FROM "+table); n != want {
			t.Fatalf("%s: %d rows, want %d\n%s", table, n, want, out)
		}
	}
	if _, spread := rowSpread(t, g, "pgbench_accounts"); spread != 4 {
		t.Fatalf("accounts spread: %v", shardCounts(t, g, "pgbench_accounts"))
	}
	// pgbench -S and the default TPC-B-like script, in each protocol mode.
	for _, script := range []string{"-S", "-N", ""} {
		for _, mode := range []string{"simple", "extended", "prepared"} {
			args := append([]string{"-n", "-M", mode, "-c", "2", "-j", "2", "-t", "200"}, g.ClientArgs("app")...)
			if script != "" {
				args = append(args, script)
			}
			out, err := exec.Command("pgbench", append(args, "main")...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "number of transactions actually processed: 400/400") {
				t.Fatalf("pgbench %s -M %s: %v\n%s", script, mode, err, out)
			}
		}
	}
	// The TPC-B invariant: every delta is in the history and in the
	// accounts; tellers and branches move together (-N skips both).
	var accounts, tellers, branches, history int64
	for sql, dst := range map[string]*int64{
		"SELECT sum(abalance) FROM pgbench_accounts": &accounts,
		"SELECT sum(tbalance) FROM pgbench_tellers":  &tellers,
		"SELECT sum(bbalance) FROM pgbench_branches": &branches,
		"SELECT sum(delta) FROM pgbench_history":     &history,
	} {
		if err := c.QueryRow(context.Background(), sql).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	if accounts != history || tellers != branches || tellers == 0 {
		t.Errorf("balances disagree: accounts %d, tellers %d, branches %d, history %d", accounts, tellers, branches, history)
	}
	if n := countRows(t, c, "SELECT count(*) FROM pgbench_history"); n != 2400 {
		t.Errorf("history rows %d, want 2400 (6 write runs of 400)", n)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		return 0, errors.New("client gave up")
	}
	r.n++
	return copy(p, "9001\tfirst\n"), nil
}

// TestCopyFailAndUnsharded: a client's CopyFail aborts the COPY with 57014
// and leaves the connection usable; an unsharded Postgres keyspace gets
// COPY forwarded as is, binary format included.
func TestCopyFailAndUnsharded(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Shared(t)
	_, url := pg.CreateDB(t)
	g := gatetest.StartEngine(t, "postgres", 2, "keyspaces:\n  lookup:\n    sharded: false\n    shards: {\"-\": \""+url+"\"}\n")
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE accounts (id bigint PRIMARY KEY, name text, balance numeric(10,2), active boolean, created timestamp)`)
	_, err := c.PgConn().CopyFrom(ctx, &failingReader{}, `COPY accounts FROM STDIN`)
	wantSQLState(t, err, "57014")
	if !strings.Contains(err.Error(), "COPY from stdin failed: client gave up") {
		t.Fatalf("error %v", err)
	}
	if n := countRows(t, c, `SELECT count(*) FROM accounts`); n != 0 {
		t.Fatalf("count after CopyFail = %d", n)
	}

	cc, err := pgx.ParseConfig(g.URL("lookup"))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close(ctx)
	gatetest.MustExec(t, lc, `CREATE TABLE accounts (id bigint PRIMARY KEY, name text, balance numeric(10,2), active boolean, created timestamp)`)
	if tag := copyIn(t, lc.PgConn(), `COPY accounts FROM STDIN`, copyRows(1, 50)); tag != "COPY 50" {
		t.Fatalf("tag %q", tag)
	}
	got, tag := copyOut(t, lc.PgConn(), `COPY (SELECT * FROM accounts ORDER BY id) TO STDOUT (FORMAT csv)`)
	if tag != "COPY 50" || strings.Count(got, "\n") < 50 {
		t.Fatalf("copy out %q: %s", tag, got)
	}
	bin, tag := copyOut(t, lc.PgConn(), `COPY accounts TO STDOUT (FORMAT binary)`)
	if !strings.HasPrefix(bin, "PGCOPY\n\xff\r\n\x00") || tag != "COPY 50" {
		t.Fatalf("binary copy: %q %q", tag, bin[:min(len(bin), 20)])
	}
	gatetest.MustExec(t, lc, `CREATE TABLE accounts_bin (LIKE accounts)`)
	if tag := copyIn(t, lc.PgConn(), `COPY accounts_bin FROM STDIN (FORMAT binary)`, bin); tag != "COPY 50" {
		t.Fatalf("binary copy in: %q", tag)
	}
	// Server-side COPY: refused by the planner on a sharded keyspace; on the
	// unsharded one the client's session is relayed to the server, which
	// decides (the test server's user is a superuser).
	_, err = c.Exec(ctx, `COPY accounts TO PROGRAM 'cat'`)
	wantSQLState(t, err, "0A000")
	if _, err := lc.Exec(ctx, `COPY accounts TO PROGRAM 'cat'`); err != nil {
		t.Fatalf("relayed server-side COPY: %v", err)
	}
}

// binaryTuple builds COPY BINARY data by hand: the header, tuples of
// int8 fields (nil for NULL) and the trailer.
func binaryTuple(tuples ...[]*int64) []byte {
	b := []byte("PGCOPY\n\377\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	for _, tu := range tuples {
		b = binary.BigEndian.AppendUint16(b, uint16(len(tu)))
		for _, v := range tu {
			if v == nil {
				b = binary.BigEndian.AppendUint32(b, 0xffffffff)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, 8)
			b = binary.BigEndian.AppendUint64(b, uint64(*v))
		}
	}
	return binary.BigEndian.AppendUint16(b, 0xffff)
}

// TestCopyBinary: pgx's CopyFrom (COPY ... FROM STDIN BINARY) into a
// sharded table, a table whose bigserial id the gate fills, a uuid-keyed
// table and a reference table; bad binary data.
func TestCopyBinary(t *testing.T) { gatetest.ForEachEngine(t, testCopyBinary) }

func testCopyBinary(t *testing.T, engine string) {
	ctx := context.Background()
	g := gatetest.StartEngine(t, engine, 4, copyConfig)
	c := g.Connect(t)
	gatetest.MustExec(t, c, `CREATE TABLE bin (id bigint PRIMARY KEY, n int4, name text, amount numeric(12,2), ok boolean, at timestamptz)`)
	gatetest.MustExec(t, c, `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, qty int4)`)
	gatetest.MustExec(t, c, `CREATE TABLE sessions (id uuid PRIMARY KEY, label varchar(40))`)
	gatetest.MustExec(t, c, `CREATE TABLE countries (code text PRIMARY KEY, name text)`)

	type binRow struct {
		id     int64
		n      int32
		name   *string
		amount string
		ok     bool
		at     *time.Time
	}
	const total = 3000
	base := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	want := make(map[int64]binRow, total)
	rows := make([][]any, total)
	for i := range rows {
		r := binRow{id: int64(i)*7919 - 10000, n: int32(i - 1500), amount: fmt.Sprintf("%d.%02d", i*7, i%100), ok: i%2 == 0}
		if i%10 != 3 {
			s := fmt.Sprintf("name %d ✓ \t\\ \"q\"", i)
			r.name = &s
		}
		if i%13 != 0 {
			at := base.Add(time.Duration(i) * 61 * time.Second)
			r.at = &at
		}
		var amount pgtype.Numeric
		if err := amount.Scan(r.amount); err != nil {
			t.Fatal(err)
		}
		rows[i] = []any{r.id, r.n, r.name, amount, r.ok, r.at}
		want[r.id] = r
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"bin"}, []string{"id", "n", "name", "amount", "ok", "at"}, pgx.CopyFromRows(rows))
	if err != nil || n != total {
		t.Fatalf("CopyFrom bin: %d rows, %v", n, err)
	}
	if n := countRows(t, c, `SELECT count(*) FROM bin`); n != total {
		t.Fatalf("count = %d", n)
	}
	if sum, spread := rowSpread(t, g, "bin"); sum != total || spread != 4 {
		t.Fatalf("shard counts %v", shardCounts(t, g, "bin"))
	}
	// Values round-trip.
	rs, err := c.Query(ctx, `SELECT id, n, name, amount, ok, at FROM bin`)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rs.Next() {
		var r binRow
		var amount pgtype.Numeric
		if err := rs.Scan(&r.id, &r.n, &r.name, &amount, &r.ok, &r.at); err != nil {
			t.Fatal(err)
		}
		w, ok := want[r.id]
		if !ok {
			t.Fatalf("unexpected id %d", r.id)
		}
		var wa pgtype.Numeric
		wa.Scan(w.amount)
		af, _ := amount.Float64Value()
		wf, _ := wa.Float64Value()
		if r.n != w.n || r.ok != w.ok || af != wf ||
			(r.name == nil) != (w.name == nil) || (r.name != nil && *r.name != *w.name) ||
			(r.at == nil) != (w.at == nil) || (r.at != nil && !r.at.Equal(*w.at)) {
			t.Fatalf("row %d: got %+v (amount %v), want %+v", r.id, r, af, w)
		}
		seen++
	}
	if rs.Err() != nil || seen != total {
		t.Fatalf("read back %d rows: %v", seen, rs.Err())
	}
	// Every row is on the shard its vindex picks: a single-shard lookup finds it.
	for i := 0; i < total; i += 37 {
		id := rows[i][0].(int64)
		if n := countRows(t, c, `SELECT count(*) FROM bin WHERE id = $1`, id); n != 1 {
			t.Fatalf("id %d: found %d times on its shard", id, n)
		}
	}

	// The bigserial id omitted: the gate appends it to every tuple.
	items := make([][]any, 2000)
	for i := range items {
		items[i] = []any{fmt.Sprintf("item %d", i), int32(i)}
	}
	if n, err := c.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"name", "qty"}, pgx.CopyFromRows(items)); err != nil || n != 2000 {
		t.Fatalf("CopyFrom items: %d rows, %v", n, err)
	}
	rs, err = c.Query(ctx, `SELECT id, name, qty FROM items`)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for rs.Next() {
		var id int64
		var name string
		var qty int32
		if err := rs.Scan(&id, &name, &qty); err != nil {
			t.Fatal(err)
		}
		if name != fmt.Sprintf("item %d", qty) || id <= 0 || ids[id] {
			t.Fatalf("items row %d %q %d", id, name, qty)
		}
		ids[id] = true
	}
	if rs.Err() != nil || len(ids) != 2000 {
		t.Fatalf("items: %d ids, %v", len(ids), rs.Err())
	}
	if _, spread := rowSpread(t, g, "items"); spread != 4 {
		t.Fatalf("items shard counts %v", shardCounts(t, g, "items"))
	}
	for id := range ids {
		if n := countRows(t, c, `SELECT count(*) FROM items WHERE id = $1`, id); n != 1 {
			t.Fatalf("item %d: found %d times on its shard", id, n)
		}
		break
	}

	// uuid and varchar values, routed by the uuid.
	var sess [][]any
	var uuids []string
	for i := 0; i < 200; i++ {
		u := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i*2654435761%(1<<32), i, i, i*3, i*977)
		uuids = append(uuids, u)
		var id pgtype.UUID
		if err := id.Scan(u); err != nil {
			t.Fatal(err)
		}
		sess = append(sess, []any{id, fmt.Sprintf("label %d", i)})
	}
	if n, err := c.CopyFrom(ctx, pgx.Identifier{"sessions"}, []string{"id", "label"}, pgx.CopyFromRows(sess)); err != nil || n != 200 {
		t.Fatalf("CopyFrom sessions: %d rows, %v", n, err)
	}
	for i, u := range uuids {
		var label string
		if err := c.QueryRow(ctx, `SELECT label FROM sessions WHERE id = $1`, u).Scan(&label); err != nil || label != fmt.Sprintf("label %d", i) {
			t.Fatalf("session %s: %q %v", u, label, err)
		}
	}

	// More types, routed by an int4 key.
	gatetest.MustExec(t, c, `CREATE TABLE misc (id int4 PRIMARY KEY, s int2, b bytea, d date, f float8, j jsonb)`)
	var misc [][]any
	for i := int32(0); i < 300; i++ {
		misc = append(misc, []any{i*1000 - 7, int16(i), []byte{0, byte(i), 0xff, '\\'}, time.Date(2000+int(i%50), time.Month(i%12+1), int(i%28+1), 0, 0, 0, 0, time.UTC), float64(i) / 8, map[string]any{"k": float64(i), "s": "v\"x"}})
	}
	if n, err := c.CopyFrom(ctx, pgx.Identifier{"misc"}, []string{"id", "s", "b", "d", "f", "j"}, pgx.CopyFromRows(misc)); err != nil || n != 300 {
		t.Fatalf("CopyFrom misc: %d rows, %v", n, err)
	}
	for _, m := range misc {
		var s int16
		var b []byte
		var d time.Time
		var f float64
		var j map[string]any
		if err := c.QueryRow(ctx, `SELECT s, b, d, f, j FROM misc WHERE id = $1`, m[0]).Scan(&s, &b, &d, &f, &j); err != nil {
			t.Fatalf("misc %v: %v", m[0], err)
		}
		if s != m[1] || !bytes.Equal(b, m[2].([]byte)) || !d.Equal(m[3].(time.Time)) || f != m[4] || j["k"] != m[5].(map[string]any)["k"] || j["s"] != "v\"x" {
			t.Fatalf("misc %v: got %v %v %v %v %v, want %v", m[0], s, b, d, f, j, m)
		}
	}

	// Reference table: every tuple on every shard, counted once.
	countries := [][]any{{"fr", "France"}, {"de", "Germany"}, {"jp", nil}}
	if n, err := c.CopyFrom(ctx, pgx.Identifier{"countries"}, []string{"code", "name"}, pgx.CopyFromRows(countries)); err != nil || n != 3 {
		t.Fatalf("CopyFrom countries: %d rows, %v", n, err)
	}
	for shard, n := range shardCounts(t, g, "countries") {
		if n != 3 {
			t.Fatalf("shard %s has %d countries", shard, n)
		}
	}

	// Bad data fails the whole COPY, nothing loaded.
	pc := c.PgConn()
	one, two := int64(900001), int64(900002)
	for _, bad := range []struct {
		data []byte
		code string
	}{
		{binaryTuple([]*int64{&one}, []*int64{&two, nil}), "22P04"},           // field count
		{[]byte("PGCOPY\n\377\r\n\x01\x00\x00\x00\x00\x00\x00\x00"), "22P04"}, // signature
		{binaryTuple([]*int64{&one, nil}, []*int64{nil, nil}), "23502"},       // NULL vindex
		{binaryTuple([]*int64{&one, nil})[:30], "22P04"},                      // truncated
	} {
		_, err := pc.CopyFrom(ctx, bytes.NewReader(bad.data), `COPY bin (id, at) FROM STDIN (FORMAT binary)`)
		wantSQLState(t, err, bad.code)
	}
	if n := countRows(t, c, `SELECT count(*) FROM bin`); n != total {
		t.Fatalf("count after bad COPY = %d", n)
	}
	// Hand-built data with a NULL; then inside a transaction that rolls back.
	if tag := copyIn(t, pc, `COPY bin (id, n) FROM STDIN (FORMAT binary)`, string(binaryTuple([]*int64{&one, nil}))); tag != "COPY 1" {
		t.Fatalf("tag %q", tag)
	}
	gatetest.MustExec(t, c, "BEGIN")
	copyIn(t, pc, `COPY bin (id) FROM STDIN WITH BINARY`, string(binaryTuple([]*int64{&two})))
	if n := countRows(t, c, `SELECT count(*) FROM bin`); n != total+2 {
		t.Fatalf("count in transaction = %d", n)
	}
	gatetest.MustExec(t, c, "ROLLBACK")
	if n := countRows(t, c, `SELECT count(*) FROM bin WHERE id = $1`, one); n != 1 {
		t.Fatalf("id %d: %d", one, n)
	}
	if n := countRows(t, c, `SELECT count(*) FROM bin`); n != total+1 {
		t.Fatalf("count after rollback = %d", n)
	}
}
