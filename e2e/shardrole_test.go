package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
)

// TestShardRoles: a user with shardUser reaches the Postgres shards as that
// role (its own pools), not as the shard URL's superuser: current_user is
// the role, the role's missing grants are Postgres's 42501, pg_authid is
// unreadable, and a multi-shard transaction (two-phase commit as the role)
// commits. A user without shardUser is the URL's role, and the gate warns
// at startup that that role is a superuser.
func TestShardRoles(t *testing.T) {
	pg, super := gatetest.Superuser(t)
	ctx := context.Background()
	role := fmt.Sprintf("vt_role_%d", time.Now().UnixNano()%1e9)
	gatetest.MustExec(t, super, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'r0le pw' NOSUPERUSER`, role))
	t.Cleanup(func() {
		super.Exec(ctx, fmt.Sprintf(`DROP OWNED BY %s`, role))
		super.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	_, soloURL := pg.CreateDB(t)
	o := gatetest.EngineOptions(t, "postgres", 2, fmt.Sprintf(`users:
  - {name: app, password: a, shardUser: %s, shardPassword: "r0le pw"}
  - {name: root, password: r}
keyspaces:
  solo: {sharded: false, shards: {"-": %q}}
`, role, soloURL))
	cfg, err := gate.LoadConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	g0, err := gate.Start(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	g := &gatetest.Gate{Gate: g0, Dir: o.DataDir, Cfg: cfg}
	defer g.Close(ctx)
	if n := strings.Count(logs.String(), "shard role is a superuser"); n != 3 || !strings.Contains(logs.String(), "role=postgres") || strings.Contains(logs.String(), "role="+role) {
		t.Errorf("want a superuser warning for each of the 3 shards' URL role and none for %s:\n%s", role, logs.String())
	}
	root := mustConnectAs(t, g, "root", "r", "main")
	gatetest.MustExec(t, root, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`)
	gatetest.MustExec(t, root, `INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')`)
	for _, s := range cfg.Keyspaces["main"].Shards {
		c, err := pgx.Connect(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		gatetest.MustExec(t, c, fmt.Sprintf(`GRANT SELECT, INSERT ON t TO %s`, role))
		c.Close(ctx)
	}
	var who string
	var super1 bool
	if err := root.QueryRow(ctx, `SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&who, &super1); err != nil || who != "postgres" || !super1 {
		t.Errorf("root on the shards: %q super=%v %v", who, super1, err)
	}
	app := mustConnectAs(t, g, "app", "a", "main")
	if err := app.QueryRow(ctx, `SELECT current_user::text, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&who, &super1); err != nil || who != role || super1 {
		t.Errorf("app on the shards: %q super=%v %v, want %s", who, super1, err, role)
	}
	// Relayed (an unsharded Postgres keyspace): the same role.
	solo := mustConnectAs(t, g, "app", "a", "solo")
	if err := solo.QueryRow(ctx, `SELECT current_user::text`).Scan(&who); err != nil || who != role {
		t.Errorf("app on keyspace solo: %q %v, want %s", who, err, role)
	}
	_, err = solo.Exec(ctx, `COPY (SELECT 1) TO PROGRAM 'id'`)
	wantState(t, "app COPY TO PROGRAM on solo", err, "42501")
	var n int
	if err := app.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 4 {
		t.Errorf("app reads t: %d %v", n, err)
	}
	_, err = app.Exec(ctx, `DELETE FROM t WHERE id = 1`)
	wantState(t, "app DELETE without the grant", err, "42501")
	_, err = app.Exec(ctx, `SELECT rolpassword FROM pg_authid`)
	wantState(t, "app reads pg_authid", err, "42501")
	// A transaction over both shards: prepared and committed as the role.
	tx, err := app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 20; i++ {
		if _, err := tx.Exec(ctx, `INSERT INTO t VALUES ($1, 'tx')`, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("multi-shard commit as %s: %v", role, err)
	}
	if err := root.QueryRow(ctx, `SELECT count(*) FROM t WHERE v = 'tx'`).Scan(&n); err != nil || n != 10 {
		t.Errorf("rows of the committed transaction: %d %v", n, err)
	}
	if err := g.Coordinator().Resolve(ctx); err != nil {
		t.Errorf("resolver with a shard role: %v", err)
	}
	if err := super.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_xacts WHERE owner = $1`, role).Scan(&n); err != nil || n != 0 {
		t.Errorf("prepared transactions left by %s: %d %v", role, n, err)
	}
}
