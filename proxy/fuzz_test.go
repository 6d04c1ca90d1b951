package proxy

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// encode concatenates the wire encodings of client messages.
func encode(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		b, _ = m.Encode(b)
	}
	return b
}

// startupSeeds are what clients send before and during authentication:
// real exchanges (SCRAM, cleartext, SSL and GSS requests, cancel) and
// broken ones (lengths, layouts, protocol versions, SASL fields).
func startupSeeds() [][]byte {
	startup := func(params map[string]string) *pgproto3.StartupMessage {
		return &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: params}
	}
	app := startup(map[string]string{"user": "app", "database": "main"})
	sslReq := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, sslRequestCode)
	gssReq := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, gssEncRequestCode)
	return [][]byte{
		encode(app),
		encode(app, &pgproto3.PasswordMessage{Password: "s3cret"}),
		encode(app, &pgproto3.PasswordMessage{Password: "wrong"}),
		encode(app, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=rOprNGfwEbeRWgbNEkqO")}),
		encode(app, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")},
			&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcdef,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")}),
		encode(app, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("p=tls-server-end-point,,n=,r=x")}),
		encode(app, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("y,a=admin,n=app,r=x,m=ext")}),
		encode(app, &pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256"}),
		encode(startup(map[string]string{"user": "ünï", "database": "main", "options": "-c search_path=x", "_pq_.x": "1"})),
		encode(startup(map[string]string{"database": "main"})),
		encode(startup(map[string]string{"user": "nobody"}), &pgproto3.PasswordMessage{Password: ""}),
		append(append([]byte(nil), sslReq...), encode(app)...),
		append(append(append([]byte(nil), gssReq...), sslReq...), sslReq...),
		encode(&pgproto3.CancelRequest{ProcessID: 1234, SecretKey: []byte{1, 2, 3, 4}}),
		{0, 0, 0, 8, 0, 2, 0, 0},          // protocol 2.0
		{0, 0, 0, 9, 0, 3, 0, 0, 0},       // empty parameters
		{0, 0, 0, 12, 0, 3, 0, 0, 'u', 0}, // a name with no value
		{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0},
		{0, 0, 0, 3},
		append(encode(app), 'p', 0, 0, 0, 3),
		append(encode(app), 'p', 0x7f, 0xff, 0xff, 0xff),
		append(encode(app), 'Q', 0, 0, 0, 5, 0),
	}
}

// FuzzStartup feeds arbitrary bytes as a client's startup and
// authentication, with users configured (SCRAM or cleartext): the server
// never panics and still logs a real client in afterwards.
func FuzzStartup(f *testing.F) {
	for _, s := range startupSeeds() {
		f.Add(s, false)
		f.Add(s, true)
	}
	users := map[string]string{"app": "s3cret", "ünï": "pässwörd"}
	servers := map[bool]*testServer{
		false: startServer(f, Config{Users: users}),
		true:  startServer(f, Config{Users: users, AuthMethod: AuthCleartext}),
	}
	for _, ts := range servers {
		ts.Server.onPanic = func(any) { ts.panics.Add(1) } // logged with its stack
	}
	f.Fuzz(func(t *testing.T, data []byte, cleartext bool) {
		ts := servers[cleartext]
		feedAndDrain(t, ts, rawDial(t, ts), data, 30*time.Millisecond)
		c, err := pgx.Connect(testCtx(t), ts.url("app", "s3cret", "main", ""))
		if err != nil {
			t.Fatalf("a real client cannot log in: %v", err)
		}
		c.Close(testCtx(t))
	})
}

// TestWriteFuzzCorpus writes the seeds above as Go fuzz corpus files under
// testdata/fuzz (run with VITESS_WRITE_CORPUS=1 after changing them).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("VITESS_WRITE_CORPUS") == "" {
		t.Skip("set VITESS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzStartup")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range startupSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s, i%2 == 1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
