package hunt

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
)

// TestHunt is a random differential hunter: it generates statements over
// testdata/hunt, runs each on a plain PostgreSQL database and through the
// gate, and fails on any answer of the gate that differs (rows, columns,
// type OIDs, command tags) unless the gate refused with 0A000. A failing
// statement is shrunk and printed with the seed.
var (
	huntDuration = flag.Duration("hunt.duration", 0, "hunting time per engine (0: 60s under CI=true, 20s otherwise, 5s with -short)")
	huntSeed     = flag.Int64("hunt.seed", 20261203, "generator seed; 0 picks one from the clock")
	huntMax      = flag.Int("hunt.max", 0, "at most this many statements per engine (0: no limit)")
	huntDisable  = flag.String("hunt.disable", "", "comma-separated generator features to turn off, besides huntKnownOpen")
	huntEnable   = flag.String("hunt.enable", "", "comma-separated features of huntKnownOpen to hunt anyway ('all' for every one)")
	huntShrinks  = flag.Int("hunt.shrinks", 40, "shrink at most this many failures per engine")
	huntEngines  = flag.String("hunt.engines", "", "comma-separated engines (default: sqlite,postgres,mixed)")
)

func TestHunt(t *testing.T) {
	seed := *huntSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("hunt seed %d (rerun with -hunt.seed=%d)", seed, seed)
	list := gatetest.Engines
	if *huntEngines != "" {
		list = strings.Split(*huntEngines, ",")
	}
	for _, engine := range list {
		off := huntDisabled(engine)
		for f := range off {
			if !slices.Contains(huntFeatures, f) {
				t.Fatalf("-hunt.disable: unknown feature %q (known: %v)", f, huntFeatures)
			}
		}
		t.Run(engine, func(t *testing.T) {
			t.Logf("disabled features on %s: %v", engine, sortedKeys(off))
			hunt(t, engine, seed, off)
		})
	}
}

// huntDisabled is huntKnownOpen for the engine, less -hunt.enable, plus
// -hunt.disable.
func huntDisabled(engine string) map[string]bool {
	off := map[string]bool{}
	if *huntEnable != "all" {
		enable := strings.Split(*huntEnable, ",")
		for _, f := range huntKnownOpen[engine] {
			if !slices.Contains(enable, f) {
				off[f] = true
			}
		}
	}
	for _, f := range strings.Split(*huntDisable, ",") {
		if f = strings.TrimSpace(f); f != "" {
			off[f] = true
		}
	}
	return off
}

func huntBudget() time.Duration {
	switch {
	case *huntDuration > 0:
		return *huntDuration
	case testing.Short():
		return 5 * time.Second
	case os.Getenv("CI") == "true":
		return 60 * time.Second
	}
	return 20 * time.Second
}

// huntEnv holds both sides' connections: simple protocol (text results)
// and extended (binary results, real parameters).
type huntEnv struct {
	t           *testing.T
	g           *gatetest.Gate
	refURL      string
	ref, refExt *pgx.Conn
	gw, gwExt   *pgx.Conn
}

