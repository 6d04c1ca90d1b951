package proxy

import (
	"fmt"
	"github.com/dotdo/vitess/sqltypes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// rawClient speaks the protocol message by message over a real socket, for
// what drivers do not expose (row limits, exact message sequences).
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fe *pgproto3.Frontend
}

func rawDial(t testing.TB, ts *testServer) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

func rawConnect(t testing.TB, ts *testServer) *rawClient {
	t.Helper()
	rc := rawDial(t, ts)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "app", "database": "main"}})
	got := rc.untilReady()
	if !strings.HasPrefix(got[0], "AuthenticationOk") || got[len(got)-1] != "ReadyForQuery I" {
		t.Fatalf("startup: %v", got)
	}
	return rc
}

func (rc *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	rc.t.Helper()
	for _, m := range msgs {
		rc.fe.Send(m)
	}
	if err := rc.fe.Flush(); err != nil {
		rc.t.Fatal(err)
	}
}

// untilReady returns a summary of every message up to ReadyForQuery.
func (rc *rawClient) untilReady() []string {
	rc.t.Helper()
	var out []string
	for {
		msg, err := rc.fe.Receive()
		if err != nil {
			rc.t.Fatalf("receive after %v: %v", out, err)
		}
		out = append(out, summarize(msg))
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

func summarize(msg pgproto3.BackendMessage) string {
	switch m := msg.(type) {
	case *pgproto3.DataRow:
		var vs []string
		for _, v := range m.Values {
			vs = append(vs, string(v))
		}
		return "DataRow " + strings.Join(vs, ",")
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "Error " + m.Code
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.RowDescription:
		var names []string
		for _, f := range m.Fields {
			names = append(names, fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format))
		}
		return "RowDescription " + strings.Join(names, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case *pgproto3.ParameterStatus:
		return "ParameterStatus " + m.Name
	case *pgproto3.NegotiateProtocolVersion:
		return fmt.Sprintf("NegotiateProtocolVersion %d %v", m.NewestMinorProtocol, m.UnrecognizedOptions)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3.")
}

func wantMessages(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n  got  %q\n  want %q", got, want)
	}
}

func TestConnPortalSuspended(t *testing.T) {
	rc := rawConnect(t, startServer(t, Config{}))
	rc.send(
		&pgproto3.Parse{Query: "select n from series(5)"},
		&pgproto3.Describe{ObjectType: 'S'},
		&pgproto3.Bind{ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
	)
	wantMessages(t, rc.untilReady(),
		"ParseComplete", "ParameterDescription []", "RowDescription n:20:0",
		"BindComplete", "RowDescription n:20:1",
		"BindComplete",
		"DataRow 1", "DataRow 2", "PortalSuspended",
		"DataRow 3", "DataRow 4", "PortalSuspended",
		"DataRow 5", "CommandComplete SELECT 5",
		"ReadyForQuery I")

	// Named portals interleave; Close of the statement closes them.
	rc.send(
		&pgproto3.Parse{Name: "s", Query: "select n from series(3)"},
		&pgproto3.Bind{DestinationPortal: "a", PreparedStatement: "s"},
		&pgproto3.Bind{DestinationPortal: "b", PreparedStatement: "s"},
		&pgproto3.Execute{Portal: "a", MaxRows: 1},
		&pgproto3.Execute{Portal: "b", MaxRows: 2},
		&pgproto3.Execute{Portal: "a"},
		&pgproto3.Close{ObjectType: 'S', Name: "s"},
		&pgproto3.Execute{Portal: "b"},
		&pgproto3.Sync{},
	)
	wantMessages(t, rc.untilReady(),
		"ParseComplete", "BindComplete", "BindComplete",
		"DataRow 1", "PortalSuspended",
		"DataRow 1", "DataRow 2", "PortalSuspended",
		"DataRow 2", "DataRow 3", "CommandComplete SELECT 3",
		"CloseComplete",
		"Error 34000",
		"ReadyForQuery I")
}

func TestConnBinaryParamsAndResults(t *testing.T) {
	rc := rawConnect(t, startServer(t, Config{}))
	rc.send(
		&pgproto3.Parse{Query: "select $1::int4, $2::bool, $3::text"},
		&pgproto3.Bind{ParameterFormatCodes: []int16{1, 0, 0}, Parameters: [][]byte{{0, 0, 1, 0}, []byte("yes"), nil}, ResultFormatCodes: []int16{0}},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	wantMessages(t, rc.untilReady(), "ParseComplete", "BindComplete", "DataRow 256,t,", "CommandComplete SELECT 1", "ReadyForQuery I")
}

func TestConnExtendedErrors(t *testing.T) {
	rc := rawConnect(t, startServer(t, Config{}))
	// Duplicate name: error, the rest up to Sync is discarded.
	rc.send(
		&pgproto3.Parse{Name: "a", Query: "select 1"},
		&pgproto3.Parse{Name: "a", Query: "select 2"},
		&pgproto3.Bind{PreparedStatement: "a"},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	wantMessages(t, rc.untilReady(), "ParseComplete", "Error 42P05", "ReadyForQuery I")

	for _, tc := range []struct {
		name string
		msgs []pgproto3.FrontendMessage
		want []string
	}{
		{"wrong parameter count", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "p", Query: "select $1::int8"},
			&pgproto3.Bind{PreparedStatement: "p"},
		}, []string{"ParseComplete", "Error 08P01"}},
		{"bad text parameter", []pgproto3.FrontendMessage{
			&pgproto3.Bind{PreparedStatement: "p", Parameters: [][]byte{[]byte("abc")}},
		}, []string{"Error 22P02"}},
		{"bad binary parameter", []pgproto3.FrontendMessage{
			&pgproto3.Bind{PreparedStatement: "p", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}}},
		}, []string{"Error 22P03"}},
		{"unknown statement", []pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "nope"}}, []string{"Error 26000"}},
		{"unknown portal", []pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'P', Name: "nope"}}, []string{"Error 34000"}},
		{"describe unknown statement", []pgproto3.FrontendMessage{&pgproto3.Describe{ObjectType: 'S', Name: "nope"}}, []string{"Error 26000"}},
		{"result format count", []pgproto3.FrontendMessage{
			&pgproto3.Bind{PreparedStatement: "a", ResultFormatCodes: []int16{0, 1}},
		}, []string{"Error 08P01"}},
		{"binary of unsupported type", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: "select point()"},
			&pgproto3.Bind{ResultFormatCodes: []int16{1}},
		}, []string{"ParseComplete", "Error 0A000"}},
		{"multiple commands", []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select 1; select 2"}}, []string{"Error 42601"}},
		{"empty query", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: "  "},
			&pgproto3.Describe{ObjectType: 'S'},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
		}, []string{"ParseComplete", "ParameterDescription []", "NoData", "BindComplete", "EmptyQueryResponse"}},
		{"no data", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Name: "ins", Query: "insert into t values ($1::text)"},
			&pgproto3.Describe{ObjectType: 'S', Name: "ins"},
			&pgproto3.Bind{PreparedStatement: "ins", Parameters: [][]byte{[]byte("x")}},
			&pgproto3.Describe{ObjectType: 'P'},
			&pgproto3.Execute{},
			&pgproto3.Close{ObjectType: 'P'},
			&pgproto3.Close{ObjectType: 'S', Name: "ins"},
			&pgproto3.Close{ObjectType: 'S', Name: "never"},
		}, []string{"ParseComplete", "ParameterDescription [25]", "NoData", "BindComplete", "NoData",
			"CommandComplete INSERT 0 1", "CloseComplete", "CloseComplete", "CloseComplete"}},
		{"execute error", []pgproto3.FrontendMessage{
			&pgproto3.Parse{Query: "select fail('40001', 'serialization')"},
			&pgproto3.Bind{},
			&pgproto3.Execute{},
			&pgproto3.Parse{Query: "select 1"},
		}, []string{"ParseComplete", "BindComplete", "Error 40001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc.t = t
			rc.send(append(tc.msgs, &pgproto3.Sync{})...)
			wantMessages(t, rc.untilReady(), append(tc.want, "ReadyForQuery I")...)
		})
	}
}

