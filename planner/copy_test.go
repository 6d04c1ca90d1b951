package planner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dotdo/vitess/engine"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestCopyPlans(t *testing.T) {
	p := testPlanner(t)
	ctx := context.Background()
	cases := []struct {
		sql     string
		typ     string
		explain []string // substrings of the EXPLAIN text
	}{
		{`COPY users (id, name) FROM STDIN`, "copy_from", []string{"CopyFrom", "vindex=hash(id)", "shards=by row", `sql=COPY "users" ("id", "name") FROM STDIN`}},
		{`COPY users (tenant_id, name) FROM STDIN WITH CSV HEADER`, "copy_from", []string{"format=csv", "sequence=users_id_seq(id)", `("tenant_id", "name", "id")`}},
		{`COPY orders FROM STDIN (FORMAT csv, DELIMITER ';', NULL 'x', QUOTE '''', ESCAPE '\')`, "copy_from", []string{"vindex=hash(user_id)", `("id", "user_id", "amount")`}},
		{`COPY countries FROM STDIN`, "copy_from_reference", []string{"shards=all (reference)"}},
		{`COPY users TO STDOUT`, "copy_to", []string{"CopyTo", "format=text", "Route"}},
		{`COPY (SELECT count(*) FROM orders) TO STDOUT (FORMAT csv, HEADER)`, "copy_to", []string{"format=csv", "plan=scatter_aggregate"}},
		{`COPY (SELECT * FROM users WHERE id = 7) TO STDOUT`, "copy_to", []string{"plan=single_shard"}},
		{`VACUUM ANALYZE users`, "maintenance", []string{"Maintenance"}},
	}
	for _, c := range cases {
		pl, err := p.Plan(ctx, nil, "main", c.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if pl.Type != c.typ {
			t.Errorf("%s: type %s, want %s", c.sql, pl.Type, c.typ)
		}
		text := strings.Join(pl.Explain(), "\n")
		for _, want := range c.explain {
			if !strings.Contains(text, want) {
				t.Errorf("%s: explain lacks %q:\n%s", c.sql, want, text)
			}
		}
	}
	pl, _ := p.Plan(ctx, nil, "main", `COPY users (id, name) FROM STDIN (FORMAT csv)`, nil)
	if op, ok := pl.Root.(engine.CopyFromOp); !ok {
		t.Fatal("COPY FROM root is not a CopyFromOp")
	} else if overall, cols := op.InFormat(); overall != 0 || len(cols) != 2 {
		t.Fatalf("InFormat = %d %v", overall, cols)
	}
	pl, err := p.Plan(ctx, nil, "main", `COPY users (id, name) FROM STDIN (FORMAT binary)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if op, ok := pl.Root.(engine.CopyFromOp); !ok {
		t.Fatal("COPY FROM BINARY root is not a CopyFromOp")
	} else if overall, cols := op.InFormat(); overall != 1 || len(cols) != 2 || cols[0] != 1 {
		t.Fatalf("binary InFormat = %d %v", overall, cols)
	} else if text := strings.Join(pl.Explain(), "\n"); !strings.Contains(text, "WITH (FORMAT binary)") {
		t.Fatalf("binary explain:\n%s", text)
	}
	pl, _ = p.Plan(ctx, nil, "main", `COPY (SELECT id, name, score FROM users) TO STDOUT`, nil)
	if op, ok := pl.Root.(engine.CopyToOp); !ok {
		t.Fatal("COPY TO root is not a CopyToOp")
	} else if _, cols := op.OutFormat(); len(cols) != 3 {
		t.Fatalf("OutFormat cols %v", cols)
	}
}

func TestCopyRefusals(t *testing.T) {
	p := testPlanner(t)
	for sql, code := range map[string]string{
		`COPY users FROM '/tmp/x'`:                        "0A000",
		`COPY users TO '/tmp/x'`:                          "0A000",
		`COPY users FROM PROGRAM 'cat'`:                   "0A000",
		`COPY users TO PROGRAM 'cat'`:                     "0A000",
		`COPY users TO STDOUT BINARY`:                     "0A000",
		`COPY users FROM STDIN (FORMAT xml)`:              "22023",
		`COPY users FROM STDIN (DELIMITER ',,')`:          "0A000",
		`COPY users FROM STDIN (QUOTE '"')`:               "0A000",
		`COPY users FROM STDIN WHERE id > 1`:              "0A000",
		`COPY users FROM STDIN (FORCE_NULL (name))`:       "0A000",
		`COPY nosuch FROM STDIN`:                          "42P01",
		`COPY members FROM STDIN`:                         "0A000",
		`COPY orders (id, amount) FROM STDIN`:             "23502",
		`COPY users FROM STDIN (FORMAT csv, FORMAT text)`: "42601",
	} {
		_, err := p.Plan(context.Background(), nil, "main", sql, nil)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("%s: got %v, want %s", sql, err, code)
		}
	}
}
