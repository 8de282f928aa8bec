package projections_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// sameAsEntries checks that every timeline of tl (each aggregate's, area's,
// actor's and organisation's), read whole and page by page, is the JSON of
// want, the entries [projections.NewEntry] makes of the ledger's events,
// in timeline order.
func sameAsEntries(t *testing.T, tl *projections.Timelines, want []projections.Entry) {
	t.Helper()
	if tl.Len() != len(want) {
		t.Fatalf("timelines hold %d events, want %d", tl.Len(), len(want))
	}
	type timeline struct {
		name string
		get  func(projections.TimelineQuery) (projections.TimelinePage, error)
	}
	groups := map[string][]projections.Entry{}
	gets := map[string]timeline{}
	for _, e := range want {
		agg := e.Aggregate()
		actor, org := e.Actor.ID, e.Actor.Organisation
		for name, get := range map[string]func(projections.TimelineQuery) (projections.TimelinePage, error){
			"aggregate " + agg.Kind + " " + agg.ID: func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Aggregate(agg, q) },
			"area " + projections.AreaOf(agg): func(q projections.TimelineQuery) (projections.TimelinePage, error) {
				return tl.Area(projections.AreaOf(agg), q)
			},
			"actor " + actor:      func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Actor(actor, q) },
			"organisation " + org: func(q projections.TimelineQuery) (projections.TimelinePage, error) { return tl.Organisation(org, q) },
		} {
			groups[name] = append(groups[name], e)
			if _, ok := gets[name]; !ok {
				gets[name] = timeline{name, get}
			}
		}
	}
	for name, tlg := range gets {
		w := inTimelineOrder(groups[name])
		wantJSON, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{1000, 7} {
			got := allPages(t, projections.TimelineQuery{Limit: limit}, tlg.get)
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Fatalf("%s in pages of %d differs from the ledger's events:\n got %.600s\nwant %.600s", name, limit, gotJSON, wantJSON)
			}
			if !reflect.DeepEqual(got, w) {
				t.Fatalf("%s in pages of %d: entries differ from the ledger's", name, limit)
			}
		}
	}
}

