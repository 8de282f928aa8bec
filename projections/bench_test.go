package projections_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// The projection benchmarks share one ledger per run, generated once through
// the domain's decisions and Store.Append (scripts/genhistory): about
// LAALEDGER_BENCH_EVENTS events (default 100,000). With LAALEDGER_BENCH_DIR
// set the ledger is kept there and reused as it is by later runs; the
// benchmarks count its events (BenchmarkRebuild checks that count).

func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

var (
	benchOnce   sync.Once
	benchLedger *estest.Ledger
	benchLast   uint64
	benchN      int // events in the shared ledger
	benchGen    time.Duration
	benchErr    error
)

// sharedLedger generates the benchmark ledger on first use and returns it,
// its last stream sequence and its number of events. It lives in its own
// temporary directory for the rest of the process.
func sharedLedger(b *testing.B) (*estest.Ledger, uint64, int) {
	benchOnce.Do(func() {
		dir := os.Getenv("LAALEDGER_BENCH_DIR")
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "laaledger-bench-"); err != nil {
				benchErr = err
				return
			}
		}
		tb := &onceTB{TB: b}
		benchLedger = estest.Open(tb, func(c *eventstore.Config) {
			c.DataDir = dir
			c.SyncInterval = time.Minute // generation only; durability is not under test
		})
		ctx := context.Background()
		if last, err := benchLedger.Store.LastSequence(ctx); err == nil && last > 0 {
			benchLast = last
			benchN, benchErr = countEvents(ctx, benchLedger.Store)
			fmt.Fprintf(os.Stderr, "reusing the ledger in %s: %d events in %d commits\n", dir, benchN, last)
			return
		}
		began := time.Now()
		if benchLast, benchErr = generate(ctx, benchLedger.Store, benchEvents()); benchErr != nil {
			return
		}
		benchGen = time.Since(began)
		benchN, benchErr = countEvents(ctx, benchLedger.Store)
		fmt.Fprintf(os.Stderr, "generated %d events in %d commits through the domain's decisions and Append in %s (%.0f events/s)\n",
			benchN, benchLast, benchGen.Round(time.Millisecond), float64(benchN)/benchGen.Seconds())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchLedger, benchLast, benchN
}

// onceTB keeps the shared ledger alive past the benchmark that created it:
// its cleanups never run (the process exit removes nothing; the OS temp
// directory does).
type onceTB struct{ testing.TB }

func (onceTB) Cleanup(func()) {}
func (onceTB) TempDir() string {
	d, _ := os.MkdirTemp("", "laaledger-bench-")
	return d
}

// rawRead reads the whole stream with a JetStream ordered consumer, without
// decoding: the ceiling a rebuild is measured against.
func rawRead(ctx context.Context, l *estest.Ledger, last uint64) error {
	cons, err := l.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return err
	}
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			return err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return err
		}
		if meta.Sequence.Stream >= last {
			return nil
		}
	}
}

// benchRebuild rebuilds r b.N times, each time after the raw read of the
// same events it is measured against, and reports both rates and their
// ratio.
func benchRebuild(b *testing.B, ctx context.Context, l *estest.Ledger, last uint64, events int, r *projections.Runner) {
	n := float64(events)
	for range b.N {
		began := time.Now()
		if err := rawRead(ctx, l, last); err != nil {
			b.Fatal(err)
		}
		raw := n / time.Since(began).Seconds()
		began = time.Now()
		if err := r.Rebuild(ctx, nil); err != nil {
			b.Fatal(err)
		}
		rebuild := n / time.Since(began).Seconds()
		b.ReportMetric(raw, "raw_ev/s")
		b.ReportMetric(rebuild, "rebuild_ev/s")
		b.ReportMetric(rebuild/raw, "rebuild/raw")
	}
}

func BenchmarkRebuild(b *testing.B) {
	l, last, events := sharedLedger(b)
	ctx := context.Background()
	tl := projections.NewTimelines()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Logger: quiet}, benchModels(tl)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	benchRebuild(b, ctx, l, last, events, r)
	if tl.Len() != events {
		b.Fatalf("rebuilt %d events, ledger has %d", tl.Len(), events)
	}
}

