package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// history appends random commands to a handful of aggregates: 1–3 events
// each, business times that mostly advance but sometimes reach back (late
// reports), several actors and organisations.
type history struct {
	rng      *rand.Rand
	aggs     []eventstore.Aggregate
	versions map[eventstore.Aggregate]uint64
	clock    time.Time
	n        int
}

func newHistory(seed uint64) *history {
	h := &history{rng: rand.New(rand.NewPCG(seed, 7)), versions: map[eventstore.Aggregate]uint64{},
		clock: time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)}
	for _, area := range []string{"00EB", "00CN", "00BY", "16UB", "00MA"} {
		h.aggs = append(h.aggs, eventstore.Aggregate{Kind: "laa", ID: area + "/2008-11"})
		h.aggs = append(h.aggs, eventstore.Aggregate{Kind: "caa", ID: area + "/2009"})
	}
	return h
}

var actors = []eventstore.Actor{
	{ID: "j.smith", Role: "lsp", Organisation: "00EB"},
	{ID: "a.khan", Role: "go", Organisation: "North East"},
	{ID: "p.jones", Role: "la", Organisation: "00CN"},
	{ID: "r.patel", Role: "go", Organisation: "West Midlands"},
	{ID: "m.brown", Role: "audit_commission", Organisation: "Audit Commission"},
}

var testTypes = []string{"test.Proposed", "test.Countered", "test.Agreed", "test.Noted"}

// appendN appends n commands and returns the last sequence.
func (h *history) appendN(t testing.TB, ctx context.Context, s *eventstore.Store, n int) uint64 {
	t.Helper()
	var last uint64
	for range n {
		agg := h.aggs[h.rng.IntN(len(h.aggs))]
		k := 1 + h.rng.IntN(3)
		events := make([]eventstore.Event, k)
		h.clock = h.clock.Add(time.Duration(h.rng.IntN(72)) * time.Hour)
		for i := range events {
			occurred := h.clock
			if h.rng.IntN(8) == 0 {
				occurred = occurred.Add(-time.Duration(h.rng.IntN(2000)) * time.Hour)
			}
			h.n++
			data, _ := json.Marshal(map[string]any{"n": h.n, "value": h.rng.IntN(100)})
			events[i] = eventstore.Event{Type: testTypes[h.rng.IntN(len(testTypes))], SchemaVersion: 1,
				Data: data, Actor: actors[h.rng.IntN(len(actors))], OccurredAt: occurred,
				Reason: fmt.Sprintf("reason %d", h.n)}
		}
		res, err := s.Append(ctx, agg, h.versions[agg], events, fmt.Sprintf("cmd-%d", h.n))
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		h.versions[agg] = res.LastVersion
		last = res.Sequence
	}
	return last
}

// catchUp runs r until it has applied the commit at last, then stops it,
// as a clean shutdown does (saving its snapshot when it keeps one).
func catchUp(t testing.TB, ctx context.Context, r *projections.Runner, last uint64) {
	t.Helper()
	stop := running(t, r)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	stop()
}

// stoppedAfter appends n commits of history seed to a new ledger, runs a
// runner with models over them and stops it, so that dir holds its
// snapshot at last, the ledger's last sequence.
func stoppedAfter(t testing.TB, seed uint64, n int, models ...projections.ReadModel) (l *estest.Ledger, dir string, last uint64) {
	t.Helper()
	ctx := estest.Context(t)
	l, dir = estest.Open(t), t.TempDir()
	last = newHistory(seed).appendN(t, ctx, l.Store, n)
	catchUp(t, ctx, openRunner(t, l, dir, models...), last)
	return l, dir, last
}

// running starts r.Run and stops it at the end of the test (or by the
// returned function), failing the test if Run failed.
func running(t testing.TB, r *projections.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// ledgerEntries reads the whole ledger straight from the stream into
// timeline entries, the reference the read models are checked against.
func ledgerEntries(t testing.TB, ctx context.Context, s *eventstore.Store) []projections.Entry {
	t.Helper()
	var out []projections.Entry
	_, err := s.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		for i := range c.Events {
			out = append(out, projections.NewEntry(&c.Events[i], i))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read ledger: %v", err)
	}
	return out
}

// inTimelineOrder sorts entries by business time, then stream position.
func inTimelineOrder(es []projections.Entry) []projections.Entry {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b projections.Entry) int {
		if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
			return c
		}
		if a.Sequence != b.Sequence {
			return int(a.Sequence) - int(b.Sequence)
		}
		return a.Index - b.Index
	})
	return out
}

// allPages walks a timeline page by page.
func allPages(t testing.TB, q projections.TimelineQuery, get func(projections.TimelineQuery) (projections.TimelinePage, error)) []projections.Entry {
	t.Helper()
	var out []projections.Entry
	for {
		p, err := get(q)
		if err != nil {
			t.Fatalf("timeline page: %v", err)
		}
		out = append(out, p.Entries...)
		if p.Next == "" {
			return out
		}
		q.After = p.Next
	}
}

func openRunner(t testing.TB, l *estest.Ledger, dir string, models ...projections.ReadModel) *projections.Runner {
	t.Helper()
	r, err := projections.Open(estest.Context(t), projections.Config{Store: l.Store, Dir: dir, Logger: quiet}, models...)
	if err != nil {
		t.Fatalf("open runner: %v", err)
	}
	return r
}

// openReader opens the query service over the ledger with no snapshot
// directory and runs its projections until the test ends.
func openReader(t testing.TB, l *estest.Ledger) *projections.Reader {
	t.Helper()
	q, err := projections.OpenReader(estest.Context(t), projections.Config{Store: l.Store, Logger: quiet})
	if err != nil {
		t.Fatalf("open reader: %v", err)
	}
	running(t, q.Runner())
	return q
}

func eventStoreAgg(agreementID string) eventstore.Aggregate {
	return eventstore.Aggregate{Kind: "laa", ID: agreementID}
}
