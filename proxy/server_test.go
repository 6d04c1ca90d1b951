package proxy

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dotdo/vitess/sqltypes"
)

// testSession is a stand-in for the gate's executor: a handful of statements
// over data held in memory.
//
//	select n from series(K)         K int8 rows 1..K
//	select $1::int8, $2::text, ...  one row echoing the parameters, typed
//	select alltypes()               one row with a value of every type
//	select fail('CODE', 'msg')      a PgError wrapped as "shard -40: ..."
//	select oops()                   a plain Go error
//	select panic(), panic_exec()    panics in Prepare, in Execute
//	select sleep()                  blocks until its context is done
//	select point()                  a column of a type without binary support
//	insert ...                      no rows, tag INSERT 0 1
//	begin / commit / rollback       transaction status
//	set NAME = 'V'                  reported as ParameterStatus
type testSession struct {
	info    StartupInfo
	tx      byte
	changed map[string]string
	closed  *atomic.Int64
}

var (
	reSeries = regexp.MustCompile(`(?i)^select n from series\((\d+)\);?$`)
	reParam  = regexp.MustCompile(`\$(\d+)::([a-z0-9]+)`)
	reFail   = regexp.MustCompile(`(?i)^select fail\('(\w+)', '([^']*)'\)$`)
	reSet    = regexp.MustCompile(`(?i)^set (\w+) = '([^']*)'$`)
	reConst  = regexp.MustCompile(`(?i)^select (\d+)$`)
)

func (s *testSession) TxStatus() byte { return s.tx }

// SplitQuery splits with the parser, as the gate's sessions do.
func (s *testSession) SplitQuery(sql string) ([]string, bool, error) {
	parts, err := pg_query.SplitWithParser(sql, true)
	return parts, true, err
}
func (s *testSession) Close() { s.closed.Add(1) }
func (s *testSession) ParameterStatus() map[string]string {
	ps := s.changed
	s.changed = nil
	return ps
}

type testStmt struct {
	params []uint32
	fields []sqltypes.Field
	exec   func(ctx context.Context, args []any) (sqltypes.Rows, error)
}

func (st *testStmt) ParamOIDs() []uint32      { return st.params }
func (st *testStmt) Fields() []sqltypes.Field { return st.fields }
func (st *testStmt) Execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error) {
	return st.exec(ctx, b.ArgsOf())
}

func buffered(fields []sqltypes.Field, tag string, rows ...sqltypes.Row) func(context.Context, []any) (sqltypes.Rows, error) {
	return func(context.Context, []any) (sqltypes.Rows, error) {
		return &sqltypes.Buffered{Cols: fields, Data: rows, Command: tag}, nil
	}
}

