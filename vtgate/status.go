package vtgate

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/dotdo/vitess/sdk"
	"github.com/dotdo/vitess/sqltypes"
)

// Reporter is the gate's status and vschema (package main builds them).
type Reporter interface {
	ClusterStatus(keyspace string) (sdk.ClusterStatus, bool)
	VSchema(keyspace string) (sdk.VSchema, bool)
}

// gateShowFields are the columns of SHOW vitess_...; nil for other names.
func gateShowFields(name string) []sqltypes.Field {
	switch strings.ToLower(name) {
	case "vitess_status":
		return []sqltypes.Field{sqltypes.NewField("status", sqltypes.OIDText)}
	case "vitess_vschema":
		return []sqltypes.Field{sqltypes.NewField("vschema", sqltypes.OIDText)}
	case "vitess_shards":
		f := []sqltypes.Field{}
		for _, c := range []struct {
			name string
			oid  uint32
		}{{"keyspace", sqltypes.OIDText}, {"shard", sqltypes.OIDText}, {"engine", sqltypes.OIDText}, {"healthy", sqltypes.OIDBool},
			{"queries", sqltypes.OIDInt8}, {"errors", sqltypes.OIDInt8}, {"p50_ms", sqltypes.OIDFloat8}, {"p95_ms", sqltypes.OIDFloat8},
			{"p99_ms", sqltypes.OIDFloat8}, {"last_query", sqltypes.OIDText}} {
			f = append(f, sqltypes.NewField(c.name, c.oid))
		}
		return f
	}
	return nil
}

// showGate answers SHOW vitess_status, vitess_shards and vitess_vschema
// for the session's keyspace.
func (s *session) showGate(name string) (sqltypes.Rows, error) {
	name = strings.ToLower(name)
	fields := gateShowFields(name)
	r := s.gate.Reporter
	if fields == nil || r == nil {
		return nil, sqltypes.Errorf(sqltypes.UndefinedObject, "unrecognized configuration parameter \"%s\"", name)
	}
	out := &sqltypes.Buffered{Cols: fields, Command: "SHOW"}
	switch name {
	case "vitess_vschema":
		vs, _ := r.VSchema(s.keyspace)
		b, _ := json.Marshal(vs)
		out.Data = []sqltypes.Row{{b}}
		return out, nil
	}
	st, _ := r.ClusterStatus(s.keyspace)
	if name == "vitess_status" {
		b, _ := json.Marshal(st)
		out.Data = []sqltypes.Row{{b}}
		return out, nil
	}
	f := func(v float64) []byte { return []byte(strconv.FormatFloat(v, 'f', 3, 64)) }
	for _, sh := range st.Shards {
		healthy := "f"
		if sh.Healthy {
			healthy = "t"
		}
		var last []byte // NULL before the first statement
		if !sh.LastQuery.IsZero() {
			last = []byte(sh.LastQuery.Format(time.RFC3339Nano))
		}
		out.Data = append(out.Data, sqltypes.Row{[]byte(st.Keyspace), []byte(sh.ID), []byte(sh.Engine), []byte(healthy),
			[]byte(strconv.FormatInt(sh.QueryCount, 10)), []byte(strconv.FormatInt(sh.ErrorCount, 10)),
			f(sh.Latency.P50), f(sh.Latency.P95), f(sh.Latency.P99), last})
	}
	return out, nil
}
