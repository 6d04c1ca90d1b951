package proxy

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestAuthSCRAM(t *testing.T) {
	ts := startServer(t, Config{Users: map[string]string{"app": "s3cret", "ünï": "pässwörd"}})
	ctx := testCtx(t)
	c, err := pgx.Connect(ctx, ts.url("app", "s3cret", "main", ""))
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	var n int
	if err := c.QueryRow(ctx, "select 1").Scan(&n); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	// Twice: the verifier is cached after the first derivation.
	c, err = pgx.Connect(ctx, ts.url("app", "s3cret", "main", ""))
	if err != nil {
		t.Fatalf("right password again: %v", err)
	}
	c.Close(ctx)

	cfg, _ := pgx.ParseConfig(ts.url("x", "", "main", ""))
	cfg.User, cfg.Password = "ünï", "pässwörd"
	c, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("non-ASCII password: %v", err)
	}
	c.Close(ctx)

	for _, tc := range []struct{ user, pw string }{{"app", "wrong"}, {"app", ""}, {"nobody", "s3cret"}} {
		cfg, _ := pgx.ParseConfig(ts.url("x", "", "main", ""))
		cfg.User, cfg.Password = tc.user, tc.pw
		_, err := pgx.ConnectConfig(ctx, cfg)
		pe := wantCode(t, err, "28P01")
		if want := `password authentication failed for user "` + tc.user + `"`; pe.Message != want || pe.Severity != "FATAL" {
			t.Errorf("%s/%s: %s %q", tc.user, tc.pw, pe.Severity, pe.Message)
		}
	}
}

func TestAuthCleartext(t *testing.T) {
	ts := startServer(t, Config{Users: map[string]string{"app": "s3cret"}, AuthMethod: AuthCleartext})
	ctx := testCtx(t)
	c, err := pgx.Connect(ctx, ts.url("app", "s3cret", "main", ""))
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	c.Close(ctx)
	_, err = pgx.Connect(ctx, ts.url("app", "nope", "main", ""))
	wantCode(t, err, "28P01")
	_, err = pgx.Connect(ctx, ts.url("ghost", "s3cret", "main", ""))
	wantCode(t, err, "28P01")
}

func TestAuthSCRAMMessages(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"n,,n=,r=abc", false},
		{"y,,n=user,r=abc", false},
		{"p=tls-server-end-point,,n=,r=abc", false}, // checkGS2 decides
		{"p=tls-unique,,n=,r=abc", false},
		{"n,a=admin,n=,r=abc", true},
		{"n,,n=,r=", true},
		{"x,,n=,r=abc", true},
		{"n,,m=ext,n=,r=abc", true},
	} {
		gs2, bare, nonce, err := parseClientFirst(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err == nil && (gs2+bare != tc.in || nonce != "abc") {
			t.Errorf("%q: %q %q %q", tc.in, gs2, bare, nonce)
		}
	}
	cb, nonce, proof, without, err := parseClientFinal("c=biws,r=abcdef,p=AAEC")
	if err != nil || cb != "biws" || nonce != "abcdef" || string(proof) != "\x00\x01\x02" || without != "c=biws,r=abcdef" {
		t.Errorf("final: %q %q %x %q %v", cb, nonce, proof, without, err)
	}
	for _, bad := range []string{"c=biws,r=abc", "c=biws,r=abc,p=!!", "r=abc,p=AAEC"} {
		if _, _, _, _, err := parseClientFinal(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestAuthVerifier: a user configured by a SCRAM verifier logs in with
// SCRAM and with a cleartext password; wrong ones are 28P01.
func TestAuthVerifier(t *testing.T) {
	v := NewVerifier("s3cret")
	if _, err := ParseVerifier(v); err != nil {
		t.Fatalf("%s: %v", v, err)
	}
	for _, method := range []string{AuthSCRAM, AuthCleartext} {
		ts := startServer(t, Config{Users: map[string]string{"app": v}, AuthMethod: method})
		ctx := testCtx(t)
		c, err := pgx.Connect(ctx, ts.url("app", "s3cret", "main", ""))
		if err != nil {
			t.Fatalf("%s, right password: %v", method, err)
		}
		c.Close(ctx)
		for _, pw := range []string{"nope", v, ""} {
			cfg, _ := pgx.ParseConfig(ts.url("app", "", "main", ""))
			cfg.Password = pw
			_, err = pgx.ConnectConfig(ctx, cfg)
			wantCode(t, err, "28P01")
		}
	}
}
