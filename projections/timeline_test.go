package projections_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// checkTimelines compares every timeline, walked page by page, with the
// ledger's events filtered and sorted directly.
func checkTimelines(t *testing.T, tl *projections.Timelines, all []projections.Entry) {
	t.Helper()
	if tl.Len() != len(all) {
		t.Fatalf("timelines hold %d events, ledger %d", tl.Len(), len(all))
	}
	group := func(f func(e projections.Entry) string) map[string][]projections.Entry {
		m := map[string][]projections.Entry{}
		for _, e := range all {
			m[f(e)] = append(m[f(e)], e)
		}
		return m
	}
	q := projections.TimelineQuery{Limit: 7}
	compare := func(what string, want []projections.Entry, get func(projections.TimelineQuery) (projections.TimelinePage, error)) {
		t.Helper()
		got := allPages(t, q, get)
		want = inTimelineOrder(want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s timeline differs from the ledger: %d entries, want %d", what, len(got), len(want))
		}
	}
	for k, want := range group(func(e projections.Entry) string { return e.AggregateKind + "|" + e.AggregateID }) {
		agg := want[0].Aggregate()
		compare(k, want, func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Aggregate(agg, q) })
	}
	for k, want := range group(func(e projections.Entry) string { return projections.AreaOf(e.Aggregate()) }) {
		compare("area "+k, want, func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Area(k, q) })
	}
	for k, want := range group(func(e projections.Entry) string { return e.Actor.ID }) {
		compare("actor "+k, want, func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Actor(k, q) })
	}
	for k, want := range group(func(e projections.Entry) string { return e.Actor.Organisation }) {
		compare("organisation "+k, want, func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Organisation(k, q) })
	}
}

func TestTimelinesEqualTheLedgerForRandomHistories(t *testing.T) {
	for seed := uint64(100); seed < 103; seed++ {
		ctx := estest.Context(t)
		l := estest.Open(t)
		last := newHistory(seed).appendN(t, ctx, l.Store, 120)
		tl := projections.NewTimelines()
		dir := t.TempDir()
		r := openRunner(t, l, dir, tl)
		stop := running(t, r)
		if err := r.WaitFor(ctx, last); err != nil {
			t.Fatal(err)
		}
		checkTimelines(t, tl, ledgerEntries(t, ctx, l.Store))
		stop()
		// And once more from the snapshot alone.
		tl2 := projections.NewTimelines()
		r2 := openRunner(t, l, dir, tl2)
		if r2.Position() != last {
			t.Fatalf("seed %d: snapshot at %d, want %d", seed, r2.Position(), last)
		}
		checkTimelines(t, tl2, ledgerEntries(t, ctx, l.Store))
	}
}

func TestTimelineFiltersByTypeAndBusinessTime(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	last := newHistory(11).appendN(t, ctx, l.Store, 150)
	tl := projections.NewTimelines()
	r := openRunner(t, l, "", tl)
	running(t, r)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	from := time.Date(2008, 9, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2009, 3, 1, 0, 0, 0, 0, time.UTC)
	var want []projections.Entry
	for _, e := range inTimelineOrder(ledgerEntries(t, ctx, l.Store)) {
		if e.Aggregate() == agg && (e.Type == "test.Agreed" || e.Type == "test.Noted") && !e.OccurredAt.Before(from) && e.OccurredAt.Before(to) {
			want = append(want, e)
		}
	}
	if len(want) < 3 {
		t.Fatalf("history too thin for the test: %d matching events", len(want))
	}
	got := allPages(t, projections.TimelineQuery{Types: []string{"test.Agreed", "test.Noted"}, From: from, To: to, Limit: 2},
		func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Aggregate(agg, q) })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("filtered timeline has %d entries, want %d", len(got), len(want))
	}
}

func TestTimelineCursorIsStableWhenEarlierEventsArriveLater(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	at := func(d int) time.Time { return time.Date(2008, 6, d, 10, 0, 0, 0, time.UTC) }
	ev := func(d int) eventstore.Event {
		return eventstore.Event{Type: "test.Noted", SchemaVersion: 1, Data: []byte(`{}`), Actor: actors[0], OccurredAt: at(d)}
	}
	var version, n uint64
	add := func(days ...int) uint64 {
		var last uint64
		for _, d := range days {
			res, err := l.Store.Append(ctx, agg, version, []eventstore.Event{ev(d)}, fmt.Sprintf("cmd-%d", n))
			n++
			if err != nil {
				t.Fatal(err)
			}
			version, last = res.LastVersion, res.Sequence
		}
		return last
	}
	tl := projections.NewTimelines()
	r := openRunner(t, l, "", tl)
	running(t, r)
	if err := r.WaitFor(ctx, add(2, 4, 6, 8)); err != nil {
		t.Fatal(err)
	}
	p1, err := tl.Aggregate(agg, projections.TimelineQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Late reports land both before and after the cursor.
	if err := r.WaitFor(ctx, add(1, 3, 5)); err != nil {
		t.Fatal(err)
	}
	p2, err := tl.Aggregate(agg, projections.TimelineQuery{Limit: 10, After: p1.Next})
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	for _, e := range p2.Entries {
		days = append(days, e.OccurredAt.Day())
	}
	if !reflect.DeepEqual(days, []int{5, 6, 8}) {
		t.Fatalf("page after the cursor holds days %v, want [5 6 8]", days)
	}
	if _, err := tl.Aggregate(agg, projections.TimelineQuery{After: "not-a-cursor"}); err == nil {
		t.Fatal("a forged cursor was accepted")
	}
}
