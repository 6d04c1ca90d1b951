package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/router"
)

// createLookupTables makes the lookup tables of every lookup vindex that
// does not have one yet, on every shard of the keyspace that holds it.
func createLookupTables(ctx context.Context, vs *router.VSchema, shardMap map[string]map[string]planner.Shard, log *slog.Logger) {
	for _, o := range vs.LookupsOf() {
		l := o.Lookup
		ks := vs.Keyspaces[l.Keyspace]
		for _, s := range ks.Shards {
			rows, err := shardMap[l.Keyspace][s].Query(ctx, l.CreateSQL(), nil)
			if err == nil {
				rows.Close()
				continue
			}
			log.Warn("lookup table not created", "vindex", l.Name, "table", l.Keyspace+"."+l.Table, "shard", s, "err", err)
		}
	}
}

// serveBackfill runs a lookup vindex backfill: POST
// /vindex/backfill?keyspace=K&table=T&vindex=V answers the result as JSON.
func (g *gate) serveBackfill(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST /vindex/backfill?keyspace=K&table=T&vindex=V", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	ks := q.Get("keyspace")
	if ks == "" {
		ks = "main"
	}
	res, err := g.planner.Backfill(r.Context(), ks, q.Get("table"), q.Get("vindex"), g.coord.Commit)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	g.log.Info("lookup backfill", "keyspace", res.Keyspace, "table", res.Table, "vindex", res.Vindex, "rows", res.Rows, "entries", res.Entries)
	json.NewEncoder(w).Encode(res)
}

// backfillCommand asks a running gate to backfill a lookup vindex.
func backfillCommand(w io.Writer, admin, keyspace, table, vindex string) error {
	u := fmt.Sprintf("http://%s/vindex/backfill?keyspace=%s&table=%s&vindex=%s", admin, url.QueryEscape(keyspace), url.QueryEscape(table), url.QueryEscape(vindex))
	resp, err := http.Post(u, "application/json", nil)
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("backfill: %s", e.Error)
		}
		return fmt.Errorf("backfill: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var res planner.BackfillResult
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	_, err = fmt.Fprintf(w, "backfilled %s.%s vindex %s: %d rows on %d shards, %d lookup entries written\n", res.Keyspace, res.Table, res.Vindex, res.Rows, res.Shards, res.Entries)
	return err
}
