package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gatetest"
)

// workload is a randomized sequence of writes to users, checked against a
// model of the table: the model predicts which statements a unique lookup
// or the primary key refuses.
type workload struct {
	t      *testing.T
	c      *pgx.Conn
	r      *rand.Rand
	ids    int64 // ids are 1..ids (plus base)
	base   int64
	emails []string
	names  []string
	model  map[int64]userRow
	counts map[string]int
	aborts map[string]string // a 40001/40P01 message by SQLSTATE
	// free: another client works on the same rows, so the model cannot
	// predict refusals; 23505, 40001 and 40P01 are all accepted.
	free bool
}

func (w *workload) email() any {
	if w.r.Intn(6) == 0 {
		return nil
	}
	return w.emails[w.r.Intn(len(w.emails))]
}

func (w *workload) id() int64 { return w.base + 1 + w.r.Int63n(w.ids) }

func ptrOf(v any) *string {
	if v == nil {
		return nil
	}
	return strp(v.(string))
}

// emailTaken reports whether a row other than those in except has email e.
func emailTaken(m map[int64]userRow, e *string, except map[int64]bool) bool {
	if e == nil {
		return false
	}
	for id, r := range m {
		if !except[id] && r.email != nil && *r.email == *e {
			return true
		}
	}
	return false
}

// op builds one random statement and applies it to m; it returns the
// statement, its arguments, its kind and whether it must fail with 23505.
func (w *workload) op(m map[int64]userRow) (sql string, args []any, kind string, dup bool) {
	switch p := w.r.Intn(100); {
	case p < 35: // INSERT of 1-3 rows
		n := 1 + w.r.Intn(3)
		if w.r.Intn(3) > 0 {
			n = 1
		}
		var marks []string
		rows := map[int64]userRow{}
		for i := 0; i < n; i++ {
			id, e, name := w.id(), w.email(), w.names[w.r.Intn(len(w.names))]
			marks = append(marks, fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3))
			args = append(args, id, e, name)
			row := userRow{email: ptrOf(e), name: strp(name)}
			if _, exists := m[id]; exists {
				dup = true
			}
			if _, twice := rows[id]; twice {
				dup = true
			}
			if emailTaken(m, row.email, nil) || emailTaken(rows, row.email, nil) {
				dup = true
			}
			rows[id] = row
		}
		if !dup {
			for id, r := range rows {
				m[id] = r
			}
		}
		return "INSERT INTO users (id, email, name) VALUES " + strings.Join(marks, ", "), args, "insert", dup
	case p < 50: // UPDATE email by id
		id, e := w.id(), w.email()
		if r, ok := m[id]; ok {
			dup = emailTaken(m, ptrOf(e), map[int64]bool{id: true})
			if !dup {
				r.email = ptrOf(e)
				m[id] = r
			}
		}
		return `UPDATE users SET email = $1 WHERE id = $2`, []any{e, id}, "update email", dup
	case p < 55: // UPDATE email by name, maybe several rows
		name, e := w.names[w.r.Intn(len(w.names))], w.email()
		set := map[int64]bool{}
		for id, r := range m {
			if r.name != nil && *r.name == name {
				set[id] = true
			}
		}
		if e != nil && (len(set) > 1 || (len(set) == 1 && emailTaken(m, ptrOf(e), set))) {
			dup = true
		}
		if !dup {
			for id := range set {
				r := m[id]
				r.email = ptrOf(e)
				m[id] = r
			}
		}
		return `UPDATE users SET email = $1 WHERE name = $2`, []any{e, name}, "update email", dup
	case p < 63: // UPDATE name by id
		id, name := w.id(), w.names[w.r.Intn(len(w.names))]
		if r, ok := m[id]; ok {
			r.name = strp(name)
			m[id] = r
		}
		return `UPDATE users SET name = $1 WHERE id = $2`, []any{name, id}, "update name", false
	case p < 68: // UPDATE name by email
		e, name := w.emails[w.r.Intn(len(w.emails))], w.names[w.r.Intn(len(w.names))]
		for id, r := range m {
			if r.email != nil && *r.email == e {
				r.name = strp(name)
				m[id] = r
			}
		}
		return `UPDATE users SET name = $1 WHERE email = $2`, []any{name, e}, "update name", false
	case p < 84: // DELETE by id
		id := w.id()
		delete(m, id)
		return `DELETE FROM users WHERE id = $1`, []any{id}, "delete", false
	case p < 98: // DELETE by email
		e := w.emails[w.r.Intn(len(w.emails))]
		for id, r := range m {
			if r.email != nil && *r.email == e {
				delete(m, id)
			}
		}
		return `DELETE FROM users WHERE email = $1`, []any{e}, "delete", false
	default: // DELETE by name
		name := w.names[w.r.Intn(len(w.names))]
		for id, r := range m {
			if r.name != nil && *r.name == name {
				delete(m, id)
			}
		}
		return `DELETE FROM users WHERE name = $1`, []any{name}, "delete", false
	}
}