// snapshotOfTimelines returns tl's snapshot bytes.
func snapshotOfTimelines(t *testing.T, tl *projections.Timelines) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tl.WriteSnapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// restored loads a fresh timelines model from snap.
func restored(t *testing.T, snap []byte) *projections.Timelines {
	t.Helper()
	tl := projections.NewTimelines()
	if err := tl.ReadSnapshot(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	return tl
}

// ledgerCommits returns every commit of the ledger, in stream order.
// timelinesOf is the timelines built commit by commit from commits.
func timelinesOf(t *testing.T, commits []*eventstore.Commit) *projections.Timelines {
	t.Helper()
	tl := projections.NewTimelines()
	for _, c := range commits {
		if err := tl.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	return tl
}

func ledgerCommits(t *testing.T, s *eventstore.Store) []*eventstore.Commit {
	t.Helper()
	var out []*eventstore.Commit
	_, err := s.Read(estest.Context(t), eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		cc := *c
		cc.Events = append([]eventstore.Envelope(nil), c.Events...)
		out = append(out, &cc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A ledger generated through the domain, served by the timelines, is
// exactly its events: every aggregate's, area's, actor's and
// organisation's whole timeline, built event by event, restored from the
// snapshot, and restored part way and then brought up to date. The last
// two write the very snapshot of the first, which is its content digest.
func TestTimelinesOfAGeneratedLedgerAreItsEvents(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	if _, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: 3000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	commits := ledgerCommits(t, l.Store)
	want := ledgerEntries(t, ctx, l.Store)

	built := timelinesOf(t, commits)
	sameAsEntries(t, built, want)
	snap := snapshotOfTimelines(t, built)

	fromSnap := restored(t, snap)
	sameAsEntries(t, fromSnap, want)
	if again := snapshotOfTimelines(t, fromSnap); !bytes.Equal(again, snap) {
		t.Fatalf("the restored model writes another snapshot (%d bytes, want %d)", len(again), len(snap))
	}

	resumed := restored(t, snapshotOfTimelines(t, timelinesOf(t, commits[:len(commits)/2])))
	for _, c := range commits[len(commits)/2:] {
		if err := resumed.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	sameAsEntries(t, resumed, want)
	if got := snapshotOfTimelines(t, resumed); !bytes.Equal(got, snap) {
		t.Fatalf("a model restored part way and brought up to date writes another snapshot (%d bytes, want %d)", len(got), len(snap))
	}
}

// oddCommits are commits whose values the compact form holds apart from
// the common case: ids that are UUIDs and ids that are not (upper case,
// braced, empty, free text), evidence, causation and correlation ids,
// schema versions beyond 32 bits, bodies longer than an arena block's
// share, empty reasons, and times before 1970.
func oddCommits() []*eventstore.Commit {
	base := time.Date(2009, 2, 3, 4, 5, 6, 789, time.UTC)
	ids := []string{
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B",
		"{0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}",
		"urn:uuid:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"0190a1b2c3d47e5f8a9b0c1d2e3f4a5b",
		"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g",
		"0190a1b2-c3d4-7e5f-8a9b_0c1d2e3f4a5b",
		"",
		"cmd ünïcödé 7",
	}
	big := `{"text":"` + strings.Repeat("x", 400_000) + `"}`
	var commits []*eventstore.Commit
	for i := range 40 {
		agg := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("%s/2008-11", []string{"00EB", "00CN"}[i%2])}
		c := &eventstore.Commit{CommandID: ids[(i+3)%len(ids)]}
		for j := range 1 + i%3 {
			e := eventstore.Envelope{
				EventID: ids[(i+j)%len(ids)], AggregateKind: agg.Kind, AggregateID: agg.ID,
				AggregateVersion: uint64(100 + 3*i + j), CommandID: c.CommandID,
				Event: eventstore.Event{Type: fmt.Sprintf("test.Odd%d", i%4), SchemaVersion: []int{1, 0, 1 << 40, -3}[i%4],
					Data:  []byte(fmt.Sprintf(`{"i":%d,"j":%d}`, i, j)),
					Actor: eventstore.Actor{ID: fmt.Sprintf("p%d", i%5), Role: "go", Organisation: []string{"00EB", "North East"}[i%2]}},
				Sequence:   uint64(10 + i),
				RecordedAt: base.Add(time.Duration(i) * time.Hour),
			}
			e.OccurredAt = base.Add(time.Duration(i*7919%41) * 24 * time.Hour)
			if i%6 == 5 {
				e.OccurredAt = time.Date(1969, 7, 20, 20, 17, 40, 123, time.UTC)
			}
			if i%3 != 0 {
				e.Reason = fmt.Sprintf("reason %d", i%4)
			}
			if i%4 == 1 {
				e.Evidence = []string{fmt.Sprintf("doc-%d", i), "doc-shared"}
			}
			if i%5 == 2 {
				e.CausationID = fmt.Sprintf("cause-%d", i)
			}
			if i%7 == 3 {
				e.CorrelationID = ids[i%len(ids)]
			}
			if i%13 == 4 {
				e.Data = []byte(big)
			}
			c.Events = append(c.Events, e)
		}
		commits = append(commits, c)
	}
	return commits
}

func TestTimelinesKeepEveryValueExactly(t *testing.T) {
	commits := oddCommits()
	var want []projections.Entry
	tl := projections.NewTimelines()
	for _, c := range commits {
		for i := range c.Events {
			want = append(want, projections.NewEntry(&c.Events[i], i))
		}
		if err := tl.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	sameAsEntries(t, tl, want)
	snap := snapshotOfTimelines(t, tl)
	sameAsEntries(t, restored(t, snap), want)
}

// A damaged timelines snapshot is refused with an error, wherever it is
// cut short or a byte of it is changed; none makes the load panic.
func TestTimelinesRefuseADamagedSnapshot(t *testing.T) {
	tl := projections.NewTimelines()
	for _, c := range oddCommits()[:8] {
		if c.Events[0].Data[0] == '{' && len(c.Events[0].Data) > 1000 {
			continue // keep the snapshot small
		}
		if err := tl.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	snap := snapshotOfTimelines(t, tl)
	for n := 0; n < len(snap); n++ {
		if err := projections.NewTimelines().ReadSnapshot(bytes.NewReader(snap[:n])); err == nil {
			t.Fatalf("a snapshot cut to %d of %d bytes was accepted", n, len(snap))
		}
	}
	for i := range snap {
		damaged := bytes.Clone(snap)
		damaged[i] ^= 0xff
		fresh := projections.NewTimelines()
		if err := fresh.ReadSnapshot(bytes.NewReader(damaged)); err != nil {
			if fresh.Len() != 0 {
				t.Fatalf("a refused snapshot left %d entries", fresh.Len())
			}
			continue
		}
		// Accepted: then every entry it names must be servable.
		for _, agg := range []string{"00EB/2008-11", "00CN/2008-11"} {
			if _, err := fresh.Aggregate(eventstore.Aggregate{Kind: "laa", ID: agg}, projections.TimelineQuery{Limit: 1000}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// packedCommits are n commits of one event each, with bodies like the
// domain's (JSON whose keys and many values repeat), every tenth of them
// random letters that no dictionary shortens.
func packedCommits(n int) ([]*eventstore.Commit, int) {
	rnd := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)
	var commits []*eventstore.Commit
	total := 0
	for i := range n {
		data := fmt.Appendf(nil, `{"target":"NI%d-%d","round":%d,"values":{"2008-09":%d,"2009-10":%d},"rationale":"the partnership's proposal, round %d"}`,
			100+i%50, i%7, i%5, rnd.IntN(1000), rnd.IntN(1000), i%5)
		if i%10 == 9 {
			const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
			data = append(data[:0], `{"blob":"`...)
			for range 64 + rnd.IntN(200) {
				data = append(data, letters[rnd.IntN(len(letters))])
			}
			data = append(data, `"}`...)
		}
		total += len(data)
		e := eventstore.Envelope{
			EventID: fmt.Sprintf("ev-%d", i), AggregateKind: "laa", AggregateID: fmt.Sprintf("%04d/2008-11", i%9),
			AggregateVersion: uint64(1 + i/9), CommandID: fmt.Sprintf("cmd-%d", i), Sequence: uint64(1 + i),
			Event:      eventstore.Event{Type: "laa.TargetProposed", SchemaVersion: 1, Data: data, Actor: eventstore.Actor{ID: "p1", Role: "negotiator"}},
			RecordedAt: base.Add(time.Duration(i) * time.Minute),
		}
		e.OccurredAt = e.RecordedAt
		commits = append(commits, &eventstore.Commit{CommandID: e.CommandID, Events: []eventstore.Envelope{e}})
	}
	return commits, total
}

// Bodies are kept packed once the first 64 KiB of them have made the
// dictionary: the timelines still return every body exactly, whole and
// page by page, before and after a snapshot round trip; the snapshot is
// smaller by a third of the bodies than it would be unpacked; and the
// canonical encoding the content digest is taken over holds every body as
// it is, not as packed.
func TestTimelinesPackBodiesAndReturnThemExactly(t *testing.T) {
	commits, total := packedCommits(6000)
	tl := timelinesOf(t, commits)
	var want []projections.Entry
	for _, c := range commits {
		want = append(want, projections.NewEntry(&c.Events[0], 0))
	}
	sameAsEntries(t, tl, want)
	snap := snapshotOfTimelines(t, tl)
	back := restored(t, snap)
	sameAsEntries(t, back, want)
	canon, err := projections.CanonicalTimelines(back)
	if err != nil {
		t.Fatal(err)
	}
	// The canonical encoding holds the same but for the bodies, unpacked,
	// instead of the dictionary and the packed bodies.
	if saved := len(canon) - len(snap); saved < total/3 {
		t.Fatalf("the snapshot is %d bytes, %d fewer than the same with %d bytes of bodies unpacked: they are not packed", len(snap), saved, total)
	}
	for _, c := range commits {
		if !bytes.Contains(canon, c.Events[0].Data) {
			t.Fatalf("the canonical encoding lacks the body of %s", c.Events[0].EventID)
		}
	}
	built, err := projections.CanonicalTimelines(tl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, canon) {
		t.Fatal("the model built event by event and the one restored from its snapshot have different canonical encodings")
	}
}

// A damaged snapshot of packed bodies is refused or, if accepted, serves
// every timeline without a panic.
func TestTimelinesRefuseADamagedSnapshotOfPackedBodies(t *testing.T) {
	commits, _ := packedCommits(400)
	snap := snapshotOfTimelines(t, timelinesOf(t, commits))
	refused := 0
	for i := 0; i < len(snap); i += 41 {
		damaged := bytes.Clone(snap)
		damaged[i] ^= 0x5a
		fresh := projections.NewTimelines()
		if err := fresh.ReadSnapshot(bytes.NewReader(damaged)); err != nil {
			refused++
			continue
		}
		for a := range 9 {
			if _, err := fresh.Aggregate(eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("%04d/2008-11", a)}, projections.TimelineQuery{Limit: 1000}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if refused == 0 {
		t.Fatal("no damaged snapshot was refused")
	}
}