// allTypes is the row "select alltypes()" returns: OID, text value.
var allTypes = []struct {
	oid  uint32
	text string
}{
	{sqltypes.OIDBool, "t"},
	{sqltypes.OIDInt2, "-12"},
	{sqltypes.OIDInt4, "123456"},
	{sqltypes.OIDInt8, "-9000000000"},
	{sqltypes.OIDFloat4, "1.5"},
	{sqltypes.OIDFloat8, "3.25"},
	{sqltypes.OIDNumeric, "12.50"},
	{sqltypes.OIDText, "héllo"},
	{sqltypes.OIDVarchar, "var"},
	{sqltypes.OIDBPChar, "ab "},
	{sqltypes.OIDName, "nm"},
	{sqltypes.OIDBytea, `\x00ff10`},
	{sqltypes.OIDDate, "2024-02-29"},
	{sqltypes.OIDTimestamp, "2024-01-02 03:04:05.123456"},
	{sqltypes.OIDTimestamptz, "2024-01-02 03:04:05.5+00"},
	{sqltypes.OIDJSON, `{"a": 1}`},
	{sqltypes.OIDJSONB, `{"b": 2}`},
	{sqltypes.OIDUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{sqltypes.OIDOid, "4000000000"},
}

func (s *testSession) Prepare(ctx context.Context, sql string, paramOIDs []uint32) (Statement, error) {
	q := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sql), ";"))
	lower := strings.ToLower(q)
	int8Field := []sqltypes.Field{sqltypes.NewField("n", sqltypes.OIDInt8)}
	switch {
	case strings.HasPrefix(lower, "insert"):
		var st testStmt
		for _, m := range reParam.FindAllStringSubmatch(q, -1) {
			oid, _, _ := sqltypes.ParseTypeName(m[2])
			st.params = append(st.params, oid)
		}
		st.exec = buffered(nil, "INSERT 0 1")
		return &st, nil
	case reSeries.MatchString(q):
		k, _ := strconv.Atoi(reSeries.FindStringSubmatch(q)[1])
		var rows []sqltypes.Row
		for i := 1; i <= k; i++ {
			rows = append(rows, sqltypes.Row{[]byte(strconv.Itoa(i))})
		}
		return &testStmt{fields: int8Field, exec: buffered(int8Field, fmt.Sprintf("SELECT %d", k), rows...)}, nil
	case reConst.MatchString(q):
		f := []sqltypes.Field{sqltypes.NewField("?column?", sqltypes.OIDInt4)}
		return &testStmt{fields: f, exec: buffered(f, "SELECT 1", sqltypes.Row{[]byte(reConst.FindStringSubmatch(q)[1])})}, nil
	case reParam.MatchString(q):
		var st testStmt
		for _, m := range reParam.FindAllStringSubmatch(q, -1) {
			oid, _, ok := sqltypes.ParseTypeName(m[2])
			if !ok {
				return nil, sqltypes.Errorf(sqltypes.UndefinedObject, "type %q does not exist", m[2])
			}
			st.params = append(st.params, oid)
			st.fields = append(st.fields, sqltypes.NewField(m[2], oid))
		}
		st.exec = func(ctx context.Context, args []any) (sqltypes.Rows, error) {
			row := make(sqltypes.Row, len(args))
			for i, a := range args {
				row[i] = renderArg(st.params[i], a)
			}
			return &sqltypes.Buffered{Cols: st.fields, Data: []sqltypes.Row{row}, Command: "SELECT 1"}, nil
		}
		return &st, nil
	case lower == "select alltypes()":
		var st testStmt
		var row sqltypes.Row
		for i, c := range allTypes {
			st.fields = append(st.fields, sqltypes.NewField(fmt.Sprintf("c%d", i), c.oid))
			row = append(row, []byte(c.text))
		}
		st.fields = append(st.fields, sqltypes.NewField("null", sqltypes.OIDInt4))
		row = append(row, nil)
		st.exec = buffered(st.fields, "SELECT 1", row)
		return &st, nil
	case reFail.MatchString(q):
		m := reFail.FindStringSubmatch(q)
		f := []sqltypes.Field{sqltypes.NewField("fail", sqltypes.OIDInt4)}
		return &testStmt{fields: f, exec: func(context.Context, []any) (sqltypes.Rows, error) {
			return nil, fmt.Errorf("shard -40: %w", &pgconn.PgError{Severity: "ERROR", Code: m[1], Message: m[2], Detail: "some detail", ConstraintName: "c_pkey"})
		}}, nil
	case lower == "select panic()":
		panic("test panic in Prepare")
	case lower == "select panic_exec()":
		f := []sqltypes.Field{sqltypes.NewField("p", sqltypes.OIDInt4)}
		return &testStmt{fields: f, exec: func(context.Context, []any) (sqltypes.Rows, error) {
			panic("test panic in Execute")
		}}, nil
	case lower == "select oops()":
		f := []sqltypes.Field{sqltypes.NewField("oops", sqltypes.OIDInt4)}
		return &testStmt{fields: f, exec: func(context.Context, []any) (sqltypes.Rows, error) {
			return nil, errors.New("something broke")
		}}, nil
	case lower == "select sleep()":
		f := []sqltypes.Field{sqltypes.NewField("sleep", sqltypes.OIDInt4)}
		return &testStmt{fields: f, exec: func(ctx context.Context, _ []any) (sqltypes.Rows, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}, nil
	case lower == "select point()":
		f := []sqltypes.Field{sqltypes.NewField("p", 600)}
		return &testStmt{fields: f, exec: buffered(f, "SELECT 1", sqltypes.Row{[]byte("(1,2)")})}, nil
	case lower == "begin":
		return &testStmt{exec: func(context.Context, []any) (sqltypes.Rows, error) {
			s.tx = 'T'
			return &sqltypes.Buffered{Command: "BEGIN"}, nil
		}}, nil
	case lower == "commit", lower == "rollback":
		return &testStmt{exec: func(context.Context, []any) (sqltypes.Rows, error) {
			s.tx = 'I'
			return &sqltypes.Buffered{Command: strings.ToUpper(lower)}, nil
		}}, nil
	case reSet.MatchString(q):
		m := reSet.FindStringSubmatch(q)
		return &testStmt{exec: func(context.Context, []any) (sqltypes.Rows, error) {
			s.changed = map[string]string{m[1]: m[2]}
			return &sqltypes.Buffered{Command: "SET"}, nil
		}}, nil
	}
	return nil, sqltypes.Errorf(sqltypes.SyntaxError, "test session does not know %q", q)
}