func copyModel(m map[int64]userRow) map[int64]userRow {
	out := make(map[int64]userRow, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// run performs n statements, in autocommit or in transactions of 2-4
// statements, a quarter of which roll back. A statement or COMMIT that
// fails with 40001 or 40P01 (a concurrent client) rolls its transaction
// back; any other surprise is returned.
func (w *workload) run(n int) error {
	ctx := context.Background()
	retryable := func(err error) bool {
		s := gatetest.SQLState(err)
		return s == "40001" || s == "40P01" || s == "55P03"
	}
	// exec runs one statement: ok when it passed; err when it did what
	// the model does not allow.
	exec := func(i int, m map[int64]userRow, sql string, args []any, dup bool) (bool, error) {
		_, err := w.c.Exec(ctx, sql, args...)
		switch {
		case err != nil && retryable(err):
			w.counts["concurrency aborts"]++
			w.aborts[gatetest.SQLState(err)] = err.Error()
			return false, nil
		case w.free && err != nil && gatetest.SQLState(err) == "23505":
			w.counts["refused (23505)"]++
			return false, nil
		case w.free && err != nil:
			return false, fmt.Errorf("op %d: %s %v: %w", i, sql, args, err)
		case w.free:
			return true, nil
		case err == nil && dup:
			return false, fmt.Errorf("op %d: %s %v: passed, want 23505 (model: %s)", i, sql, args, modelFor(m, args))
		case err != nil && !dup:
			return false, fmt.Errorf("op %d: %s %v: %w (model: %s)", i, sql, args, err, modelFor(m, args))
		case err != nil && gatetest.SQLState(err) != "23505":
			return false, fmt.Errorf("op %d: %s %v: want 23505, got %w", i, sql, args, err)
		}
		if dup {
			w.counts["refused (23505)"]++
		}
		return err == nil, nil
	}
	end := func(sql string) error {
		_, err := w.c.Exec(ctx, sql)
		if err != nil && !(sql == "COMMIT" && retryable(err)) {
			return fmt.Errorf("%s: %w", sql, err)
		}
		if err != nil {
			w.counts["concurrency aborts"]++
			w.aborts[gatetest.SQLState(err)] = err.Error()
		}
		return nil
	}
	for done := 0; done < n; {
		if w.r.Intn(10) < 3 { // a transaction
			w.counts["transactions"]++
			if _, err := w.c.Exec(ctx, `BEGIN`); err != nil {
				return err
			}
			m := copyModel(w.model)
			ok := true
			for k := 2 + w.r.Intn(3); k > 0 && ok; k-- {
				sql, args, kind, dup := w.op(m)
				w.counts[kind]++
				done++
				var err error
				if ok, err = exec(done, m, sql, args, dup); err != nil {
					return err
				}
			}
			switch {
			case !ok:
				w.counts["rollbacks after an error"]++
				if err := end("ROLLBACK"); err != nil {
					return err
				}
			case w.r.Intn(4) == 0:
				w.counts["rollbacks"]++
				if err := end("ROLLBACK"); err != nil {
					return err
				}
			default:
				before := w.counts["concurrency aborts"]
				if err := end("COMMIT"); err != nil {
					return err
				}
				if w.counts["concurrency aborts"] == before {
					w.model = m
				}
			}
			continue
		}
		m := copyModel(w.model)
		sql, args, kind, dup := w.op(m)
		w.counts[kind]++
		done++
		ok, err := exec(done, m, sql, args, dup)
		if err != nil {
			return err
		}
		if ok {
			w.model = m
		}
	}
	return nil
}

// modelFor describes the rows of model m an op's arguments mention.
func modelFor(m map[int64]userRow, args []any) string {
	var out []string
	for id, r := range m {
		for _, a := range args {
			if a == any(id) || (r.email != nil && a == any(*r.email)) || (r.name != nil && a == any(*r.name)) {
				out = append(out, fmt.Sprintf("%d=(%s,%s)", id, showp(r.email), showp(r.name)))
				break
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// check compares the table with the model and the lookup tables with the
// table, and every pool email's lookup with the model.
func (w *workload) check(step string) {
	t := w.t
	got := checkLookups(t, w.c, step)
	mine := map[int64]userRow{}
	for id, r := range got {
		if id > w.base && id <= w.base+w.ids {
			mine[id] = r
		}
	}
	if d := diffUsers(w.model, mine); d != "" {
		t.Fatalf("%s: users disagree with the model (model/table): %s", step, d)
	}
	w.checkColumn(step, "email", w.emails, func(r userRow) *string { return r.email })
	w.checkColumn(step, "name", w.names, func(r userRow) *string { return r.name })
}

// checkColumn asks for the rows WHERE col = v (routed by col's lookup
// vindex) for each of values, and compares them with the model's.
func (w *workload) checkColumn(step, col string, values []string, of func(userRow) *string) {
	t := w.t
	t.Helper()
	for _, v := range values {
		var want []int64
		for id, r := range w.model {
			if p := of(r); p != nil && *p == v {
				want = append(want, id)
			}
		}
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		if got := queryIDs(t, w.c, `SELECT id FROM users WHERE `+col+` = $1`, v); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: users WHERE %s = %q: %v, model %v", step, col, v, got, want)
		}
	}
}

// TestLookupRandomWorkload: 1,200 random writes with duplicates, in and out
// of transactions, against a model (the first 400 alongside a second
// client's 400 on other rows); the lookup tables stay in step with the
// rows and route every email and name to exactly its rows.
func TestLookupRandomWorkload(t *testing.T) { gatetest.ForEachEngine(t, testLookupRandomWorkload) }

func testLookupRandomWorkload(t *testing.T, engine string) {
	g := startVindexGate(t, engine)
	newWorkload := func(seed, base int64, prefix string, modes ...pgx.QueryExecMode) *workload {
		w := &workload{t: t, c: g.Connect(t, modes...), r: rand.New(rand.NewSource(seed)), ids: 200, base: base, model: map[int64]userRow{}, counts: map[string]int{}, aborts: map[string]string{}}
		for i := 0; i < 120; i++ {
			w.emails = append(w.emails, fmt.Sprintf("%s%03d@x", prefix, i))
		}
		for i := 0; i < 20; i++ {
			w.names = append(w.names, fmt.Sprintf("%s%02d", prefix, i))
		}
		return w
	}
	// Two clients on disjoint ids, emails and names: what one does the
	// other's model need not know, but they share shards and lookup tables.
	// The second uses the simple protocol (literals in the text: plans
	// cached with their literals normalized away must still use this
	// statement's values).
	w := newWorkload(42, 0, "m")
	w2 := newWorkload(7, 1000, "c", pgx.QueryExecModeSimpleProtocol)
	const ops, ops2 = 1200, 400
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- w2.run(ops2) }()
	err := w.run(400)
	if err2 := <-errc; err2 != nil {
		t.Fatalf("second client: %v", err2)
	}
	if err != nil {
		t.Fatal(err)
	}
	w2.check("second client after 400 ops")
	w.check("after 400 ops")
	for i := 400; i < ops; i += 400 {
		if err := w.run(400); err != nil {
			t.Fatal(err)
		}
		w.check(fmt.Sprintf("after %d ops", i+400))
	}
	report := func(w *workload, n int) string {
		var parts []string
		for _, k := range []string{"insert", "update email", "update name", "delete", "refused (23505)", "transactions", "rollbacks", "rollbacks after an error", "concurrency aborts"} {
			parts = append(parts, fmt.Sprintf("%d %s", w.counts[k], k))
		}
		out := fmt.Sprintf("%d ops: %s", n, strings.Join(parts, ", "))
		if !w.free {
			out += fmt.Sprintf("; %d rows at the end", len(w.model))
		}
		return out
	}
	t.Logf("%s in %v: client 1 %s", engine, time.Since(start).Round(time.Millisecond), report(w, ops))
	t.Logf("%s: client 2 (simple protocol, concurrent with client 1's first 400) %s", engine, report(w2, ops2))

	// Both clients on the same ids, emails and names at once: no model,
	// but the lookup tables must still agree with the rows.
	const shared = 300
	start = time.Now()
	for _, x := range []*workload{w, w2} {
		x.free, x.base, x.emails, x.names, x.counts = true, 0, w.emails, w.names, map[string]int{}
	}
	go func() { errc <- w2.run(shared) }()
	err = w.run(shared)
	if err2 := <-errc; err2 != nil {
		t.Fatalf("second client on shared rows: %v", err2)
	}
	if err != nil {
		t.Fatalf("first client on shared rows: %v", err)
	}
	t.Logf("%s in %v: shared rows, client 1 %s", engine, time.Since(start).Round(time.Millisecond), report(w, shared))
	t.Logf("%s: shared rows, client 2 %s", engine, report(w2, shared))
	for _, x := range []*workload{w, w2} {
		for state, msg := range x.aborts {
			t.Logf("%s: e.g. %s: %s", engine, state, msg)
		}
	}
	users := checkLookups(t, w.c, "after two clients on shared rows")
	t.Logf("%s: %d rows after the shared phase", engine, len(users))
	for _, e := range w.emails {
		var want []int64
		for id, r := range users {
			if r.email != nil && *r.email == e {
				want = append(want, id)
			}
		}
		if got := sameRowsViaLookup(t, w.c, "email", e); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("shared rows: users WHERE email = %q: %v, the table says %v", e, got, want)
		}
	}
	for _, n := range w.names {
		sameRowsViaLookup(t, w.c, "name", n)
	}
}