func TestConnSimpleQueryMessages(t *testing.T) {
	rc := rawConnect(t, startServer(t, Config{}))
	rc.send(&pgproto3.Query{String: "select n from series(2); begin; set search_path = 'x'"})
	wantMessages(t, rc.untilReady(),
		"RowDescription n:20:0", "DataRow 1", "DataRow 2", "CommandComplete SELECT 2",
		"CommandComplete BEGIN", "CommandComplete SET", "ParameterStatus search_path", "ReadyForQuery T")
	rc.send(&pgproto3.Query{String: ""})
	wantMessages(t, rc.untilReady(), "EmptyQueryResponse", "ReadyForQuery T")
	rc.send(&pgproto3.Query{String: "selec 1"})
	wantMessages(t, rc.untilReady(), "Error 42601", "ReadyForQuery T")
	rc.send(&pgproto3.Terminate{})
	if _, err := rc.fe.Receive(); err == nil {
		t.Error("connection open after Terminate")
	}
}

func TestConnProtocolVersions(t *testing.T) {
	ts := startServer(t, Config{})
	rc := rawDial(t, ts)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32,
		Parameters: map[string]string{"user": "app", "database": "main", "_pq_.future": "1"}})
	got := rc.untilReady()
	if got[0] != "NegotiateProtocolVersion 0 [_pq_.future]" || got[1] != "AuthenticationOk" {
		t.Fatalf("3.2 startup: %v", got)
	}

	rc = rawDial(t, ts)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: 4 << 16, Parameters: map[string]string{"user": "app"}})
	msg, err := rc.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := msg.(*pgproto3.ErrorResponse); !ok || e.Code != sqltypes.FeatureNotSupported || e.Severity != "FATAL" {
		t.Fatalf("protocol 4.0: %#v", msg)
	}
}