// renderArg renders a decoded parameter in Postgres text format.
func renderArg(oid uint32, a any) []byte {
	switch v := a.(type) {
	case nil:
		return nil
	case int64:
		return []byte(strconv.FormatInt(v, 10))
	case float64:
		return []byte(strconv.FormatFloat(v, 'g', -1, 64))
	case bool:
		if v {
			return []byte("t")
		}
		return []byte("f")
	case []byte:
		return []byte(`\x` + hex.EncodeToString(v))
	case time.Time:
		switch oid {
		case sqltypes.OIDDate:
			return []byte(v.Format("2006-01-02"))
		case sqltypes.OIDTimestamp:
			return []byte(v.Format("2006-01-02 15:04:05.999999"))
		}
		return []byte(v.UTC().Format("2006-01-02 15:04:05.999999") + "+00")
	case string:
		return []byte(v)
	}
	return []byte(fmt.Sprintf("unexpected %T", a))
}

// testServer is a Server on a loopback port with the test session.
type testServer struct {
	*Server
	addr   string
	host   string
	port   int
	closed atomic.Int64
	panics atomic.Int64
}

func startServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	return startServerAt(t, cfg, "127.0.0.1:0")
}

// startServerAt is startServer listening on addr.
func startServerAt(t testing.TB, cfg Config, addr string) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ts := &testServer{}
	ts.Server = NewServer(cfg, func(ctx context.Context, info StartupInfo) (Session, error) {
		if info.Database == "nosuch" {
			return nil, sqltypes.Errorf(sqltypes.InvalidCatalogName, "database %q does not exist", info.Database)
		}
		return &testSession{info: info, tx: 'I', closed: &ts.closed,
			changed: map[string]string{"vitess_keyspace": info.Database}}, nil
	})
	ts.Server.onPanic = func(r any) {
		ts.panics.Add(1)
		t.Errorf("server panicked: %v", r)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	ts.host = l.Addr().(*net.TCPAddr).IP.String()
	ts.port = l.Addr().(*net.TCPAddr).Port
	served := make(chan error, 1)
	go func() { served <- ts.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ts
}

func (ts *testServer) url(user, password, db string, extra string) string {
	u := "postgres://" + user
	if password != "" {
		u += ":" + password
	}
	u += fmt.Sprintf("@%s/%s?sslmode=disable", ts.addr, db)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

func connect(t *testing.T, ts *testServer, extra string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, ts.url("app", "", "main", extra))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// querySeries runs select n from series(k) and wants the rows 1..k; it
// returns the command tag.
func querySeries(t *testing.T, ctx context.Context, c *pgx.Conn, k int) string {
	t.Helper()
	rows, err := c.Query(ctx, fmt.Sprintf("select n from series(%d)", k))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ns) != k || ns[k-1] != int64(k) {
		t.Fatalf("series(%d): %v %v", k, ns, err)
	}
	return rows.CommandTag().String()
}

// wantServing runs select k on c and wants k back: c still serves, when
// says after what.
func wantServing(t *testing.T, c *pgx.Conn, k int, when string) {
	t.Helper()
	var n int
	if err := c.QueryRow(testCtx(t), fmt.Sprintf("select %d", k)).Scan(&n); err != nil || n != k {
		t.Fatalf("%s: %v %v", when, n, err)
	}
}

func wantCode(t *testing.T, err error, code string) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want SQLSTATE %s, got %v", code, err)
	}
	if pe.Code != code {
		t.Fatalf("want SQLSTATE %s, got %s: %s", code, pe.Code, pe.Message)
	}
	return pe
}

