package gate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/planner"
	"github.com/dotdo/vitess/router"
)

// createLookupTables makes the lookup tables of every lookup vindex that
// does not have one yet, on every shard of the keyspace that holds it.
func createLookupTables(ctx context.Context, vs *router.VSchema, shardMap map[string]map[string]engine.Shard, log *slog.Logger) {
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

// backfillRequest is POST /vindex/backfill's JSON body; keyspace
// defaults to main.
type backfillRequest struct {
	Keyspace string `json:"keyspace"`
	Table    string `json:"table"`
	Vindex   string `json:"vindex"`
}

// serveBackfill runs a lookup vindex backfill: POST /vindex/backfill with
// {"keyspace": K, "table": T, "vindex": V} answers the result as JSON.
// The older ?keyspace=K&table=T&vindex=V form is still read, but only on
// the same JSON POST (jsonPost guards the route).
func (g *Gate) serveBackfill(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	req, err := readBackfillRequest(r)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	res, err := g.planner.Backfill(r.Context(), req.Keyspace, req.Table, req.Vindex, g.coord)
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	g.log.Info("lookup backfill", "keyspace", res.Keyspace, "table", res.Table, "vindex", res.Vindex, "rows", res.Rows, "entries", res.Entries)
	json.NewEncoder(w).Encode(res)
}

// readBackfillRequest reads the query string, then the JSON body over it.
func readBackfillRequest(r *http.Request) (backfillRequest, error) {
	q := r.URL.Query()
	req := backfillRequest{Keyspace: q.Get("keyspace"), Table: q.Get("table"), Vindex: q.Get("vindex")}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		return req, fmt.Errorf("backfill request body: %w", err)
	}
	if dec.More() {
		return req, fmt.Errorf("backfill request body: one JSON object expected")
	}
	if req.Keyspace == "" {
		req.Keyspace = "main"
	}
	if req.Table == "" || req.Vindex == "" {
		return req, fmt.Errorf(`backfill request: "table" and "vindex" are required`)
	}
	return req, nil
}

// Backfill asks a running gate to backfill a lookup vindex.
func Backfill(w io.Writer, admin, token, keyspace, table, vindex string) error {
	code, body, err := adminRequest(http.MethodPost, admin, token, "/vindex/backfill", backfillRequest{Keyspace: keyspace, Table: table, Vindex: vindex})
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	if code != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("backfill: %s", e.Error)
		}
		return fmt.Errorf("backfill: %d %s: %s", code, http.StatusText(code), strings.TrimSpace(string(body)))
	}
	var res planner.BackfillResult
	if err := json.Unmarshal(body, &res); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	_, err = fmt.Fprintf(w, "backfilled %s.%s vindex %s: %d rows on %d shards, %d lookup entries written\n", res.Keyspace, res.Table, res.Vindex, res.Rows, res.Shards, res.Entries)
	return err
}
