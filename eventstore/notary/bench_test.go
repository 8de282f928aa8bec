package notary_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/notary"
)

const (
	benchAggregates = 2_000
	benchWorkers    = 256
)

func benchEvent(i int) eventstore.Event {
	body := fmt.Sprintf(`{"indicator":112,"kind":"designated","baseline":{"value":%d.5,"year":"2006/07"},"values":{"2008/09":%d.1,"2009/10":%d.2,"2010/11":%d.3},"rationale":"%s"}`,
		i%97, i%89, i%83, i%79, strings.Repeat("x", 200))
	return eventstore.Event{Type: "laa.TargetProposed", SchemaVersion: 1, Data: json.RawMessage(body),
		Actor:      eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"},
		OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC)}
}

// appendAll appends n single-event commands from benchWorkers goroutines,
// each owning its share of benchAggregates aggregates, and returns how long
// it took.
func appendAll(b *testing.B, s *eventstore.Store, n int) time.Duration {
	ctx := context.Background()
	return estest.RunWorkers(b, n, benchAggregates, benchWorkers, func(w int, idx []int) error {
		version := map[int]uint64{}
		for _, i := range idx {
			a := i % benchAggregates
			agg := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%05d/2008-11", a)}
			res, err := s.Append(ctx, agg, version[a], []eventstore.Event{benchEvent(i)}, fmt.Sprintf("cmd-%d", i))
			if err != nil {
				return err
			}
			version[a] = res.LastVersion
		}
		return nil
	})
}

// BenchmarkNotaryOverheadOnAppend measures, in one run, append throughput
// on a fresh ledger with no notary and with a notary running (following
// the stream, signing every 1000 commits and every 10 s), and reports the
// ratio. The notary's catch-up after the last append is reported apart:
// it does not hold appends back.
func BenchmarkNotaryOverheadOnAppend(b *testing.B) {
	for _, mode := range estest.SyncModes(6_000, 30_000) {
		b.Run(mode.Name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				var off, on, lag time.Duration
				// Alternate the order so neither side always runs on a
				// warmer machine.
				for _, withNotary := range map[bool][]bool{true: {false, true}, false: {true, false}}[it%2 == 0] {
					b.StopTimer()
					l := estest.Open(b, func(c *eventstore.Config) { c.SyncInterval = mode.Sync })
					ctx, stop := context.WithCancel(context.Background())
					var n *notary.Notary
					done := make(chan error, 1)
					if withNotary {
						k, _, err := notary.GenerateKey("laaledger/LEDGER")
						if err != nil {
							b.Fatal(err)
						}
						if n, err = notary.Open(ctx, l.Store, notary.Config{Key: k}); err != nil {
							b.Fatal(err)
						}
						go func() { done <- n.Run(ctx) }()
					}
					b.StartTimer()
					d := appendAll(b, l.Store, mode.N)
					if withNotary {
						t0 := time.Now()
						if _, err := n.Sync(ctx); err != nil {
							b.Fatal(err)
						}
						lag = time.Since(t0)
						on = d
						stop()
						if err := <-done; err != nil {
							b.Fatal(err)
						}
					} else {
						off = d
						stop()
					}
					l.Store.Close()
				}
				offRate, onRate := float64(mode.N)/off.Seconds(), float64(mode.N)/on.Seconds()
				b.ReportMetric(offRate, "off_ev/s")
				b.ReportMetric(onRate, "on_ev/s")
				b.ReportMetric(onRate/offRate, "on/off")
				b.ReportMetric(float64(lag.Milliseconds()), "catchup_ms")
			}
		})
	}
}

// BenchmarkInclusionProof: proofs from a tree of LAALEDGER_BENCH_EVENTS
// leaves (default 1,000,000), at random leaves against the full size.
func BenchmarkInclusionProof(b *testing.B) {
	size := estest.BenchEvents(1_000_000)
	tr := notary.NewTree()
	leaf := make([]byte, 64)
	for i := 0; i < size; i++ {
		leaf[0], leaf[1], leaf[2], leaf[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if err := tr.Append(notary.LeafHash(leaf)); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	var hashes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx := rng.Uint64N(uint64(size))
		t0 := time.Now()
		p, err := tr.InclusionProof(idx, uint64(size))
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		hashes = len(p)
	}
	b.StopTimer()
	b.ReportMetric(estest.Percentile(lat, 50), "p50_µs")
	b.ReportMetric(estest.Percentile(lat, 99), "p99_µs")
	b.ReportMetric(float64(hashes*32), "proof_bytes")
}