func TestServerStartupParams(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "application_name=myapp&vitess_report=on")
	pc := c.PgConn()
	for k, want := range map[string]string{
		"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
		"DateStyle": "ISO, MDY", "integer_datetimes": "on", "standard_conforming_strings": "on",
		"TimeZone": "UTC", "IntervalStyle": "postgres", "is_superuser": "off",
		"session_authorization": "app", "application_name": "myapp", "vitess_keyspace": "main",
	} {
		if got := pc.ParameterStatus(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if pc.PID() == 0 {
		t.Error("no BackendKeyData")
	}
	if pc.TxStatus() != 'I' {
		t.Errorf("TxStatus %c", pc.TxStatus())
	}
	// The gate's own vitess_* parameters only go to clients that ask.
	if got := connect(t, ts, "").PgConn().ParameterStatus("vitess_keyspace"); got != "" {
		t.Errorf("vitess_keyspace = %q without vitess_report", got)
	}
}

func TestServerPgxExtended(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	ctx := testCtx(t)

	if tag := querySeries(t, ctx, c, 5); tag != "SELECT 5" {
		t.Errorf("tag %q", tag)
	}

	ts0 := time.Date(2024, 3, 4, 5, 6, 7, 123456000, time.UTC)
	var num pgtype.Numeric
	if err := num.Scan("12.50"); err != nil {
		t.Fatal(err)
	}
	var (
		gi  int64
		gs  string
		gb  bool
		gf  float64
		gt  time.Time
		gby []byte
		gn  pgtype.Numeric
		gi4 int32
		gnl *string
	)
	err := c.QueryRow(ctx, "select $1::int8, $2::text, $3::bool, $4::float8, $5::timestamptz, $6::bytea, $7::numeric, $8::int4, $9::text",
		int64(-42), "héllo wörld", true, 2.5, ts0, []byte{0, 1, 0xfe}, num, int32(7), nil).
		Scan(&gi, &gs, &gb, &gf, &gt, &gby, &gn, &gi4, &gnl)
	if err != nil {
		t.Fatal(err)
	}
	if gi != -42 || gs != "héllo wörld" || !gb || gf != 2.5 || !gt.Equal(ts0) || string(gby) != "\x00\x01\xfe" || gi4 != 7 || gnl != nil {
		t.Errorf("echo: %v %q %v %v %v %x %v %v", gi, gs, gb, gf, gt, gby, gi4, gnl)
	}
	if v, _ := gn.Value(); v != "12.50" {
		t.Errorf("numeric %v", v)
	}

	// Every supported type in binary, scanned by pgx.
	var (
		b    bool
		i2   int16
		i4   int32
		i8   int64
		f4   float32
		f8   float64
		n    pgtype.Numeric
		txt  string
		vc   string
		bp   string
		nm   string
		by   []byte
		d    time.Time
		tsz  time.Time
		tstz time.Time
		js   map[string]any
		jb   map[string]any
		u    pgtype.UUID
		o    uint32
		nl   *int32
	)
	err = c.QueryRow(ctx, "select alltypes()").Scan(&b, &i2, &i4, &i8, &f4, &f8, &n, &txt, &vc, &bp, &nm, &by, &d, &tsz, &tstz, &js, &jb, &u, &o, &nl)
	if err != nil {
		t.Fatal(err)
	}
	if !b || i2 != -12 || i4 != 123456 || i8 != -9000000000 || f4 != 1.5 || f8 != 3.25 || txt != "héllo" || vc != "var" || bp != "ab " || nm != "nm" {
		t.Errorf("alltypes scalars: %v %v %v %v %v %v %q %q %q %q", b, i2, i4, i8, f4, f8, txt, vc, bp, nm)
	}
	if v, _ := n.Value(); v != "12.50" {
		t.Errorf("numeric %v", v)
	}
	if string(by) != "\x00\xff\x10" || d.Format("2006-01-02") != "2024-02-29" ||
		!tsz.Equal(time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)) ||
		!tstz.Equal(time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC)) {
		t.Errorf("alltypes: %x %v %v %v", by, d, tsz, tstz)
	}
	if js["a"] != float64(1) || jb["b"] != float64(2) || o != 4000000000 || nl != nil {
		t.Errorf("alltypes json/oid: %v %v %v %v", js, jb, o, nl)
	}
	if fmt.Sprintf("%x", u.Bytes) != "a0eebc999c0b4ef8bb6d6bb9bd380a11" {
		t.Errorf("uuid %x", u.Bytes)
	}

	// A type without a binary format is refused, and the connection lives on.
	var p any
	err = c.QueryRow(ctx, "select point()").Scan(&p)
	wantCode(t, err, "0A000")
	if err := c.QueryRow(ctx, "select 1").Scan(&i4); err != nil || i4 != 1 {
		t.Fatalf("after error: %v %v", i4, err)
	}

	// NULL parameters, inserts (no rows), errors.
	tag, err := c.Exec(ctx, "insert into t values ($1::int8)", nil)
	if err != nil || tag.String() != "INSERT 0 1" {
		t.Fatalf("insert: %v %v", tag, err)
	}
	_, err = c.Exec(ctx, "select fail('23505', 'duplicate key value violates unique constraint')")
	pe := wantCode(t, err, "23505")
	if pe.Message != "shard -40: duplicate key value violates unique constraint" || pe.Detail != "some detail" || pe.ConstraintName != "c_pkey" {
		t.Errorf("error fields: %+v", pe)
	}
	_, err = c.Exec(ctx, "select oops()")
	if pe := wantCode(t, err, "XX000"); pe.Message != "something broke" {
		t.Errorf("message %q", pe.Message)
	}
	_, err = c.Exec(ctx, "select from where")
	wantCode(t, err, "42601")
}

