package api

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Lag is how far the read models are behind the ledger.
type Lag struct {
	// Events is the number of ledger commits not yet applied.
	Events uint64
	// Seconds is the age of the oldest commit not yet applied (0 when
	// caught up).
	Seconds float64
}

// metrics are the server's Prometheus collectors, registered on the
// registry the caller gives (never the global one), so that two servers
// in one test process do not collide.
type metrics struct {
	appends    *prometheus.CounterVec
	conflicts  *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	appendDur  *prometheus.HistogramVec
	requests   *prometheus.CounterVec
	reqDur     *prometheus.HistogramVec
	sseClients prometheus.Gauge
	sseDrops   *prometheus.CounterVec
	// pageHits and pageMisses count timeline reads answered from the
	// cache of encoded pages and those that built their page.
	pageHits, pageMisses prometheus.Counter
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func newMetrics(reg prometheus.Registerer, lag func() Lag) (*metrics, error) {
	m := &metrics{
		appends:    counterVec("laaledger_appends_total", "Commands whose events were appended to the ledger, by aggregate kind.", "kind"),
		conflicts:  counterVec("laaledger_append_conflicts_total", "Commands refused for a version conflict (If-Match or lost races), by aggregate kind.", "kind"),
		duplicates: counterVec("laaledger_append_duplicates_total", "Commands answered with their original result because the Idempotency-Key had been used, by aggregate kind.", "kind"),
		appendDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "laaledger_append_duration_seconds",
			Help:    "Time to execute a command: load, decide and append, by aggregate kind and outcome.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind", "outcome"}),
		requests: counterVec("laaledger_http_requests_total", "HTTP requests by route pattern, method and status.", "route", "method", "status"),
		reqDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "laaledger_http_request_duration_seconds",
			Help:    "HTTP request duration by route pattern (the event stream is excluded).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		sseClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "laaledger_event_stream_clients",
			Help: "Open server-sent event streams.",
		}),
	}
	m.sseDrops = counterVec("laaledger_event_stream_drops_total",
		"Event streams the server closed because the client did not take a write: write_timeout (it stopped reading) or write_failed (the connection broke).", "reason")
	m.pageHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "laaledger_timeline_cache_hits_total",
		Help: "Timeline reads answered with a page encoded earlier at the same ledger position.",
	})
	m.pageMisses = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "laaledger_timeline_cache_misses_total",
		Help: "Timeline reads that built and encoded their page (none cached for the query at the current position).",
	})
	cs := []prometheus.Collector{m.appends, m.conflicts, m.duplicates, m.appendDur, m.requests, m.reqDur, m.sseClients, m.sseDrops, m.pageHits, m.pageMisses}
	if lag != nil {
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "laaledger_projection_lag_events",
				Help: "Ledger commits the read models have not yet applied.",
			}, func() float64 { return float64(lag().Events) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "laaledger_projection_lag_seconds",
				Help: "Age of the oldest ledger commit the read models have not yet applied.",
			}, func() float64 { return lag().Seconds }))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
