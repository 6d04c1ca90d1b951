package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func openTestPG(t *testing.T, url string) *Engine {
	t.Helper()
	e, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func readRows(t *testing.T, r sqltypes.Rows, err error) []sqltypes.Row {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := sqltypes.ReadAll(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func rowStrings(rows []sqltypes.Row) string {
	var parts []string
	for _, r := range rows {
		var vals []string
		for _, v := range r {
			if v == nil {
				vals = append(vals, "NULL")
			} else {
				vals = append(vals, string(v))
			}
		}
		parts = append(parts, strings.Join(vals, ","))
	}
	return strings.Join(parts, "|")
}

func TestSplitGateParams(t *testing.T) {
	rest, n, qt, err := splitGateParams("postgres://u:p@h:5432/db?sslmode=disable&pool_size=7&query_timeout=1500ms&connect_timeout=3")
	if err != nil || rest != "postgres://u:p@h:5432/db?sslmode=disable&connect_timeout=3" || n != 7 || qt != 1500*time.Millisecond {
		t.Fatalf("got %q %d %v %v", rest, n, qt, err)
	}
	rest, n, qt, err = splitGateParams("postgres://h/db?pool_size=2")
	if err != nil || rest != "postgres://h/db" || n != 2 || qt != 0 {
		t.Fatalf("got %q %d %v %v", rest, n, qt, err)
	}
	if _, _, _, err := splitGateParams("postgres://h/db?pool_size=x"); err == nil {
		t.Fatal("bad pool_size accepted")
	}
	if _, _, _, err := splitGateParams("postgres://h/db?query_timeout=soon"); err == nil {
		t.Fatal("bad query_timeout accepted")
	}
	for sql, want := range map[string]bool{"select 1": false, "  /* a /* nested */ b */ -- c\n(COPY x FROM STDIN": true, "copy t to stdout": true, "COPY t TO '/f'": false, "copy1 stdin": false, "--": false, "/* open": false} {
		if got := isCopyStdio(sql); got != want {
			t.Fatalf("isCopyStdio(%q) = %v, want %v", sql, got, want)
		}
	}
	if _, err := Open(context.Background(), "postgres://h:notaport/db", Options{}); err == nil {
		t.Fatal("malformed URL accepted")
	}
}

func TestPostgresServerDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", port)
	e, err := Open(context.Background(), url, Options{})
	if err != nil {
		t.Fatalf("Open failed for a server that is down: %v", err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.Query(ctx, "SELECT 1", nil); !strings.HasPrefix(pgCode(err), "08") {
		t.Fatalf("Query: want class 08, got %v (%s)", err, pgCode(err))
	}
	if _, err := e.Begin(ctx); !strings.HasPrefix(pgCode(err), "08") {
		t.Fatalf("Begin: want class 08, got %v", err)
	}
	if err := e.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded on a server that is down")
	}
}

func TestPostgres(t *testing.T) {
	srv := pgtest.Start(t)
	base := srv.URL("postgres")
	ctx := context.Background()
	e := openTestPG(t, base)
	if err := e.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	direct, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)

	t.Run("Query", func(t *testing.T) {
		r, err := e.Query(ctx, "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10,2))", nil)
		readRows(t, r, err)
		if r.Tag() != "CREATE TABLE" || r.Fields() != nil {
			t.Fatalf("tag %q fields %v", r.Tag(), r.Fields())
		}
		r, err = e.Query(ctx, "INSERT INTO items VALUES ($1, $2, $3), (2, NULL, 3), (3, 'c', NULL)", []any{int64(1), "a", float64(12.5)})
		readRows(t, r, err)
		if r.Tag() != "INSERT 0 3" || r.Fields() != nil {
			t.Fatalf("tag %q fields %v", r.Tag(), r.Fields())
		}
		r, err = e.Query(ctx, "SELECT id, name, price, id > $1 AS big FROM items ORDER BY id", []any{int64(1)})
		rows := readRows(t, r, err)
		if got := rowStrings(rows); got != "1,a,12.50,f|2,NULL,3.00,t|3,c,NULL,t" {
			t.Fatalf("rows %q", got)
		}
		if r.Tag() != "SELECT 3" {
			t.Fatalf("tag %q", r.Tag())
		}
		f := r.Fields()
		if len(f) != 4 || f[0].Name != "id" || f[0].OID != sqltypes.OIDInt4 || f[1].OID != sqltypes.OIDText ||
			f[2].OID != sqltypes.OIDNumeric || f[2].TypeMod == -1 || f[0].TableOID == 0 || f[0].TableAttrNum != 1 || f[3].OID != sqltypes.OIDBool {
			t.Fatalf("fields %+v", f)
		}
		// Empty string is not NULL.
		rows = all(t)(e.Query(ctx, "SELECT ''::text, NULL::text", nil))
		if rows[0][0] == nil || rows[0][1] != nil {
			t.Fatalf("empty/NULL mixed up: %#v", rows[0])
		}
		// A server error comes back unchanged.
		_, err = e.Query(ctx, "SELECT * FROM nope", nil)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != sqltypes.UndefinedTable || err != error(pe) {
			t.Fatalf("want bare 42P01 PgError, got %#v", err)
		}
		if _, err := e.Query(ctx, "INSERT INTO items VALUES (1, 'dup', 0)", nil); pgCode(err) != "23505" {
			t.Fatalf("want 23505, got %v", err)
		}
		// An error after the first rows comes from Next.
		r, err = e.Query(ctx, "SELECT 1/(3-g) FROM generate_series(1,5) g", nil)
		if err == nil {
			_, err = sqltypes.ReadAll(ctx, r)
		}
		if pgCode(err) != "22012" {
			t.Fatalf("want 22012, got %v", err)
		}
		// A stream closed early frees its connection.
		r, err = e.Query(ctx, "SELECT g FROM generate_series(1,100000) g", nil)
		if err != nil {
			t.Fatal(err)
		}
		if row, err := r.Next(ctx); err != nil || string(row[0]) != "1" {
			t.Fatalf("%v %v", row, err)
		}
		r.Close()
		rows = all(t)(e.Query(ctx, "SELECT count(*) FROM items", nil))
		if rowStrings(rows) != "3" {
			t.Fatalf("count %q", rowStrings(rows))
		}
	})

	t.Run("QueryRawBinary", func(t *testing.T) {
		sql := "SELECT id, name, price, now() > '2000-01-01'::timestamptz AS recent, 1.5::float8 AS f FROM items WHERE id <= $1 ORDER BY id"
		formats := []int16{1, 1, 1, 1, 0}
		b := &sqltypes.Bound{Args: []any{int64(2)}, Raw: [][]byte{{0, 0, 0, 2}}, ParamFormats: []int16{1}, ResultFormats: formats}
		for i := 0; i < 2; i++ { // the second run uses the prepared statement
			r, err := e.QueryRaw(ctx, sql, b)
			if err != nil {
				t.Fatal(err)
			}
			enc, ok := r.(sqltypes.Encoded)
			if !ok {
				t.Fatal("QueryRaw rows do not implement sqltypes.Encoded")
			}
			if fmt.Sprint(enc.Formats()) != fmt.Sprint(formats) {
				t.Fatalf("formats %v", enc.Formats())
			}
			got := readRows(t, r, nil)
			want, err := direct.PgConn().ExecParams(ctx, sql, [][]byte{{0, 0, 0, 2}}, []uint32{23}, []int16{1}, formats).Read(), error(nil)
			if want.Err != nil || err != nil {
				t.Fatal(want.Err)
			}
			if len(got) != len(want.Rows) || len(got) != 2 {
				t.Fatalf("got %d rows, want %d", len(got), len(want.Rows))
			}
			for i := range got {
				for j := range got[i] {
					if !bytes.Equal(got[i][j], want.Rows[i][j]) || (got[i][j] == nil) != (want.Rows[i][j] == nil) {
						t.Fatalf("row %d col %d: %x, want %x", i, j, got[i][j], want.Rows[i][j])
					}
				}
			}
			if r.Tag() != "SELECT 2" || len(r.Fields()) != 5 || r.Fields()[4].OID != sqltypes.OIDFloat8 {
				t.Fatalf("tag %q fields %+v", r.Tag(), r.Fields())
			}
		}
		// Decoded arguments without raw values: text rows, not Encoded.
		r, err := e.QueryRaw(ctx, "SELECT name FROM items WHERE id = $1", &sqltypes.Bound{Args: []any{int64(1)}})
		if _, ok := r.(sqltypes.Encoded); ok || err != nil {
			t.Fatalf("args-only QueryRaw: encoded=%v err=%v", ok, err)
		}
		if rowStrings(readRows(t, r, nil)) != "a" {
			t.Fatal("wrong row")
		}
		// Zero-parameter extended execution asking for binary.
		r, err = e.QueryRaw(ctx, "SELECT 7::int8", &sqltypes.Bound{Raw: [][]byte{}, ResultFormats: []int16{1}})
		rows := readRows(t, r, err)
		if !bytes.Equal(rows[0][0], []byte{0, 0, 0, 0, 0, 0, 0, 7}) {
			t.Fatalf("binary int8 %x", rows[0][0])
		}
	})

	t.Run("QueryRawSimple", func(t *testing.T) {
		_, err := e.QueryRaw(ctx, "SELECT 1 +", &sqltypes.Bound{})
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != sqltypes.SyntaxError || pe.Position == 0 {
			t.Fatalf("want 42601 with a position, got %#v", err)
		}
		_, derr := direct.PgConn().Exec(ctx, "SELECT 1 +").ReadAll()
		var dpe *pgconn.PgError
		if !errors.As(derr, &dpe) || dpe.Position != pe.Position {
			t.Fatalf("position %d, Postgres says %v", pe.Position, derr)
		}
		r, err := e.QueryRaw(ctx, "/* hi */ SELECT 'x' AS a, NULL::int AS b -- end", &sqltypes.Bound{})
		if _, ok := r.(sqltypes.Encoded); !ok {
			t.Fatal("simple QueryRaw rows are not Encoded")
		}
		if got := rowStrings(readRows(t, r, err)); got != "x,NULL" || r.Tag() != "SELECT 1" || r.Fields()[1].OID != sqltypes.OIDInt4 {
			t.Fatalf("got %q %q", got, r.Tag())
		}
		r, err = e.QueryRaw(ctx, "VACUUM items", &sqltypes.Bound{})
		readRows(t, r, err)
		if r.Tag() != "VACUUM" {
			t.Fatalf("tag %q", r.Tag())
		}
	})

	t.Run("StalePlan", func(t *testing.T) {
		all(t)(e.Query(ctx, "CREATE TABLE st (a int)", nil))
		all(t)(e.Query(ctx, "INSERT INTO st VALUES (1)", nil))
		sql := "SELECT * FROM st"
		b := &sqltypes.Bound{Raw: [][]byte{}}
		sqlArgs := "SELECT * FROM st WHERE a = $1"
		all(t)(e.QueryRaw(ctx, sql, b))
		all(t)(e.Query(ctx, sqlArgs, []any{int64(1)}))
		all(t)(e.Query(ctx, "ALTER TABLE st ADD COLUMN b text DEFAULT 'z'", nil))
		r, err := e.QueryRaw(ctx, sql, b)
		if got := rowStrings(readRows(t, r, err)); got != "1,z" {
			t.Fatalf("after ALTER: %q", got)
		}
		if got := rowStrings(all(t)(e.Query(ctx, sqlArgs, []any{int64(1)}))); got != "1,z" {
			t.Fatalf("after ALTER: %q", got)
		}
		// Inside a transaction the statement fails (as on Postgres) and is
		// prepared again afterwards.
		e1 := openTestPG(t, base+"&pool_size=1")
		all(t)(e1.Query(ctx, sqlArgs, []any{int64(1)}))
		tx, err := e1.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all(t)(tx.Query(ctx, sqlArgs, []any{int64(1)}))
		all(t)(tx.Query(ctx, "ALTER TABLE st ADD COLUMN c int", nil))
		if _, err := tx.Query(ctx, sqlArgs, []any{int64(1)}); pgCode(err) != "0A000" {
			t.Fatalf("stale plan in a transaction: %v", err)
		}
		tx.Rollback(ctx)
		if got := rowStrings(all(t)(e1.Query(ctx, sqlArgs, []any{int64(1)}))); got != "1,z" {
			t.Fatalf("after rollback: %q", got)
		}
	})

	t.Run("StatementCache", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=1")
		for i := 0; i < pgMaxStatements+50; i++ {
			sql := fmt.Sprintf("SELECT $1::int + %d", i)
			got := rowStrings(all(t)(e.QueryRaw(ctx, sql, &sqltypes.Bound{Raw: [][]byte{[]byte("1")}})))
			if got != fmt.Sprint(i+1) {
				t.Fatalf("%s: %q", sql, got)
			}
		}
		got := rowStrings(all(t)(e.Query(ctx, "SELECT count(*) FROM pg_prepared_statements", nil)))
		if n, err := strconv.Atoi(got); err != nil || n > pgMaxStatements || n == 0 {
			t.Fatalf("%s prepared statements on one connection", got)
		}
		// The first ones were evicted and work again.
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT $1::int + 0", []any{int64(5)}))); got != "5" {
			t.Fatalf("got %q", got)
		}
		if _, err := e.Query(ctx, "SELECT $1::int + $2::int", []any{int64(1)}); pgCode(err) != "08P01" {
			t.Fatalf("missing argument: %v", err)
		}
		if _, err := e.Query(ctx, "SELECT $1::int", []any{"abc"}); pgCode(err) != "22P02" {
			t.Fatalf("bad argument: %v", err)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT $1::int + 1", []any{"41"}))); got != "42" {
			t.Fatalf("got %q", got)
		}
	})

	t.Run("Describe", func(t *testing.T) {
		params, fields, err := e.Describe(ctx, "SELECT id, name FROM items WHERE id = $1 AND name <> $2", nil)
		if err != nil || fmt.Sprint(params) != "[23 25]" || len(fields) != 2 || fields[1].Name != "name" || fields[0].OID != sqltypes.OIDInt4 {
			t.Fatalf("%v %+v %v", params, fields, err)
		}
		params, fields, err = e.Describe(ctx, "INSERT INTO items (id) VALUES ($1)", []uint32{sqltypes.OIDInt8})
		if err != nil || fmt.Sprint(params) != "[20]" || fields != nil {
			t.Fatalf("%v %+v %v", params, fields, err)
		}
		if _, _, err := e.Describe(ctx, "SELECT * FROM nope", nil); pgCode(err) != "42P01" {
			t.Fatalf("want 42P01, got %v", err)
		}
	})

	t.Run("Transactions", func(t *testing.T) {
		tx, err := e.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all(t)(tx.Query(ctx, "INSERT INTO items VALUES (10, 'tx', 1)", nil))
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Query(ctx, "SELECT 1", nil); err == nil {
			t.Fatal("query after rollback succeeded")
		}
		tx, err = e.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all(t)(tx.Query(ctx, "INSERT INTO items VALUES (11, 'tx', 1)", nil))
		raw := tx.(interface {
			QueryRaw(context.Context, string, *sqltypes.Bound) (sqltypes.Rows, error)
		})
		all(t)(raw.QueryRaw(ctx, "INSERT INTO items VALUES (12, 'tx', 1)", &sqltypes.Bound{}))
		d := tx.(interface {
			Describe(context.Context, string, []uint32) ([]uint32, []sqltypes.Field, error)
		})
		if _, f, err := d.Describe(ctx, "SELECT * FROM items", nil); err != nil || len(f) != 3 {
			t.Fatalf("%v %v", f, err)
		}
		// One statement at a time on a transaction's connection.
		open, err := tx.Query(ctx, "SELECT g FROM generate_series(1,3) g", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Query(ctx, "SELECT 1", nil); pgCode(err) != "55000" {
			t.Fatalf("want busy error 55000, got %v", err)
		}
		readRows(t, open, nil)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT id FROM items WHERE id >= 10 ORDER BY id", nil))); got != "11|12" {
			t.Fatalf("after commit: %q", got)
		}
		// COMMIT of a failed transaction rolls back and says so.
		tx, err = e.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all(t)(tx.Query(ctx, "INSERT INTO items VALUES (13, 'tx', 1)", nil))
		if _, err := tx.Query(ctx, "SELECT * FROM nope", nil); pgCode(err) != "42P01" {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); pgCode(err) != "25P02" {
			t.Fatalf("want 25P02, got %v", err)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT count(*) FROM items WHERE id = 13", nil))); got != "0" {
			t.Fatalf("aborted tx committed: %q", got)
		}
	})

	t.Run("Reserve", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=1")
		r, err := e.Reserve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pid := rowStrings(all(t)(r.Query(ctx, "SELECT pg_backend_pid()", nil)))
		all(t)(r.Query(ctx, "CREATE TEMP TABLE tmp (x int)", nil))
		all(t)(r.Query(ctx, "INSERT INTO tmp VALUES (1)", nil))
		all(t)(r.Query(ctx, "SET application_name = 'reserved'", nil))
		rr := r.(interface {
			QueryRaw(context.Context, string, *sqltypes.Bound) (sqltypes.Rows, error)
		})
		b := &sqltypes.Bound{Raw: [][]byte{[]byte("1")}}
		if got := rowStrings(all(t)(rr.QueryRaw(ctx, "SELECT count(*) FROM tmp WHERE x = $1", b))); got != "1" {
			t.Fatalf("temp table: %q", got)
		}
		tx, err := r.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all(t)(tx.Query(ctx, "INSERT INTO tmp VALUES (2)", nil))
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := rowStrings(all(t)(r.Query(ctx, "SELECT count(*) FROM tmp", nil))); got != "2" {
			t.Fatalf("after reserved tx: %q", got)
		}
		// Leave a transaction open: Release rolls it back.
		if _, err := r.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		r.Release()
		r.Release()

		r2, err := e.Reserve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer r2.Release()
		if pid2 := rowStrings(all(t)(r2.Query(ctx, "SELECT pg_backend_pid()", nil))); pid2 != pid {
			t.Fatalf("pool_size=1 but a new backend: %s vs %s", pid2, pid)
		}
		if _, err := r2.Query(ctx, "SELECT * FROM tmp", nil); pgCode(err) != "42P01" {
			t.Fatalf("temp table survived Release: %v", err)
		}
		if got := rowStrings(all(t)(r2.Query(ctx, "SHOW application_name", nil))); got == "reserved" {
			t.Fatal("setting survived Release")
		}
		// The statement prepared before DISCARD ALL is prepared again.
		all(t)(r2.Query(ctx, "CREATE TEMP TABLE tmp (x int)", nil))
		if got := rowStrings(all(t)(r2.(*pgReserved).QueryRaw(ctx, "SELECT count(*) FROM tmp WHERE x = $1", b))); got != "0" {
			t.Fatalf("re-prepared: %q", got)
		}
		// A client's DISCARD ALL on the reservation is survived as well.
		all(t)(r2.Query(ctx, "DISCARD ALL", nil))
		all(t)(r2.Query(ctx, "CREATE TEMP TABLE tmp (x int)", nil))
		if got := rowStrings(all(t)(r2.(*pgReserved).QueryRaw(ctx, "SELECT count(*) FROM tmp WHERE x = $1", b))); got != "0" {
			t.Fatalf("after client DISCARD ALL: %q", got)
		}
	})

	t.Run("Settings", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=1")
		german := sqltypes.WithSettings(ctx, sqltypes.NewSettings(map[string]string{"DateStyle": "German", "search_path": "public"}))
		if got := rowStrings(all(t)(e.Query(german, "SHOW DateStyle", nil))); !strings.HasPrefix(got, "German") {
			t.Fatalf("DateStyle %q", got)
		}
		sqlStyle := sqltypes.WithSettings(ctx, sqltypes.NewSettings(map[string]string{"DateStyle": "SQL, DMY"}))
		if got := rowStrings(all(t)(e.QueryRaw(sqlStyle, "SHOW DateStyle", &sqltypes.Bound{}))); got != "SQL, DMY" {
			t.Fatalf("DateStyle %q", got)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SHOW DateStyle", nil))); got != "ISO, MDY" {
			t.Fatalf("no settings: DateStyle %q", got)
		}
		// A client's SET through a pooled statement is undone for the next one.
		all(t)(e.Query(ctx, "SET DateStyle = 'Postgres'", nil))
		if got := rowStrings(all(t)(e.Query(ctx, "SHOW DateStyle", nil))); got != "ISO, MDY" {
			t.Fatalf("leaked SET: DateStyle %q", got)
		}
		r, err := e.Reserve(german)
		if err != nil {
			t.Fatal(err)
		}
		if got := rowStrings(all(t)(r.Query(ctx, "SHOW DateStyle", nil))); !strings.HasPrefix(got, "German") {
			t.Fatalf("reserved DateStyle %q", got)
		}
		r.Release()
		bad := sqltypes.WithSettings(ctx, sqltypes.NewSettings(map[string]string{"DateStyle": "Martian"}))
		if _, err := e.Query(bad, "SELECT 1", nil); pgCode(err) != "22023" {
			t.Fatalf("bad setting: %v", err)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SHOW DateStyle", nil))); got != "ISO, MDY" {
			t.Fatalf("after bad setting: %q", got)
		}
	})

	t.Run("PoolBound", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=2")
		r1, err := e.Reserve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := e.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err = e.Query(wctx, "SELECT 1", nil)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != sqltypes.TooManyConnections || !strings.Contains(pe.Message, "pool_size 2") {
			t.Fatalf("want 53300, got %v", err)
		}
		if time.Since(start) < 150*time.Millisecond {
			t.Fatal("did not wait for a slot")
		}
		// A waiting acquire gets the slot as soon as one is freed.
		done := make(chan error, 1)
		go func() {
			r, err := e.Query(ctx, "SELECT 1", nil)
			if err == nil {
				_, err = sqltypes.ReadAll(ctx, r)
			}
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		r1.Release()
		if n := len(e.pool.all); n > 2 {
			t.Fatalf("%d connections with pool_size=2", n)
		}
	})

	t.Run("Notices", func(t *testing.T) {
		n := &sqltypes.Notices{}
		nctx := sqltypes.WithNotices(ctx, n)
		all(t)(e.Query(nctx, "DO $$ BEGIN RAISE NOTICE 'hi'; END $$", nil))
		got := n.Take()
		if len(got) != 1 || got[0].Message != "hi" {
			t.Fatalf("notices %v", got)
		}
		all(t)(e.QueryRaw(nctx, "DO $$ BEGIN RAISE NOTICE 'raw'; END $$", &sqltypes.Bound{}))
		if got := n.Take(); len(got) != 1 || got[0].Message != "raw" {
			t.Fatalf("notices %v", got)
		}
		// Not forwarded to a statement that did not ask.
		all(t)(e.Query(ctx, "DO $$ BEGIN RAISE NOTICE 'other'; END $$", nil))
		if got := n.Take(); len(got) != 0 {
			t.Fatalf("stray notices %v", got)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=1")
		pid := rowStrings(all(t)(e.Query(ctx, "SELECT pg_backend_pid()", nil)))
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		_, err := e.Query(cctx, "SELECT pg_sleep(10)", nil)
		if pgCode(err) != "57014" {
			t.Fatalf("want 57014, got %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("cancel took %v", d)
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT pg_backend_pid()", nil))); got != pid {
			t.Fatalf("connection replaced after cancel (%s -> %s): the server did not get a CancelRequest", pid, got)
		}
		// query_timeout from the URL.
		et := openTestPG(t, base+"&pool_size=1&query_timeout=200ms")
		_, err = et.Query(ctx, "SELECT pg_sleep(10)", nil)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != sqltypes.QueryCanceled || !strings.Contains(pe.Message, "statement timeout") {
			t.Fatalf("want 57014 statement timeout, got %v", err)
		}
		if got := rowStrings(all(t)(et.Query(ctx, "SELECT 2", nil))); got != "2" {
			t.Fatalf("after timeout: %q", got)
		}
	})

	t.Run("BrokenConnections", func(t *testing.T) {
		e := openTestPG(t, base+"&pool_size=1")
		pid := rowStrings(all(t)(e.Query(ctx, "SELECT pg_backend_pid()", nil)))
		hpid := e.health.conn.PgConn().PID()
		if _, err := direct.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[$1::int, $2::int]) pid", pid, int64(hpid)); err != nil {
			t.Fatal(err)
		}
		if err := e.Ping(ctx); err != nil {
			t.Fatalf("Ping after the health backend was terminated: %v", err)
		}
		time.Sleep(pgPingIdle + 100*time.Millisecond)
		got := rowStrings(all(t)(e.Query(ctx, "SELECT pg_backend_pid()", nil)))
		if got == pid {
			t.Fatal("terminated backend still in use")
		}
		// A connection lost in the middle of a transaction: class 08, and
		// the pool recovers.
		tx, err := e.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := direct.Exec(ctx, "SELECT pg_terminate_backend($1::int)", got); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := tx.Query(ctx, "SELECT 1", nil); !strings.HasPrefix(pgCode(err), "08") && pgCode(err) != "57P01" {
			t.Fatalf("want a connection error, got %v (%s)", err, pgCode(err))
		}
		tx.Rollback(ctx)
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT 3", nil))); got != "3" {
			t.Fatalf("after a lost connection: %q", got)
		}
	})

	t.Run("CopyRefused", func(t *testing.T) {
		for _, sql := range []string{"COPY items TO STDOUT", "/* c */ copy items from stdin", "-- x\n COPY (SELECT 1) TO STDOUT"} {
			if _, err := e.QueryRaw(ctx, sql, &sqltypes.Bound{}); pgCode(err) != "0A000" {
				t.Fatalf("%q: want 0A000, got %v", sql, err)
			}
		}
		if got := rowStrings(all(t)(e.Query(ctx, "SELECT 1", nil))); got != "1" {
			t.Fatalf("got %q", got)
		}
	})

	t.Run("Close", func(t *testing.T) {
		e, err := Open(ctx, base+"&pool_size=1", Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.Reserve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := e.Query(ctx, "SELECT 1", nil)
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		e.Close()
		select {
		case err := <-done:
			if !strings.HasPrefix(pgCode(err), "08") {
				t.Fatalf("pending acquire: want class 08, got %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Close did not fail a pending acquire")
		}
		if _, err := r.Query(ctx, "SELECT 1", nil); err == nil {
			t.Fatal("reserved connection still works after Close")
		}
		r.Release()
		if _, err := e.Query(ctx, "SELECT 1", nil); !strings.HasPrefix(pgCode(err), "08") {
			t.Fatalf("after Close: %v", err)
		}
	})
}

// all reads a whole result: all(t)(e.Query(...)).
func all(t *testing.T) func(sqltypes.Rows, error) []sqltypes.Row {
	return func(r sqltypes.Rows, err error) []sqltypes.Row {
		t.Helper()
		return readRows(t, r, err)
	}
}
