package gate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dotdo/vitess/shards"
)

// AdminHandler serves the admin HTTP: /healthz (200 only when every shard is
// healthy), /readyz (200 when the gate can serve: every keyspace has a
// healthy shard), /status and /vschema (the SDK's JSON shapes; one
// keyspace with ?keyspace=NAME, else a list of all), /metrics
// (Prometheus), POST /vindex/backfill and, when enabled, /debug/pprof.
// With a token, all but /healthz and /readyz require it.
func (g *Gate) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		for _, t := range g.tablets {
			if !t.Healthy() {
				http.Error(w, fmt.Sprintf("shard %s/%s is unhealthy", t.Keyspace, t.Name()), http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, ks := range g.rep.Keyspaces() {
			ok := false
			for _, t := range g.tablets {
				ok = ok || (t.Keyspace == ks && t.Healthy())
			}
			if !ok {
				http.Error(w, "keyspace "+ks+" has no healthy shard", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		serveDoc(w, r, g.rep.Keyspaces(), func(ks string) (any, bool) { return g.rep.ClusterStatus(ks) })
	})
	mux.HandleFunc("/vschema", func(w http.ResponseWriter, r *http.Request) {
		serveDoc(w, r, g.rep.Keyspaces(), func(ks string) (any, bool) { return g.rep.VSchema(ks) })
	})
	mux.Handle("/vindex/backfill", jsonPost(g.serveBackfill))
	reg := prometheus.NewRegistry()
	reg.MustRegister(&metrics{g: g}, prometheus.NewGoCollector(), g.plans.latency, g.plans.errors)
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if g.adminCfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return requireToken(g.adminCfg.Token, mux)
}

// serveDoc writes one keyspace's document, or the list of all of them.
func serveDoc(w http.ResponseWriter, r *http.Request, keyspaces []string, doc func(string) (any, bool)) {
	w.Header().Set("Content-Type", "application/json")
	if ks := r.URL.Query().Get("keyspace"); ks != "" {
		d, ok := doc(ks)
		if !ok {
			http.Error(w, `{"error":"no such keyspace"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(d)
		return
	}
	var all []any
	for _, ks := range keyspaces {
		d, _ := doc(ks)
		all = append(all, d)
	}
	json.NewEncoder(w).Encode(all)
}

// metrics collects the gate's Prometheus metrics from the tablets and the
// wire server at scrape time.
type metrics struct{ g *Gate }

var (
	mQueries  = prometheus.NewDesc("vitess_shard_queries_total", "Statements run on the shard.", []string{"keyspace", "shard", "engine"}, nil)
	mErrors   = prometheus.NewDesc("vitess_shard_errors_total", "Statements that failed on the shard.", []string{"keyspace", "shard", "engine"}, nil)
	mLatency  = prometheus.NewDesc("vitess_shard_latency_seconds", "Time to a statement's answer on the shard.", []string{"keyspace", "shard", "engine"}, nil)
	mHealthy  = prometheus.NewDesc("vitess_shard_healthy", "1 when the shard's last health check passed.", []string{"keyspace", "shard", "engine"}, nil)
	mOpenTx   = prometheus.NewDesc("vitess_shard_open_transactions", "Transactions open on the shard.", []string{"keyspace", "shard", "engine"}, nil)
	mSessions = prometheus.NewDesc("vitess_sessions", "Client connections open now.", nil, nil)
	mDecided  = prometheus.NewDesc("vitess_2pc_decisions_total", "Multi-shard commit decisions written to the decision log.", nil, nil)
	mDecWrite = prometheus.NewDesc("vitess_2pc_decision_writes_total", "Decision-log writes (group commit: one write for the decisions made at once).", nil, nil)
	mPool     = prometheus.NewDesc("vitess_shard_pool_connections", "A Postgres shard's backend connections by state (in_use, idle, max).", []string{"keyspace", "shard", "engine", "state"}, nil)
)

// planMetrics are the statements by plan type (single_shard, scatter, ...).
type planMetrics struct {
	latency *prometheus.HistogramVec
	errors  *prometheus.CounterVec
}

func newPlanMetrics() *planMetrics {
	return &planMetrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vitess_plan_latency_seconds",
			Help: "Time to a statement's answer, by plan type.", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 20)}, []string{"plan"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vitess_plan_errors_total", Help: "Statements that failed, by plan type."}, []string{"plan"}),
	}
}

func (p *planMetrics) observe(plan string, d time.Duration, failed bool) {
	p.latency.WithLabelValues(plan).Observe(d.Seconds())
	if failed {
		p.errors.WithLabelValues(plan).Inc()
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mQueries, mErrors, mLatency, mHealthy, mOpenTx, mSessions, mPool, mDecided, mDecWrite} {
		ch <- d
	}
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for _, t := range m.g.tablets {
		collectTablet(ch, t)
	}
	if m.g.server != nil {
		ch <- prometheus.MustNewConstMetric(mSessions, prometheus.GaugeValue, float64(m.g.server.Sessions()))
	}
	if m.g.coord != nil {
		decided, writes := m.g.coord.DecisionStats()
		ch <- prometheus.MustNewConstMetric(mDecided, prometheus.CounterValue, float64(decided))
		ch <- prometheus.MustNewConstMetric(mDecWrite, prometheus.CounterValue, float64(writes))
	}
}

func collectTablet(ch chan<- prometheus.Metric, t *shards.Tablet) {
	s := t.Stats()
	labels := []string{s.Keyspace, s.Shard, s.Engine}
	ch <- prometheus.MustNewConstMetric(mQueries, prometheus.CounterValue, float64(s.Queries), labels...)
	ch <- prometheus.MustNewConstMetric(mErrors, prometheus.CounterValue, float64(s.Errors), labels...)
	healthy := 0.0
	if s.Healthy {
		healthy = 1
	}
	ch <- prometheus.MustNewConstMetric(mHealthy, prometheus.GaugeValue, healthy, labels...)
	ch <- prometheus.MustNewConstMetric(mOpenTx, prometheus.GaugeValue, float64(s.OpenTransactions), labels...)
	if inUse, idle, size, ok := t.PoolUsage(); ok {
		for state, v := range map[string]int{"in_use": inUse, "idle": idle, "max": size} {
			ch <- prometheus.MustNewConstMetric(mPool, prometheus.GaugeValue, float64(v), append(labels, state)...)
		}
	}
	bounds, cum, count, sum := t.LatencyBuckets()
	buckets := make(map[float64]uint64, len(bounds))
	for i, b := range bounds {
		buckets[b.Seconds()] = cum[i]
	}
	ch <- prometheus.MustNewConstHistogram(mLatency, count, sum.Seconds(), buckets, labels...)
}