func TestServerSimpleProtocol(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "default_query_exec_mode=simple_protocol")
	ctx := testCtx(t)
	querySeries(t, ctx, c, 3)
	results, err := c.PgConn().Exec(ctx, "select n from series(2); insert into t values (1); select 7").ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 || len(results[0].Rows) != 2 || results[1].CommandTag.String() != "INSERT 0 1" || string(results[2].Rows[0][0]) != "7" {
		t.Fatalf("multi: %+v", results)
	}
	// The error stops the rest of the string.
	results, err = c.PgConn().Exec(ctx, "select 1; select fail('22012', 'division by zero'); select 2").ReadAll()
	wantCode(t, err, "22012")
	if len(results) < 1 || string(results[0].Rows[0][0]) != "1" {
		t.Errorf("want the first result before the error, got %+v", results)
	}
	// Empty query.
	results, err = c.PgConn().Exec(ctx, " ; -- nothing").ReadAll()
	if err != nil || len(results) != 1 || len(results[0].Rows) != 0 {
		t.Fatalf("empty query: %+v %v", results, err)
	}
	// Transaction status and parameter changes.
	if _, err := c.Exec(ctx, "begin"); err != nil || c.PgConn().TxStatus() != 'T' {
		t.Fatalf("begin: %v %c", err, c.PgConn().TxStatus())
	}
	if _, err := c.Exec(ctx, "set application_name = 'other'"); err != nil || c.PgConn().ParameterStatus("application_name") != "other" {
		t.Fatalf("set: %v %q", err, c.PgConn().ParameterStatus("application_name"))
	}
	if _, err := c.Exec(ctx, "commit"); err != nil || c.PgConn().TxStatus() != 'I' {
		t.Fatalf("commit: %v %c", err, c.PgConn().TxStatus())
	}
}

