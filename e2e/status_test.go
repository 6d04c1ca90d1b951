package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/dotdo/vitess/gate"
	"github.com/dotdo/vitess/gatetest"
	"github.com/dotdo/vitess/pgtest"
	"github.com/dotdo/vitess/sdk"
)

// TestStatusSurfaces: the same status and vschema from SQL (SHOW
// vitess_status / vitess_shards / vitess_vschema, through pgx and psql),
// the admin HTTP (/status, /vschema, /metrics, /healthz, /readyz) and the
// `vitess status` / `vitess vschema` commands; latency percentiles come
// from the histogram.
func TestStatusSurfaces(t *testing.T) {
	o := gatetest.EngineOptions(t, "sqlite", 2, "keyspaces:\n  main:\n    tables:\n      items: {vindex: {type: hash, columns: [id]}, autoIncrement: {column: id, sequence: items_seq}}\n      countries: {type: reference}\n")
	admin := gatetest.FreeAddr(t)
	o.Admin = admin
	g := gatetest.StartOptions(t, o)
	c := g.Connect(t)
	ctx := context.Background()
	gatetest.MustExec(t, c, `CREATE TABLE items (id bigint PRIMARY KEY, name text)`)
	for i := 0; i < 30; i++ {
		gatetest.MustExec(t, c, `INSERT INTO items (name) VALUES ($1)`, fmt.Sprint("n", i))
	}
	gatetest.MustExec(t, c, `INSERT INTO items (id, name) VALUES (1000, 'x')`)
	if _, err := c.Exec(ctx, `INSERT INTO items (id, name) VALUES (1000, 'x')`); err == nil {
		t.Fatal("duplicate key accepted")
	}

	var count int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&count); err != nil || count != 31 {
		t.Fatalf("count %d %v", count, err)
	}
	var doc string
	if err := c.QueryRow(ctx, `SHOW vitess_status`).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var st sdk.ClusterStatus
	if err := json.Unmarshal([]byte(doc), &st); err != nil {
		t.Fatal(err)
	}
	if st.Keyspace != "main" || st.ShardCount != 2 || len(st.Shards) != 2 || st.Engine != "sqlite" || st.TotalQueries < 30 || st.TotalErrors < 1 {
		t.Fatalf("SHOW vitess_status: %+v", st)
	}
	for _, sh := range st.Shards {
		if !sh.Healthy || sh.QueryCount == 0 || sh.LastQuery.IsZero() || sh.Latency.P50 <= 0 || sh.Latency.P99 < sh.Latency.P50 {
			t.Errorf("shard %+v", sh)
		}
	}
	rows, err := c.Query(ctx, `SHOW vitess_shards`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var ks, shard, engine string
		var healthy bool
		var queries, errs int64
		var p50, p95, p99 float64
		var last *string
		if err := rows.Scan(&ks, &shard, &engine, &healthy, &queries, &errs, &p50, &p95, &p99, &last); err != nil {
			t.Fatal(err)
		}
		if ks != "main" || !healthy || queries == 0 || last == nil || p95 < p50 {
			t.Errorf("row %s %s %v %d %v %v", ks, shard, healthy, queries, p50, last)
		}
		n++
	}
	if rows.Err() != nil || n != 2 {
		t.Fatalf("SHOW vitess_shards: %d rows, %v", n, rows.Err())
	}
	if err := c.QueryRow(ctx, `SHOW vitess_vschema`, pgx.QueryExecModeSimpleProtocol).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var vs sdk.VSchema
	if err := json.Unmarshal([]byte(doc), &vs); err != nil || !vs.Sharded || vs.Tables["items"].AutoIncrement.Sequence != "items_seq" || vs.Tables["countries"].Type != "reference" {
		t.Fatalf("SHOW vitess_vschema: %+v %v", vs, err)
	}
	if out, err := g.Psql(ctx, "app", "main", "-At", "-c", "SHOW vitess_shards").CombinedOutput(); err != nil || strings.Count(string(out), "main|") != 2 {
		t.Errorf("psql SHOW vitess_shards: %v\n%s", err, out)
	}

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + admin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM items`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	code, body := get("/status?keyspace=main")
	var hst sdk.ClusterStatus
	if code != 200 || json.Unmarshal([]byte(body), &hst) != nil || hst.ShardCount != 2 || hst.TotalQueries <= st.TotalQueries {
		t.Errorf("/status: %d %s", code, body)
	}
	code, body = get("/vschema")
	var hvs []sdk.VSchema
	if code != 200 || json.Unmarshal([]byte(body), &hvs) != nil || len(hvs) != 1 || hvs[0].Tables["items"].Vindex.Type != "hash" {
		t.Errorf("/vschema: %d %s", code, body)
	}
	// A multi-shard commit: its decision is counted, with its write.
	gatetest.MustExec(t, c, `BEGIN`)
	gatetest.MustExec(t, c, `UPDATE items SET name = name`)
	gatetest.MustExec(t, c, `COMMIT`)
	// psql's session ends asynchronously at the gate: wait until the
	// gauge counts only this test's pgx connection.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if code, body = get("/metrics"); strings.Contains(body, "vitess_sessions 1\n") || time.Now().After(deadline) {
			break
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	var scraped float64
	for _, m := range families["vitess_shard_queries_total"].GetMetric() {
		scraped += m.GetCounter().GetValue()
	}
	if scraped < float64(st.TotalQueries) {
		t.Errorf("vitess_shard_queries_total %v < %d", scraped, st.TotalQueries)
	}
	decided := families["vitess_2pc_decisions_total"].GetMetric()
	writes := families["vitess_2pc_decision_writes_total"].GetMetric()
	if len(decided) != 1 || len(writes) != 1 || decided[0].GetCounter().GetValue() < 1 || writes[0].GetCounter().GetValue() < 1 ||
		writes[0].GetCounter().GetValue() > decided[0].GetCounter().GetValue() {
		t.Errorf("2PC decision counters: %v %v", decided, writes)
	}
	for _, m := range families["vitess_shard_latency_seconds"].GetMetric() {
		if h := m.GetHistogram(); h.GetSampleCount() == 0 || len(h.GetBucket()) == 0 {
			t.Errorf("empty latency histogram %v", m)
		}
	}
	for _, want := range []string{`vitess_shard_queries_total{engine="sqlite",keyspace="main",shard="-80"}`, `vitess_shard_latency_seconds_bucket{engine="sqlite",keyspace="main",shard="80-"`, "vitess_sessions 1", "vitess_shard_healthy", `vitess_plan_latency_seconds_bucket{plan="insert"`, `vitess_plan_latency_seconds_bucket{plan="scatter_aggregate"`, `vitess_plan_errors_total{plan=`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d", code)
	}

	var out bytes.Buffer
	if err := gate.PrintStatus(&out, admin, "", "", false); err != nil || strings.Count(out.String(), "main ") != 2 || !strings.Contains(out.String(), "P99 MS") {
		t.Errorf("vitess status: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := gate.PrintStatus(&out, admin, "", "main", true); err != nil || !strings.Contains(out.String(), `"shardCount":2`) {
		t.Errorf("vitess status --json: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := gate.PrintVSchema(&out, admin, "", "main"); err != nil || !strings.Contains(out.String(), `"items_seq"`) {
		t.Errorf("vitess vschema: %v\n%s", err, out.String())
	}
}

// TestHealthzUnhealthyShard: /healthz answers 503 while a shard is down
// and /readyz stays 200 while every keyspace still has a healthy shard.
func TestHealthzUnhealthyShard(t *testing.T) {
	own := pgtest.Start(t)
	_, u1 := pgtest.Shared(t).CreateDB(t)
	_, u2 := own.CreateDB(t)
	o := gatetest.OptionsWithConfig(t, fmt.Sprintf("keyspaces:\n  main:\n    sharded: true\n    shards: {\"-80\": %q, \"80-\": %q}\n", u1, u2))
	admin := gatetest.FreeAddr(t)
	o.Admin = admin
	gatetest.StartOptions(t, o)
	status := func(path string) int {
		resp, err := http.Get("http://" + admin + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status("/healthz") != 200 {
		t.Fatal("unhealthy at start")
	}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `vitess_shard_pool_connections{engine="postgres",keyspace="main",shard="-80",state="max"} 20`) {
		t.Errorf("no pool metric:\n%s", body)
	}
	if err := own.StopClean(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for status("/healthz") != 503 {
		if time.Now().After(deadline) {
			t.Fatal("/healthz still 200 with a shard down")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if status("/readyz") != 200 {
		t.Error("/readyz with one healthy shard left")
	}
	resp, err = http.Get("http://" + admin + "/status?keyspace=main")
	if err != nil {
		t.Fatal(err)
	}
	var st sdk.ClusterStatus
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if len(st.Shards) != 2 || !st.Shards[0].Healthy || st.Shards[1].Healthy {
		t.Errorf("status with 80- down: %+v", st.Shards)
	}
	own.Restart()
}