func BenchmarkQueries(b *testing.B) {
	l, _, _ := sharedLedger(b)
	ctx := context.Background()
	q, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	if err := q.Runner().Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	tl, ag, as := q.Timelines(), q.Agreements(), q.Assessments()
	aggs := benchAggregates()
	measure := func(name string, q func(i int) int) {
		b.Run(name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				began := time.Now()
				n := q(i)
				lat = append(lat, time.Since(began))
				if n == 0 {
					b.Fatalf("query %d returned nothing", i)
				}
			}
			reportLatency(b, lat)
		})
	}
	measure("agreement_timeline_page", func(i int) int {
		p, err := tl.Aggregate(aggs[i%len(aggs)], projections.TimelineQuery{Limit: 50})
		if err != nil {
			b.Fatal(err)
		}
		return len(p.Entries)
	})
	measure("agreement_timeline_page_filtered", func(i int) int {
		p, err := tl.Aggregate(aggs[i%len(aggs)], projections.TimelineQuery{Limit: 50, Types: []string{benchTypeFilter},
			From: time.Date(2008, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		return len(p.Entries)
	})
	// The indicator most agreements carry: the generator draws each area's
	// targets, so which indicators appear depends on the ledger's size.
	ni := mostCommonIndicator(ag, aggs)
	measure("indicator_all_areas", func(i int) int { return len(ag.Indicator(ni)) })
	// The same with every area's rounds on it, as the API serves it.
	measure("indicator_all_areas_with_rounds", func(i int) int {
		v, err := q.Indicator(ctx, ni)
		if err != nil {
			b.Fatal(err)
		}
		return len(v.Targets)
	})
	var targets [][2]string
	for _, a := range aggs {
		v, _ := ag.Agreement(a.ID)
		for _, t := range v.Targets {
			targets = append(targets, [2]string{a.ID, t.Key})
		}
	}
	measure("target_rounds", func(i int) int {
		t := targets[(i*7919)%len(targets)]
		return len(ag.TargetRounds(t[0], t[1]))
	})
	measure("agreement_current_state", func(i int) int {
		v, _ := ag.Agreement(aggs[i%len(aggs)].ID)
		return len(v.Targets)
	})
	measure("agreement_as_of", func(i int) int {
		v, err := q.State(ctx, aggs[i%len(aggs)], projections.AsOf{Basis: projections.Known, At: time.Date(2009, 10, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		return int(v.Version)
	})
	// The same read at random instants of the agreements' histories,
	// after one read of each agreement (its checkpoints made, see
	// asof_checkpoints.go): what every read after an aggregate's first
	// costs until its timeline changes.
	for _, a := range aggs {
		if _, err := q.State(ctx, a, projections.AsOf{Basis: projections.Known, At: time.Date(2009, 10, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
	}
	rnd := rand.New(rand.NewSource(1))
	measure("agreement_as_of_random_instant", func(i int) int {
		at := time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rnd.Int63n(int64(3 * 365 * 24 * time.Hour))))
		v, err := q.State(ctx, aggs[i%len(aggs)], projections.AsOf{Basis: projections.Known, At: at})
		if err != nil {
			b.Fatal(err)
		}
		return int(v.Version)
	})
	measure("dashboard", func(i int) int { return len(projections.CountDashboard(ag, as).AgreementsByRegion) })
}

// mostCommonIndicator is the national indicator carried by most of the
// agreements aggs (0 if none carries one).
func mostCommonIndicator(ag *projections.Agreements, aggs []eventstore.Aggregate) int {
	count := map[int]int{}
	for _, a := range aggs {
		v, _ := ag.Agreement(a.ID)
		for _, t := range v.Targets {
			if t.NI != 0 {
				count[t.NI]++
			}
		}
	}
	best := 0
	for ni, n := range count {
		if n > count[best] || (n == count[best] && ni < best) {
			best = ni
		}
	}
	return best
}

// rssMiB is the process's resident set (Linux), embedded NATS server and
// the ledger's aggregate cache included.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(q(0.50), "p50_µs")
	b.ReportMetric(q(0.99), "p99_µs")
}