func TestServerPipelineBatch(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	ctx := testCtx(t)

	// pgx batch: many Parse/Bind/Execute, one Sync.
	b := &pgx.Batch{}
	b.Queue("select n from series(3)")
	b.Queue("select $1::int8", 9)
	b.Queue("insert into t values ($1::text)", "x")
	br := c.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		t.Fatal(err)
	}
	ns, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ns) != 3 {
		t.Fatalf("batch 1: %v %v", ns, err)
	}
	var n int64
	if err := br.QueryRow().Scan(&n); err != nil || n != 9 {
		t.Fatalf("batch 2: %v %v", n, err)
	}
	if tag, err := br.Exec(); err != nil || tag.String() != "INSERT 0 1" {
		t.Fatalf("batch 3: %v %v", tag, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}

	// pgconn batch with an error in the middle: the rest is skipped until Sync.
	pb := &pgconn.Batch{}
	pb.ExecParams("select n from series(2)", nil, nil, nil, nil)
	pb.ExecParams("select fail('42P01', 'relation \"x\" does not exist')", nil, nil, nil, nil)
	pb.ExecParams("select n from series(4)", nil, nil, nil, nil)
	res, err := c.PgConn().ExecBatch(ctx, pb).ReadAll()
	wantCode(t, err, "42P01")
	if len(res) < 1 || len(res[0].Rows) != 2 {
		t.Fatalf("batch results: %+v", res)
	}
	// Still in sync afterwards.
	wantServing(t, c, 3, "after batch")

	// Pipeline mode: several statements, one Sync.
	p := c.PgConn().StartPipeline(ctx)
	p.SendQueryParams("select $1::int8", [][]byte{[]byte("11")}, nil, nil, nil)
	p.SendQueryParams("select n from series(2)", nil, nil, nil, nil)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := p.GetResults()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := r.(*pgconn.PipelineSync); ok {
			break
		}
		if rr, ok := r.(*pgconn.ResultReader); ok {
			res := rr.Read()
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, row := range res.Rows {
				got = append(got, string(row[0]))
			}
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "11,1,2" {
		t.Errorf("pipeline rows %v", got)
	}
}

func TestServerPreparedByName(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	ctx := testCtx(t)
	sd, err := c.Prepare(ctx, "echo", "select $1::int8, $2::text")
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 2 || sd.ParamOIDs[0] != sqltypes.OIDInt8 || len(sd.Fields) != 2 {
		t.Fatalf("description: %+v", sd)
	}
	for i := range 3 {
		var n int64
		var s string
		if err := c.QueryRow(ctx, "echo", i, fmt.Sprint("v", i)).Scan(&n, &s); err != nil || n != int64(i) || s != fmt.Sprint("v", i) {
			t.Fatalf("exec %d: %v %q %v", i, n, s, err)
		}
	}
	_, err = c.PgConn().Prepare(ctx, "echo", "select 1", nil)
	wantCode(t, err, "42P05")
	if err := c.Deallocate(ctx, "echo"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().Prepare(ctx, "echo", "select 1", nil); err != nil {
		t.Fatalf("re-prepare after close: %v", err)
	}
}

func TestServerPsql(t *testing.T) {
	psql := "/usr/bin/psql"
	if _, err := os.Stat(psql); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("psql not installed")
		}
		t.Skip("psql not installed")
	}
	ts := startServer(t, Config{})
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(psql, append([]string{"-X", "-h", ts.host, "-p", strconv.Itoa(ts.port), "-U", "app", "-d", "main", "-A", "-t"}, args...)...)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got := run("-c", "select n from series(3)"); got != "1\n2\n3\n" {
		t.Errorf("psql series: %q", got)
	}
	if got := run("-c", "select 5; select n from series(2)"); got != "5\n1\n2\n" {
		t.Errorf("psql multi: %q", got)
	}
	cmd := exec.Command(psql, "-X", "-h", ts.host, "-p", strconv.Itoa(ts.port), "-U", "app", "-d", "main", "-c", "select fail('23505', 'dup')")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "shard -40: dup") {
		t.Errorf("psql error: %v %s", err, out)
	}
}

