package projections_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// The projection benchmarks share one ledger per run, generated once through
// Store.Append: LAALEDGER_BENCH_EVENTS events (default 100,000).

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
	benchGen    time.Duration
	benchErr    error
)

// sharedLedger generates the benchmark ledger on first use. It lives in its
// own temporary directory for the rest of the process.
func sharedLedger(b *testing.B) (*estest.Ledger, uint64) {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "laaledger-bench-")
		if err != nil {
			benchErr = err
			return
		}
		tb := &onceTB{TB: b}
		benchLedger = estest.Open(tb, func(c *eventstore.Config) {
			c.DataDir = dir
			c.SyncInterval = time.Minute // generation only; durability is not under test
		})
		began := time.Now()
		benchLast, benchErr = generate(context.Background(), benchLedger.Store, benchEvents())
		benchGen = time.Since(began)
		fmt.Fprintf(os.Stderr, "generated %d events in %d commits through Append in %s (%.0f events/s)\n",
			benchEvents(), benchLast, benchGen.Round(time.Millisecond), float64(benchEvents())/benchGen.Seconds())
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchLedger, benchLast
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
func rawRead(ctx context.Context, s *eventstore.Store, last uint64) error {
	cons, err := s.Stream().OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
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

func BenchmarkRebuild(b *testing.B) {
	l, last := sharedLedger(b)
	ctx := context.Background()
	n := float64(benchEvents())
	tl := projections.NewTimelines()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Logger: quiet}, benchModels(tl)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		if err := rawRead(ctx, l.Store, last); err != nil {
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
	if tl.Len() != benchEvents() {
		b.Fatalf("rebuilt %d events, ledger has %d", tl.Len(), benchEvents())
	}
}

func BenchmarkTimelineQuery(b *testing.B) {
	l, last := sharedLedger(b)
	ctx := context.Background()
	tl := projections.NewTimelines()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Logger: quiet}, tl)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Rebuild(ctx, nil); err != nil {
		b.Fatal(err)
	}
	_ = last
	aggs := benchAggregates()
	b.Run("aggregate_first_page", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for i := range b.N {
			began := time.Now()
			p, err := tl.Aggregate(aggs[i%len(aggs)], projections.TimelineQuery{Limit: 50})
			lat = append(lat, time.Since(began))
			if err != nil || len(p.Entries) == 0 {
				b.Fatalf("page: %v, %d entries", err, len(p.Entries))
			}
		}
		reportLatency(b, lat)
	})
	b.Run("aggregate_whole_filtered", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for i := range b.N {
			began := time.Now()
			q := projections.TimelineQuery{Limit: 1000, Types: []string{benchTypeFilter}}
			for {
				p, err := tl.Aggregate(aggs[i%len(aggs)], q)
				if err != nil {
					b.Fatal(err)
				}
				if p.Next == "" {
					break
				}
				q.After = p.Next
			}
			lat = append(lat, time.Since(began))
		}
		reportLatency(b, lat)
	})
}

func BenchmarkSnapshot(b *testing.B) {
	l, _ := sharedLedger(b)
	ctx := context.Background()
	dir := b.TempDir()
	tl := projections.NewTimelines()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet}, benchModels(tl)...)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Rebuild(ctx, nil); err != nil { // ends with a snapshot
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap_MiB")
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		if err := r.Snapshot(); err != nil {
			b.Fatal(err)
		}
		write := time.Since(began)
		began = time.Now()
		r2, err := projections.Open(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet}, benchModels(projections.NewTimelines())...)
		if err != nil {
			b.Fatal(err)
		}
		load := time.Since(began)
		if r2.Position() != r.Position() {
			b.Fatalf("snapshot restored position %d, want %d", r2.Position(), r.Position())
		}
		b.ReportMetric(float64(write.Milliseconds()), "write_ms")
		b.ReportMetric(float64(load.Milliseconds()), "load_ms")
	}
	st, err := os.Stat(dir + "/" + projections.SnapshotFile)
	if err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "file_MiB")
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(q(0.50), "p50_µs")
	b.ReportMetric(q(0.99), "p99_µs")
}