func newHuntEnv(t *testing.T, engine string) *huntEnv {
	pg := pgtest.Shared(t)
	_, refURL := pg.CreateDB(t)
	vschema, err := os.ReadFile("../../testdata/hunt/vschema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ukShard := "sqlite:" + filepath.Join(t.TempDir(), "uk.db")
	if engine == "postgres" {
		_, ukShard = pg.CreateDB(t)
	}
	h := &huntEnv{t: t, refURL: refURL}
	h.g = gatetest.StartEngine(t, engine, 4, strings.Replace(string(vschema), `"UK_SHARD"`, strconv.Quote(ukShard), 1))
	h.connectAll()
	cc, err := pgx.Connect(context.Background(), h.g.URL("uk"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close(context.Background())
	gatetest.MustExec(t, h.ref, "CREATE SCHEMA uk")
	for _, stmt := range readStmts(t, "../../testdata/hunt/schema_uk.sql") {
		gatetest.MustExec(t, cc, stmt)
		gatetest.MustExec(t, h.ref, strings.Replace(stmt, "CREATE TABLE ", "CREATE TABLE uk.", 1))
	}
	for _, stmt := range append(readStmts(t, "../../testdata/hunt/schema.sql"), huntData()...) {
		gatetest.MustExec(t, h.gw, stmt)
		gatetest.MustExec(t, h.ref, stmt)
	}
	return h
}

func readStmts(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range strings.Split(string(data), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// connectAll (re)opens the connections whose predecessors are closed.
func (h *huntEnv) connectAll() {
	ctx := context.Background()
	refConn := func(c *pgx.Conn) *pgx.Conn {
		if c != nil && !c.IsClosed() {
			return c
		}
		c, err := pgx.Connect(ctx, h.refURL)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(func() { c.Close(ctx) })
		gatetest.MustExec(h.t, c, "SET statement_timeout = '10s'")
		return c
	}
	h.ref, h.refExt = refConn(h.ref), refConn(h.refExt)
	if h.gw == nil || h.gw.IsClosed() {
		h.gw = h.g.Connect(h.t, pgx.QueryExecModeSimpleProtocol)
	}
	if h.gwExt == nil || h.gwExt.IsClosed() {
		h.gwExt = h.g.Connect(h.t)
	}
}

// huntResult is one statement's outcome. Kinds: ok, skip (the reference
// rejected it), refused (0A000), infra (lock waits and deadlocks, not the
// planner's doing), and the failures diff, false_error, dropped, timeout.
// huntCompare compares in order when the statement sorts by every column.
// Numeric values equal in value but not in text (0 and 0.00) tie in the
// sort, so their order is Postgres's choice: a numeric result that differs
// only in such order is compared as a multiset.
func huntCompare(ordered bool, wf []gatetest.Field, want [][]*string, gf []gatetest.Field, got [][]*string) string {
	msg := gatetest.CompareResults(ordered, wf, want, gf, got)
	// numeric ties (1.0 and 1.00) and floats whose last bits depend on the
	// order of summation (avg over a group's rows) sort either way
	if msg == "" || !ordered || !slices.ContainsFunc(wf, func(f gatetest.Field) bool { return f.OID == 1700 || f.OID == 700 || f.OID == 701 }) {
		return msg
	}
	if gatetest.CompareResults(false, wf, want, gf, got) == "" {
		return ""
	}
	return msg
}

type huntResult struct {
	kind, msg string
}

func (r huntResult) failed() bool {
	return r.kind == "diff" || r.kind == "false_error" || r.kind == "dropped"
}

// check runs s on both sides and compares; DML runs in a transaction that
// is rolled back on both, after the tables' contents are compared too.
func (h *huntEnv) check(s *hStmt) (res huntResult) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer h.connectAll()
	sql, args := s.render()
	if s.DML != nil {
		if _, err := h.ref.Exec(ctx, "BEGIN"); err != nil {
			return huntResult{"skip", err.Error()}
		}
		defer h.ref.Exec(context.Background(), "ROLLBACK")
		if _, err := h.gw.Exec(ctx, "BEGIN"); err != nil {
			return h.gateError(ctx, err)
		}
		defer func() {
			if _, err := h.gw.Exec(context.Background(), "ROLLBACK"); err != nil && !res.failed() {
				res = huntResult{"false_error", "ROLLBACK: " + err.Error()}
			}
		}()
	}
	wf, want, wtag, rerr := gatetest.QueryTextTag(ctx, h.ref, sql, args...)
	if rerr != nil {
		return huntResult{"skip", rerr.Error()}
	}
	gf, got, gtag, gerr := gatetest.QueryTextTag(ctx, h.gw, sql, args...)
	if gerr != nil {
		return h.gateError(ctx, gerr)
	}
	if msg := huntCompare(s.Ordered(), wf, want, gf, got); msg != "" {
		return huntResult{"diff", msg}
	}
	if s.DML != nil {
		return h.checkAfterDML(ctx, s, wtag, gtag)
	}
	if len(args) == 0 && len(sql)%4 != 0 {
		return huntResult{kind: "ok"}
	}
	// The extended protocol with binary results, for every statement with
	// parameters (sent as real parameters) and a quarter of the others.
	_, wantBin, rerr := gatetest.QueryBinary(ctx, h.refExt, sql, args...)
	_, gotBin, gerr := gatetest.QueryBinary(ctx, h.gwExt, sql, args...)
	switch {
	case rerr != nil:
		return huntResult{"skip", rerr.Error()}
	case gerr != nil:
		return h.gateError(ctx, gerr)
	}
	if msg := huntCompare(s.Ordered(), wf, wantBin, wf, gotBin); msg != "" {
		return huntResult{"diff", "extended protocol: " + msg}
	}
	return huntResult{kind: "ok"}
}

// checkAfterDML compares command tags and the changed table's contents.
func (h *huntEnv) checkAfterDML(ctx context.Context, s *hStmt, wtag, gtag string) huntResult {
	if wtag != gtag {
		return huntResult{"diff", "command tag: want " + wtag + " got " + gtag}
	}
	q := "SELECT * FROM " + s.DML.Table
	wf, want, _, rerr := gatetest.QueryTextTag(ctx, h.ref, q)
	gf, got, _, gerr := gatetest.QueryTextTag(ctx, h.gw, q)
	switch {
	case rerr != nil:
		return huntResult{"skip", rerr.Error()}
	case gerr != nil:
		return h.gateError(ctx, gerr)
	}
	if msg := gatetest.CompareResults(false, wf, want, gf, got); msg != "" {
		return huntResult{"diff", "table after DML: " + msg}
	}
	return huntResult{kind: "ok"}
}

// gateError classes an error of the gate where the reference succeeded.
func (h *huntEnv) gateError(ctx context.Context, err error) huntResult {
	var pe *pgconn.PgError
	switch {
	case ctx.Err() != nil:
		// A big join on SQLite shards can outlast the 10 s budget on a
		// loaded machine: slow, not wrong. Many in a row fail the run.
		return huntResult{"timeout", err.Error()}
	case !errors.As(err, &pe) || h.gw.IsClosed():
		return huntResult{"dropped", err.Error()}
	case pe.Code == "0A000":
		return huntResult{"refused", pe.Message}
	case pe.Code == "40P01" || pe.Code == "55P03" || pe.Code == "53400":
		return huntResult{"infra", pe.Code + " " + pe.Message}
	}
	return huntResult{"false_error", pe.Code + " " + pe.Message}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
