package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// The append benchmark measures, in one run and on one embedded server:
//
//	raw      async publish of the same bytes, no headers
//	floor    async publish with Nats-Msg-Id and
//	         Nats-Expected-Last-Subject-Sequence, one in flight per
//	         aggregate: what any correct ledger on JetStream pays
//	append   Store.Append doing everything (encoding, hash chain, cache,
//	         headers)
//
// across benchAggregates aggregates with single-event commands of about 400
// bytes, and reports events/s and the ratios append/floor and append/raw.
// LAALEDGER_BENCH_EVENTS sets the events per measurement.
const (
	benchAggregates = 10_000
	benchWorkers    = 512
)

func benchBody(i int) json.RawMessage {
	// About 400 bytes, like a target proposal with three yearly values.
	return json.RawMessage(fmt.Sprintf(`{"indicator":112,"kind":"designated","baseline":{"value":%d.5,"year":"2006/07","source":"ONS conception statistics"},"values":{"2008/09":%d.1,"2009/10":%d.2,"2010/11":%d.3},"rationale":"Reduce under-18 conceptions in line with the national strategy; trajectory agreed with the PCT and checked against the regional average. %s"}`,
		i%97, i%89, i%83, i%79, strings.Repeat("x", 60)))
}

func benchEvent(i int) eventstore.Event {
	return eventstore.Event{Type: "laa.TargetProposed", SchemaVersion: 1, Data: benchBody(i),
		Actor:      eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"},
		OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC)}
}

func BenchmarkAppendThroughput(b *testing.B) {
	for _, mode := range estest.SyncModes(8_000, 60_000) {
		b.Run(mode.Name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				app := measure(b, mode.Sync, mode.N, runAppend)
				floor := measure(b, mode.Sync, mode.N, runFloor)
				raw := measure(b, mode.Sync, mode.N, runRaw)
				b.ReportMetric(raw, "raw_ev/s")
				b.ReportMetric(floor, "floor_ev/s")
				b.ReportMetric(app, "append_ev/s")
				b.ReportMetric(app/floor, "append/floor")
				b.ReportMetric(app/raw, "append/raw")
			}
		})
	}
}

// measure runs one measurement on a fresh ledger and returns events/s.
func measure(b *testing.B, sync time.Duration, n int, run func(*testing.B, *estest.Ledger, int) time.Duration) float64 {
	b.StopTimer()
	l := estest.Open(b, func(c *eventstore.Config) { c.SyncInterval = sync })
	defer l.Store.Close()
	b.StartTimer()
	d := run(b, l, n)
	return float64(n) / d.Seconds()
}

func aggOf(i int) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("A%05d/2008-11", i%benchAggregates)}
}

func runRaw(b *testing.B, l *estest.Ledger, n int) time.Duration {
	js := l.JetStream()
	bodies := make([][]byte, n)
	subjects := make([]string, n)
	for i := range bodies {
		bodies[i] = benchCommit(i)
		subjects[i], _ = aggOf(i).Subject()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		_, err := js.PublishAsync(subjects[i], bodies[i])
		for errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			// The window of 4,096 unacknowledged messages is full: wait for
			// it to drain, as any raw publisher would.
			<-js.PublishAsyncComplete()
			_, err = js.PublishAsync(subjects[i], bodies[i])
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(5 * time.Minute):
		b.Fatal("raw publishes not acknowledged")
	}
	return time.Since(start)
}

// benchCommit is a commit of the size Append writes, for the raw baselines.
func benchCommit(i int) []byte {
	env := eventstore.Envelope{EventID: "0190b6a4-7c1e-7000-8000-000000000000",
		AggregateKind: "laa", AggregateID: aggOf(i).ID, AggregateVersion: 1, CommandID: fmt.Sprintf("cmd-%d", i),
		Event: benchEvent(i), RecordedAt: time.Now().UTC(), PrevHash: eventstore.ZeroHash, Hash: eventstore.ZeroHash}
	body, _ := json.Marshal(eventstore.Commit{CommandID: env.CommandID, Events: []eventstore.Envelope{env}})
	return body
}