func TestServerSSLRefused(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := testCtx(t)
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app@%s/main?sslmode=prefer", ts.addr))
	if err != nil {
		t.Fatalf("sslmode=prefer: %v", err)
	}
	c.Close(ctx)
	if _, err := pgx.Connect(ctx, fmt.Sprintf("postgres://app@%s/main?sslmode=require", ts.addr)); err == nil {
		t.Fatal("sslmode=require connected without TLS")
	}
}

func TestServerUnknownDatabase(t *testing.T) {
	ts := startServer(t, Config{})
	_, err := pgx.Connect(testCtx(t), ts.url("app", "", "nosuch", ""))
	if pe := wantCode(t, err, "3D000"); pe.Severity != "FATAL" {
		t.Errorf("severity %q", pe.Severity)
	}
}

func TestServerCancel(t *testing.T) {
	ts := startServer(t, Config{})
	cfg, err := pgx.ParseConfig(ts.url("app", "", "main", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	c, err := pgx.ConnectConfig(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Exec(ctx, "select sleep()")
	pe := wantCode(t, err, "57014")
	if pe.Message != "canceling statement due to user request" {
		t.Errorf("message %q", pe.Message)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	wantServing(t, c, 4, "after cancel")
}

func TestServerClientGoneCancelsStatement(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	go func() {
		time.Sleep(100 * time.Millisecond)
		// Close the socket under the running statement.
		_ = c.PgConn().Conn().Close()
	}()
	_, err := c.Exec(testCtx(t), "select sleep()")
	if err == nil {
		t.Fatal("statement on a closed socket succeeded")
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.closed.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("session not closed after the client went away")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerOversizedMessage(t *testing.T) {
	ts := startServer(t, Config{MaxMessageSize: 4096})
	c := connect(t, ts, "")
	_, err := c.Exec(testCtx(t), "select $1::text", strings.Repeat("x", 10000))
	wantCode(t, err, "54000")
	if !c.IsClosed() {
		// The server closed it; pgx notices on the next use at the latest.
		if err := c.Ping(testCtx(t)); err == nil {
			t.Error("connection still usable after an oversized message")
		}
	}
	c2 := connect(t, ts, "")
	var n int
	if err := c2.QueryRow(testCtx(t), "select 1").Scan(&n); err != nil {
		t.Fatalf("server stopped serving: %v", err)
	}
}

func TestServerGarbageStartup(t *testing.T) {
	ts := startServer(t, Config{})
	for _, garbage := range [][]byte{
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		{0, 0, 0, 8, 0, 2, 0, 0},                       // protocol 2.0
		{0, 0, 0, 9, 0, 3, 0, 0, 'x'},                  // unterminated parameters
		{0xff, 0xff, 0xff, 0xff},                       // negative length
		{0, 0, 0, 12, 4, 0xd2, 0x16, 0x2e, 0, 0, 0, 1}, // short cancel request
	} {
		nc, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(garbage)
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.ReadAll(nc)
		nc.Close()
	}
	wantServing(t, connect(t, ts, ""), 2, "after garbage")
}

func TestServerShutdown(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	wg.Wait()
	if err := c.Ping(testCtx(t)); err == nil {
		t.Error("idle connection survived shutdown")
	}
	if _, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		t.Error("still accepting after shutdown")
	}
}

func TestServerShutdownWaitsForActive(t *testing.T) {
	ts := startServer(t, Config{})
	c := connect(t, ts, "")
	ctx := testCtx(t)
	if _, err := c.Exec(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// A connection in a transaction is not idle: Shutdown waits, then
	// closes it when its context ends.
	if err := ts.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := c.Ping(ctx); err == nil {
		t.Error("connection survived forced shutdown")
	}
}

// floatsEqual compares floats treating NaNs as equal.
func floatsEqual(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b)
}
