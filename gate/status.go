package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sdk"
	"github.com/dotdo/vitess/shards"
)

// One source for the gate's status and vschema: SHOW vitess_status,
// SHOW vitess_shards, SHOW vitess_vschema, the admin HTTP /status and
// /vschema, `vitess status` and the SDK all read these.

// reporter builds status and vschema documents from the running gate.
type reporter struct {
	vs      *router.VSchema
	tablets func() []*shards.Tablet
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Keyspaces lists the keyspace names, sorted.
func (r *reporter) Keyspaces() []string {
	var names []string
	for n := range r.vs.Keyspaces {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ClusterStatus reports one keyspace's shards.
func (r *reporter) ClusterStatus(keyspace string) (sdk.ClusterStatus, bool) {
	ks, ok := r.vs.Keyspaces[keyspace]
	if !ok {
		return sdk.ClusterStatus{}, false
	}
	st := sdk.ClusterStatus{Keyspace: keyspace, ShardCount: len(ks.Shards)}
	engines := map[string]bool{}
	for _, t := range r.tablets() {
		if t.Keyspace != keyspace {
			continue
		}
		s := t.Stats()
		engines[s.Engine] = true
		st.Shards = append(st.Shards, sdk.ShardStatus{ID: s.Shard, Healthy: s.Healthy, Engine: s.Engine,
			QueryCount: s.Queries, ErrorCount: s.Errors, LastQuery: s.LastQuery,
			Latency: sdk.Latency{P50: ms(s.P50), P95: ms(s.P95), P99: ms(s.P99)}})
		st.TotalQueries += s.Queries
		st.TotalErrors += s.Errors
	}
	order := map[string]int{}
	for i, s := range ks.Shards {
		order[s] = i
	}
	sort.Slice(st.Shards, func(i, j int) bool { return order[st.Shards[i].ID] < order[st.Shards[j].ID] })
	switch len(engines) {
	case 1:
		for e := range engines {
			st.Engine = e
		}
	default:
		st.Engine = "mixed"
	}
	return st, true
}

// VSchema reports one keyspace's routing schema.
func (r *reporter) VSchema(keyspace string) (sdk.VSchema, bool) {
	ks, ok := r.vs.Keyspaces[keyspace]
	if !ok {
		return sdk.VSchema{}, false
	}
	doc := sdk.VSchema{Keyspace: keyspace, Sharded: ks.Sharded, Tables: map[string]sdk.TableVSchema{}, Vindexes: map[string]sdk.Vindex{}}
	for name, v := range ks.Vindexes {
		doc.Vindexes[name] = sdk.Vindex{Type: v.Type, Columns: v.Columns, LookupTable: v.Table, Unique: v.Unique}
	}
	for _, t := range ks.Tables() {
		tv := sdk.TableVSchema{}
		switch t.Type {
		case router.Reference:
			tv.Type = "reference"
		case router.Sharded:
			tv.Vindex = &sdk.Vindex{Type: t.VindexType, Columns: t.Columns}
			for _, l := range t.Lookups {
				if tv.Lookups == nil {
					tv.Lookups = map[string]sdk.Vindex{}
				}
				tv.Lookups[l.Name] = sdk.Vindex{Type: "lookup", Columns: []string{l.Column}, LookupTable: l.Keyspace + "." + l.Table, Unique: l.Unique}
			}
		}
		if t.AutoIncrement != nil {
			tv.AutoIncrement = &sdk.AutoIncrement{Column: t.AutoIncrement.Column, Sequence: t.AutoIncrement.Sequence}
		}
		doc.Tables[t.Name] = tv
	}
	return doc, true
}

// adminRequest sends one request to a gate's admin HTTP, with the bearer
// token when one is given and body (if not nil) as JSON; it returns the
// status code and the body.
func adminRequest(method, admin, token, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+admin+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("gate admin %s: %w", admin, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// Backfills of big tables take a while; reads are quick.
	client := http.Client{Timeout: 10 * time.Second}
	if method == http.MethodPost {
		client.Timeout = 0
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("gate admin %s: %w", admin, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("gate admin %s: %w", admin, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return resp.StatusCode, b, fmt.Errorf("gate admin %s%s: 401 unauthorized: give the admin token with --token or VITESS_ADMIN_TOKEN", admin, path)
	}
	return resp.StatusCode, b, nil
}

// FetchDocs reads /status or /vschema from a gate's admin HTTP: every
// keyspace's document, or one.
func FetchDocs[T any](admin, token, path, keyspace string) ([]T, []byte, error) {
	if keyspace != "" {
		path += "?keyspace=" + url.QueryEscape(keyspace)
	}
	code, body, err := adminRequest(http.MethodGet, admin, token, path, nil)
	if err != nil {
		return nil, nil, err
	}
	if code != http.StatusOK {
		return nil, nil, fmt.Errorf("gate admin %s%s: %d %s: %s", admin, path, code, http.StatusText(code), strings.TrimSpace(string(body)))
	}
	var docs []T
	if keyspace != "" {
		var one T
		err = json.Unmarshal(body, &one)
		docs = []T{one}
	} else {
		err = json.Unmarshal(body, &docs)
	}
	return docs, body, err
}

// PrintStatus prints `vitess status`: a table of shards per keyspace.
func PrintStatus(w io.Writer, admin, token, keyspace string, asJSON bool) error {
	docs, body, err := FetchDocs[sdk.ClusterStatus](admin, token, "/status", keyspace)
	if err != nil {
		return err
	}
	if asJSON {
		_, err := w.Write(body)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEYSPACE\tSHARD\tENGINE\tHEALTHY\tQUERIES\tERRORS\tP50 MS\tP95 MS\tP99 MS\tLAST QUERY")
	for _, st := range docs {
		for _, sh := range st.Shards {
			last := "-"
			if !sh.LastQuery.IsZero() {
				last = sh.LastQuery.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%d\t%d\t%.3f\t%.3f\t%.3f\t%s\n", st.Keyspace, sh.ID, sh.Engine, sh.Healthy,
				sh.QueryCount, sh.ErrorCount, sh.Latency.P50, sh.Latency.P95, sh.Latency.P99, last)
		}
	}
	return tw.Flush()
}

// PrintVSchema prints `vitess vschema` (JSON, indented).
func PrintVSchema(w io.Writer, admin, token, keyspace string) error {
	docs, _, err := FetchDocs[sdk.VSchema](admin, token, "/vschema", keyspace)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if keyspace != "" {
		return enc.Encode(docs[0])
	}
	return enc.Encode(docs)
}