// runFloor: benchWorkers goroutines, each owning a share of the aggregates,
// publish with both headers and wait for each acknowledgement before the
// next publish to the same aggregate.
func runFloor(b *testing.B, l *estest.Ledger, n int) time.Duration {
	js := l.JetStream()
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = benchCommit(i)
	}
	return runWorkers(b, n, func(w int, idx []int) error {
		last := map[int]uint64{}
		for _, i := range idx {
			a := i % benchAggregates
			subj, _ := aggOf(i).Subject()
			m := &nats.Msg{Subject: subj, Data: bodies[i], Header: nats.Header{}}
			m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("cmd-%d", i))
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last[a], 10))
			fut, err := js.PublishMsgAsync(m)
			if err != nil {
				return err
			}
			select {
			case ack := <-fut.Ok():
				last[a] = ack.Sequence
			case err := <-fut.Err():
				return err
			}
		}
		return nil
	})
}

func runAppend(b *testing.B, l *estest.Ledger, n int) time.Duration {
	s := l.Store
	ctx := context.Background()
	events := make([]eventstore.Event, n)
	for i := range events {
		events[i] = benchEvent(i)
	}
	// Warm the cache as a running service would have it.
	b.StopTimer()
	for a := 0; a < benchAggregates; a++ {
		if _, err := s.Load(ctx, aggOf(a)); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	return runWorkers(b, n, func(w int, idx []int) error {
		version := map[int]uint64{}
		for _, i := range idx {
			a := i % benchAggregates
			res, err := s.Append(ctx, aggOf(i), version[a], events[i:i+1], fmt.Sprintf("cmd-%d", i))
			if err != nil {
				return err
			}
			version[a] = res.LastVersion
		}
		return nil
	})
}

// runWorkers runs work on benchWorkers goroutines, each owning its share of
// benchAggregates aggregates, and times them all.
func runWorkers(b *testing.B, n int, work func(w int, idx []int) error) time.Duration {
	return estest.RunWorkers(b, n, benchAggregates, benchWorkers, work)
}

// BenchmarkAppendLatency: one aggregate, one command at a time, Append
// against a raw synchronous publish with the same headers.
func BenchmarkAppendLatency(b *testing.B) {
	for _, mode := range []struct {
		name string
		sync time.Duration
	}{{"sync_always", 0}, {"interval_sync", 2 * time.Minute}} {
		b.Run(mode.name, func(b *testing.B) {
			const n = 2000
			ctx := context.Background()
			l := estest.Open(b, func(c *eventstore.Config) { c.SyncInterval = mode.sync })
			js := l.JetStream()
			raw := make([]time.Duration, n)
			var lastSeq uint64
			for i := 0; i < n; i++ {
				m := &nats.Msg{Subject: "ledger.raw.one", Data: benchCommit(i), Header: nats.Header{}}
				m.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("raw-%d", i))
				m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(lastSeq, 10))
				t0 := time.Now()
				ack, err := js.PublishMsg(ctx, m)
				raw[i] = time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				lastSeq = ack.Sequence
			}
			app := make([]time.Duration, n)
			agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
			for i := 0; i < n; i++ {
				t0 := time.Now()
				_, err := l.Store.Append(ctx, agg, uint64(i), []eventstore.Event{benchEvent(i)}, fmt.Sprintf("cmd-%d", i))
				app[i] = time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
			}
			load := make([]time.Duration, n)
			for i := 0; i < n; i++ {
				t0 := time.Now()
				if _, err := l.Store.Load(ctx, agg); err != nil {
					b.Fatal(err)
				}
				load[i] = time.Since(t0)
			}
			b.ReportMetric(estest.Percentile(raw, 50), "raw_p50_µs")
			b.ReportMetric(estest.Percentile(raw, 99), "raw_p99_µs")
			b.ReportMetric(estest.Percentile(app, 50), "append_p50_µs")
			b.ReportMetric(estest.Percentile(app, 99), "append_p99_µs")
			b.ReportMetric(estest.Percentile(load, 99), "load_cached_p99_µs")
		})
	}
}