func TestConnCancelWrongSecretIgnored(t *testing.T) {
	ts := startServer(t, Config{})
	rc := rawDial(t, ts)
	rc.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "app", "database": "main"}})
	var key *pgproto3.BackendKeyData
	for {
		msg, err := rc.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if k, ok := msg.(*pgproto3.BackendKeyData); ok {
			key = &pgproto3.BackendKeyData{ProcessID: k.ProcessID, SecretKey: append([]byte(nil), k.SecretKey...)}
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	if key == nil || len(key.SecretKey) != 4 {
		t.Fatalf("BackendKeyData %+v", key)
	}
	sendCancel := func(secret []byte) {
		cc := rawDial(t, ts)
		cc.send(&pgproto3.CancelRequest{ProcessID: key.ProcessID, SecretKey: secret})
		if _, err := cc.fe.Receive(); err == nil {
			t.Error("CancelRequest got a reply")
		}
	}
	rc.send(&pgproto3.Query{String: "select sleep()"})
	bad := append([]byte(nil), key.SecretKey...)
	bad[0] ^= 0xff
	sendCancel(bad)
	time.Sleep(100 * time.Millisecond)
	sendCancel(key.SecretKey)
	wantMessages(t, rc.untilReady(), "Error 57014", "ReadyForQuery I")
}

// feedAndDrain writes data on rc, drains whatever comes back until the
// server closes or stays quiet for quiet, closes rc and fails the test if
// the server panicked meanwhile.
func feedAndDrain(t *testing.T, ts *testServer, rc *rawClient, data []byte, quiet time.Duration) {
	t.Helper()
	_ = rc.nc.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = rc.nc.Write(data)
	buf := make([]byte, 4096)
	_ = rc.nc.SetReadDeadline(time.Now().Add(quiet))
	for {
		if _, err := rc.nc.Read(buf); err != nil {
			break
		}
	}
	rc.nc.Close()
	if ts.panics.Load() > 0 {
		t.Fatal("server panicked")
	}
}

// FuzzConn feeds random bytes to a connection after a valid startup: the
// server must neither panic nor stop serving.
func FuzzConn(f *testing.F) {
	ts := startServer(f, Config{MaxMessageSize: 1 << 16})
	seed := func(msgs ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range msgs {
			b, _ = m.Encode(b)
		}
		return b
	}
	f.Add(seed(&pgproto3.Query{String: "select n from series(3)"}))
	f.Add(seed(&pgproto3.Parse{Query: "select $1::int8"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	f.Add(seed(&pgproto3.Parse{Query: "select alltypes()"}, &pgproto3.Bind{ResultFormatCodes: []int16{1}}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{}))
	f.Add([]byte{'B', 0, 0, 0, 4})
	f.Add([]byte{'Q', 0x7f, 0xff, 0xff, 0xff})
	f.Add([]byte("p\x00\x00\x00\x08abcd"))
	f.Fuzz(func(t *testing.T, data []byte) {
		feedAndDrain(t, ts, rawConnect(t, ts), data, 50*time.Millisecond)
		live := rawConnect(t, ts)
		live.send(&pgproto3.Query{String: "select 1"})
		if got := live.untilReady(); len(got) != 4 {
			t.Fatalf("server not serving: %v", got)
		}
		live.nc.Close()
	})
}
