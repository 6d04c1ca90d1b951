package metastore

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/router"
)

// TestStoreSQLite goes through what the gate keeps: a registration that a
// reopened store still has, sequence blocks that never overlap, and a
// decision that the first writer wins.
func TestStoreSQLite(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "meta.db")
	m, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SaveTable(ctx, "main", router.Table{Name: "t1", Type: router.Sharded, Columns: []string{"id"}}); err != nil {
		t.Fatal(err)
	}
	seq := NewSequences(m)
	a, err := seq.Next(ctx, "s", 3)
	if err != nil || len(a) != 3 || a[0] != 1 || a[2] != 3 {
		t.Fatalf("Next: %v %v", a, err)
	}
	if got, err := m.Decide(ctx, "d1", "commit", []byte("{}")); err != nil || got != "commit" {
		t.Fatalf("Decide: %q %v", got, err)
	}
	if got, _ := m.Decide(ctx, "d1", "abort", []byte("{}")); got != "commit" {
		t.Fatalf("second Decide: %q, want the first outcome", got)
	}
	m.Close()

	m, err = Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	recs, err := m.LoadTables(ctx)
	if err != nil || len(recs) != 1 || recs[0].Keyspace != "main" || recs[0].Table.Name != "t1" || !recs[0].Table.Registered {
		t.Fatalf("LoadTables after reopen: %+v %v", recs, err)
	}
	b, err := NewSequences(m).Next(ctx, "s", 1)
	if err != nil || b[0] <= a[2] {
		t.Fatalf("a new gate's block %v must follow %v", b, a)
	}
	if ds, err := m.Decisions(ctx, "commit"); err != nil || len(ds) != 1 || ds[0].DTID != "d1" {
		t.Fatalf("Decisions: %+v %v", ds, err)
	}
	if err := m.Forget(ctx, "d1"); err != nil {
		t.Fatal(err)
	}
	if err := m.DeleteTable(ctx, "main", "t1"); err != nil {
		t.Fatal(err)
	}
	if recs, _ := m.LoadTables(ctx); len(recs) != 0 {
		t.Fatalf("after DeleteTable: %+v", recs)
	}
}

// TestDecideMany writes several decisions in one write: each keeps the
// first outcome recorded for it, and the records to forget are gone.
func TestDecideMany(t *testing.T) {
	testDecideMany(t, "sqlite:"+filepath.Join(t.TempDir(), "meta.db"))
}

// The same on a Postgres metadata store (several gates share one).
func TestDecideManyPostgres(t *testing.T) {
	_, url := pgtest.Start(t).CreateDB(t)
	testDecideMany(t, url)
}

func testDecideMany(t *testing.T, url string) {
	ctx := context.Background()
	m, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Decide(ctx, "old", "commit", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Decide(ctx, "aborted", "abort", nil); err != nil {
		t.Fatal(err)
	}
	got, err := m.DecideMany(ctx, []Decision{
		{DTID: "a", Outcome: "commit", Record: []byte("{}")},
		{DTID: "aborted", Outcome: "commit", Record: []byte("{}")},
		{DTID: "b", Outcome: "commit", Record: []byte("{}")},
	}, []string{"old"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"commit", "abort", "commit"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("outcomes %v, want %v (a resolver's abort stays)", got, want)
	}
	ds, err := m.Decisions(ctx, "commit")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.DTID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "a,b" {
		t.Fatalf("commit records %v, want a,b (old forgotten)", ids)
	}
}
