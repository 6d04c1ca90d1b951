package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestDifferential loads the same generated data through the gate (4 SQLite
// shards) and into one plain PostgreSQL database, runs the corpus in
// testdata/differential on both and compares the answers: column names,
// type OIDs and every value's text, in order where the query orders.
func TestDifferential(t *testing.T) { gatetest.ForEachEngine(t, runDifferential) }

func runDifferential(t *testing.T, engine string) {
	pg := pgtest.Shared(t)
	ctx := context.Background()
	_, refURL := pg.CreateDB(t)
	ref := gatetest.ConnectURL(t, refURL)
	vschema, err := os.ReadFile("../testdata/differential/vschema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := gatetest.StartEngine(t, engine, 4, string(vschema))
	gw := g.Connect(t, pgx.QueryExecModeSimpleProtocol)
	gwExt := g.Connect(t) // extended protocol, binary results
	refExt := gatetest.ConnectURL(t, refURL)

	schema, err := os.ReadFile("../testdata/differential/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(schema), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		gatetest.MustExec(t, gw, stmt)
		gatetest.MustExec(t, ref, stmt)
	}
	n := 0
	for _, stmt := range generateData() {
		gatetest.MustExec(t, gw, stmt)
		gatetest.MustExec(t, ref, stmt)
		n++
	}
	var rowsLoaded int64
	if err := ref.QueryRow(ctx, `SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM orders) + (SELECT count(*) FROM countries) + (SELECT count(*) FROM events) + (SELECT count(*) FROM accounts) + (SELECT count(*) FROM visits) + (SELECT count(*) FROM pings)`).Scan(&rowsLoaded); err != nil {
		t.Fatal(err)
	}
	if rowsLoaded < 2000 {
		t.Fatalf("only %d rows loaded", rowsLoaded)
	}

	f, err := os.Open("../testdata/differential/queries.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var total, wrong, refused int
	var refusals []string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		total++
		mode := "multiset"
		if m, rest, ok := strings.Cut(line, ": "); ok && (m == "ordered" || m == "refuse") {
			mode, line = m, rest
		}
		var args []any
		if q, a, ok := strings.Cut(line, " ;; "); ok {
			line = q
			args = parseArgs(t, a)
		}
		gotF, gotRows, gerr := gatetest.QueryText(ctx, gw, line, args...)
		if mode == "refuse" {
			var pe *pgconn.PgError
			if !errors.As(gerr, &pe) || pe.Code != "0A000" {
				t.Errorf("WRONG: %s: want a 0A000 refusal, got err=%v rows=%d", line, gerr, len(gotRows))
				wrong++
				continue
			}
			refused++
			refusals = append(refusals, line+"  ->  "+pe.Message)
			continue
		}
		wantF, wantRows, rerr := gatetest.QueryText(ctx, ref, line, args...)
		if rerr != nil {
			t.Fatalf("reference failed on %s: %v", line, rerr)
		}
		if gerr != nil {
			t.Errorf("ERROR: %s: %v", line, gerr)
			wrong++
			continue
		}
		if msg := gatetest.CompareResults(mode == "ordered", wantF, wantRows, gotF, gotRows); msg != "" {
			t.Errorf("WRONG: %s: %s", line, msg)
			wrong++
			continue
		}
		// The same query in pgx's default mode: extended protocol, binary
		// results decoded by pgx on both sides.
		_, wantBin, rerr := gatetest.QueryBinary(ctx, refExt, line, args...)
		_, gotBin, gerr := gatetest.QueryBinary(ctx, gwExt, line, args...)
		if rerr != nil || gerr != nil {
			t.Errorf("WRONG (extended): %s: reference err %v, gate err %v", line, rerr, gerr)
			wrong++
			continue
		}
		if msg := gatetest.CompareResults(mode == "ordered", wantF, wantBin, wantF, gotBin); msg != "" {
			t.Errorf("WRONG (extended): %s: %s", line, msg)
			wrong++
		}
	}
	t.Logf("differential (%s shards): %d queries over %d rows, %d wrong, %d refused as expected", engine, total, rowsLoaded, wrong, refused)
	for _, r := range refusals {
		t.Logf("refused: %s", r)
	}
	if total < 100 {
		t.Errorf("corpus has only %d queries", total)
	}
}

// parseArgs reads a query's parameters: a JSON array after " ;; ".
func parseArgs(t *testing.T, s string) []any {
	t.Helper()
	var raw []any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("bad args %q: %v", s, err)
	}
	for i, v := range raw {
		if n, ok := v.(json.Number); ok {
			if iv, err := n.Int64(); err == nil {
				raw[i] = iv
			} else {
				raw[i] = n.String()
			}
		}
	}
	return raw
}

// generateData makes deterministic INSERT statements: customers with NULLs,
// negative ids and unicode names, orders referencing them, and countries.
func generateData() []string {
	r := rand.New(rand.NewSource(42))
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	maybe := func(p float64, s string) string {
		if r.Float64() < p {
			return "NULL"
		}
		return s
	}
	names := []string{"Ann", "Bob", "Cy", "Zoë", "Ärger", "東京", "O'Brien", "ann", "BOB", "Émile", "Zed", "a b", "😀", "Mäx", "ß"}
	countries := []string{"DE", "FR", "US", "JP", "BR", "IN", "NG", "SE"}
	var stmts []string
	stmts = append(stmts, `INSERT INTO countries (code, name, region) VALUES ('DE','Germany','EU'),('FR','France','EU'),('US','United States','AM'),('JP','Japan','AS'),('BR','Brazil','AM'),('IN','India','AS'),('NG','Nigeria','AF'),('SE','Sweden','EU')`)
	var ids []int64
	for i := int64(-20); i <= 1000; i++ {
		if i == 0 {
			continue
		}
		ids = append(ids, i)
	}
	for start := 0; start < len(ids); start += 100 {
		var vals []string
		for _, id := range ids[start:min(start+100, len(ids))] {
			name := maybe(0.05, quote(names[r.Intn(len(names))]+strconv.Itoa(r.Intn(20))))
			country := maybe(0.1, quote(countries[r.Intn(len(countries))]))
			score := maybe(0.1, strconv.Itoa(r.Intn(201)-100))
			balance := maybe(0.1, fmt.Sprintf("%d.%02d", r.Intn(2000)-1000, r.Intn(100)))
			rating := maybe(0.1, strconv.FormatFloat(float64(r.Intn(5000))/1000, 'f', -1, 64))
			active := maybe(0.1, []string{"true", "false"}[r.Intn(2)])
			created := maybe(0.1, quote(fmt.Sprintf("20%02d-%02d-%02d", 18+r.Intn(6), 1+r.Intn(12), 1+r.Intn(28))))
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s)", id, name, country, score, balance, rating, active, created))
		}
		stmts = append(stmts, "INSERT INTO customers (id, name, country, score, balance, rating, active, created) VALUES "+strings.Join(vals, ", "))
	}
	statuses := []string{"new", "paid", "shipped", "returned", "Shipped"}
	for start := 1; start <= 3000; start += 150 {
		var vals []string
		for id := start; id < start+150; id++ {
			cust := ids[r.Intn(len(ids))]
			amount := maybe(0.1, fmt.Sprintf("%d.%02d", r.Intn(200), r.Intn(100)))
			qty := maybe(0.1, strconv.Itoa(r.Intn(11)))
			status := quote(statuses[r.Intn(len(statuses))])
			note := maybe(0.5, quote(names[r.Intn(len(names))]))
			vals = append(vals, fmt.Sprintf("(%d, %d, %s, %s, %s, %s)", id, cust, amount, qty, status, note))
		}
		stmts = append(stmts, "INSERT INTO orders (id, customer_id, amount, qty, status, note) VALUES "+strings.Join(vals, ", "))
	}
	// events: placed by a range vindex on ts; accounts: consistent_hash on
	// id, with a unique lookup vindex on email.
	kinds := []string{"click", "view", "buy", "Buy"}
	seen := map[int64]bool{}
	for b := 0; b < 6; b++ {
		var vals []string
		for len(vals) < 150 {
			ts := int64(r.Intn(4200) - 100)
			if seen[ts] {
				continue
			}
			seen[ts] = true
			vals = append(vals, fmt.Sprintf("(%d, %s, %s)", ts, quote(kinds[r.Intn(len(kinds))]), maybe(0.1, strconv.Itoa(r.Intn(1000)))))
		}
		stmts = append(stmts, "INSERT INTO events (ts, kind, val) VALUES "+strings.Join(vals, ", "))
	}
	// visits and pings: placed by range vindexes on a date and a timestamp.
	base := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	var visits, pings []string
	seenAt := map[string]bool{}
	for id := 1; id <= 400; id++ {
		day := base.AddDate(0, 0, r.Intn(900)).Format("2006-01-02")
		visits = append(visits, fmt.Sprintf("(%d, '%s', %s)", id, day, maybe(0.1, strconv.Itoa(r.Intn(100)))))
		at := base.Add(time.Duration(r.Int63n(900*24*3600)) * time.Second).Format("2006-01-02 15:04:05")
		if seenAt[at] {
			continue
		}
		seenAt[at] = true
		pings = append(pings, fmt.Sprintf("('%s', %d)", at, r.Intn(50)))
	}
	stmts = append(stmts, "INSERT INTO visits (id, day, amount) VALUES "+strings.Join(visits, ", "), "INSERT INTO pings (at, v) VALUES "+strings.Join(pings, ", "))
	regions := []string{"EU", "AM", "AS"}
	for start := 1; start <= 600; start += 100 {
		var vals []string
		for id := start; id < start+100; id++ {
			email := maybe(0.1, quote(fmt.Sprintf("a%d@x.io", id)))
			vals = append(vals, fmt.Sprintf("(%d, %s, %s, %s)", id, email, quote(regions[r.Intn(len(regions))]), maybe(0.1, fmt.Sprintf("%d.%02d", r.Intn(500), r.Intn(100)))))
		}
		stmts = append(stmts, "INSERT INTO accounts (id, email, region, amount) VALUES "+strings.Join(vals, ", "))
	}
	return stmts
}
