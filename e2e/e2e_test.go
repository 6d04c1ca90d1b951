package e2e

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dotdo/vitess/gatetest"
)

const usersDDL = `CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint, name text, email varchar(100), active boolean DEFAULT true, created_at timestamp DEFAULT now())`

// TestQuickstart is the README's psql session, through pgx in both protocols.
func TestQuickstart(t *testing.T) { gatetest.ForEachEngine(t, testQuickstart) }

func testQuickstart(t *testing.T, engine string) {
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			g := gatetest.StartEngine(t, engine, 4, "")
			c := g.Connect(t, mode)
			ctx := context.Background()
			gatetest.MustExec(t, c, usersDDL)
			tag, err := c.Exec(ctx, `INSERT INTO users (id, tenant_id, name, email) VALUES (1, 7, 'Ann', 'a@x'), (2, 7, 'Bob', 'b@x'), (3, 9, 'Cy', NULL)`)
			if err != nil {
				t.Fatal(err)
			}
			if tag.String() != "INSERT 0 3" {
				t.Errorf("tag %q", tag)
			}
			var id, tenant int64
			var name string
			var email *string
			var active bool
			var created time.Time
			err = c.QueryRow(ctx, `SELECT id, tenant_id, name, email, active, created_at FROM users WHERE id = $1`, 2).Scan(&id, &tenant, &name, &email, &active, &created)
			if err != nil {
				t.Fatal(err)
			}
			if id != 2 || tenant != 7 || name != "Bob" || email == nil || *email != "b@x" || !active || time.Since(created) > time.Hour {
				t.Errorf("row: %v %v %v %v %v %v", id, tenant, name, email, active, created)
			}
			rows, err := c.Query(ctx, `SELECT tenant_id, count(*), avg(id) FROM users GROUP BY tenant_id ORDER BY 2 DESC LIMIT 10`)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var tid, n int64
				var avg string
				if err := rows.Scan(&tid, &n, &avg); err != nil {
					t.Fatal(err)
				}
				got = append(got, strconv.FormatInt(tid, 10)+":"+strconv.FormatInt(n, 10)+":"+avg)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			want := "7:2:1.5000000000000000 9:1:3.0000000000000000"
			if strings.Join(got, " ") != want {
				t.Errorf("group by: got %q want %q", strings.Join(got, " "), want)
			}
			var plan []string
			rows, err = c.Query(ctx, `EXPLAIN (ROUTE) SELECT * FROM users WHERE id = 2`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var l string
				rows.Scan(&l)
				plan = append(plan, l)
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, "single_shard") || !strings.Contains(text, "shards=-40") {
				t.Errorf("explain:\n%s", text)
			}
		})
	}
}

// TestRefusals checks that what the gate cannot answer exactly is refused
// with 0A000 and a message naming the construct.
func TestRefusals(t *testing.T) { gatetest.ForEachEngine(t, testRefusals) }

func testRefusals(t *testing.T, engine string) {
	g := gatetest.StartEngine(t, engine, 4, "")
	c := g.Connect(t)
	gatetest.MustExec(t, c, usersDDL)
	gatetest.MustExec(t, c, `CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, amount int)`)
	cases := map[string]string{
		`SELECT count(DISTINCT tenant_id) FROM users`:                         "DISTINCT",
		`SELECT u.id FROM users u JOIN orders o ON o.user_id = u.id`:          "cross-shard join",
		`SELECT id, row_number() OVER (ORDER BY id) FROM users`:               "window",
		`UPDATE users SET id = 5 WHERE id = 1`:                                "vindex column",
		`SELECT * FROM users WHERE tenant_id IN (SELECT user_id FROM orders)`: "subquery",
		`SELECT sum(id) + 1 FROM users`:                                       "expression over aggregates",
		`SELECT string_agg(name, ',') FROM users`:                             "string_agg",
		`SELECT DISTINCT ON (tenant_id) id FROM users`:                        "DISTINCT ON",
	}
	for sql, want := range cases {
		_, err := c.Exec(context.Background(), sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, want) {
			t.Errorf("%s: got %v, want 0A000 naming %q", sql, err, want)
		}
	}
}

// TestPsql drives the gate with the real psql binary.
func TestPsql(t *testing.T) { gatetest.ForEachEngine(t, testPsql) }

func testPsql(t *testing.T, engine string) {
	gatetest.RequireTool(t, "psql")
	g := gatetest.StartEngine(t, engine, 4, "")
	run := func(sql string) string {
		t.Helper()
		out, err := g.Psql(context.Background(), "app", "main", "-v", "ON_ERROR_STOP=1", "-c", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %s: %v\n%s", sql, err, out)
		}
		return string(out)
	}
	run(usersDDL)
	if out := run(`INSERT INTO users (id, tenant_id, name, email) VALUES (1, 7, 'Ann', 'a@x'), (2, 7, 'Bob', 'b@x'), (3, 9, 'Cy', NULL)`); !strings.Contains(out, "INSERT 0 3") {
		t.Errorf("insert: %s", out)
	}
	out := run(`SELECT id, name, email, active FROM users WHERE id = 2`)
	if !strings.Contains(out, " 2 | Bob  | b@x   | t") {
		t.Errorf("select:\n%s", out)
	}
	out = run(`SELECT tenant_id, count(*), avg(id) FROM users GROUP BY tenant_id ORDER BY 2 DESC LIMIT 10`)
	if !strings.Contains(out, "7 |     2 | 1.5000000000000000") || !strings.Contains(out, "(2 rows)") {
		t.Errorf("group by:\n%s", out)
	}
	out = run(`EXPLAIN (ROUTE) SELECT * FROM users WHERE id = 2`)
	if !strings.Contains(out, "single_shard") {
		t.Errorf("explain:\n%s", out)
	}
	out = run(`SELECT 1; SELECT count(*) FROM users`)
	if !strings.Contains(out, "3") {
		t.Errorf("multi:\n%s", out)
	}
}
