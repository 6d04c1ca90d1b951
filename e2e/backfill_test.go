package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/sdk"
)

// TestVindexBackfill empties and corrupts the lookup tables of rows that
// exist, runs `vitess vindex backfill` (through the admin HTTP, as the CLI
// does) while another client keeps inserting and deleting rows, and
// requires the lookup tables to match the rows exactly afterwards.
func TestVindexBackfill(t *testing.T) {
	gatetest.ForEngines(t, []string{"sqlite", "postgres"}, testVindexBackfill)
}

func testVindexBackfill(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	admin := httptest.NewServer(g.AdminHandler())
	defer admin.Close()
	addr := strings.TrimPrefix(admin.URL, "http://")
	c := g.Connect(t)
	ctx := context.Background()
	for i := 1; i <= 300; i++ {
		var email any = fmt.Sprintf("u%d@x", i)
		if i%10 == 0 {
			email = nil
		}
		gatetest.MustExec(t, c, `INSERT INTO users (id, email, name) VALUES ($1, $2, $3)`, i, email, fmt.Sprintf("n%d", i%7))
	}
	// Lose the lookup entries of existing rows, and miscount some.
	gatetest.MustExec(t, c, `DELETE FROM lookup.users_email WHERE email LIKE 'u1%'`)
	gatetest.MustExec(t, c, `DELETE FROM users_name WHERE name = 'n3'`)
	gatetest.MustExec(t, c, `UPDATE users_name SET refs = refs + 5 WHERE name = 'n4'`)

	// A writer on other ids the whole time the backfill runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	var werr error
	w := g.Connect(t)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1000; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := w.Exec(ctx, `INSERT INTO users (id, email, name) VALUES ($1, $2, $3)`, i, fmt.Sprintf("w%d@x", i), fmt.Sprintf("n%d", i%7))
			if err == nil && i%3 == 0 {
				_, err = w.Exec(ctx, `DELETE FROM users WHERE id = $1`, i)
			}
			var pe *pgconn.PgError
			if errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
				continue
			}
			if err != nil {
				werr = err
				return
			}
			writes.Add(1)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	var out bytes.Buffer
	for _, v := range []string{"email_lookup", "users_name"} {
		if err := gate.Backfill(&out, addr, "", "main", "users", v); err != nil {
			t.Fatalf("backfill %s: %v", v, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	t.Logf("%s: %d writes during the backfill; %s", engine, writes.Load(), strings.TrimSpace(out.String()))
	if !strings.Contains(out.String(), "backfilled main.users vindex email_lookup: ") {
		t.Errorf("backfill output: %q", out.String())
	}
	checkLookups(t, c, "after backfill")

	// Again: nothing to do.
	out.Reset()
	if err := gate.Backfill(&out, addr, "", "main", "users", "email_lookup"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ", 0 lookup entries written") {
		t.Errorf("second backfill: %q", out.String())
	}
	// Errors are the gate's, with their SQLSTATE.
	if err := gate.Backfill(&out, addr, "", "main", "users", "nope"); err == nil || !strings.Contains(err.Error(), "no lookup vindex nope") {
		t.Errorf("unknown vindex: %v", err)
	}
	if err := gate.Backfill(&out, addr, "", "main", "nope", "email_lookup"); err == nil || !strings.Contains(err.Error(), "42P01") {
		t.Errorf("unknown table: %v", err)
	}

	// The vschema document names every vindex type and the lookups.
	docs, _, err := gate.FetchDocs[sdk.VSchema](addr, "", "/vschema", "main")
	if err != nil || len(docs) != 1 {
		t.Fatalf("vschema: %v %v", docs, err)
	}
	users := docs[0].Tables["users"]
	if users.Vindex == nil || users.Vindex.Type != "hash" {
		t.Errorf("users vindex: %+v", users.Vindex)
	}
	if l := users.Lookups["email_lookup"]; l.Type != "lookup" || l.LookupTable != "lookup.users_email" || !l.Unique || len(l.Columns) != 1 || l.Columns[0] != "email" {
		t.Errorf("users lookups: %+v", users.Lookups)
	}
	if l := users.Lookups["users_name"]; l.LookupTable != "main.users_name" || l.Unique {
		t.Errorf("users lookups: %+v", users.Lookups)
	}
	for table, typ := range map[string]string{"events": "range", "ring": "consistent_hash", "solo": "null"} {
		if v := docs[0].Tables[table].Vindex; v == nil || v.Type != typ {
			t.Errorf("%s vindex: %+v, want %s", table, v, typ)
		}
	}
}
