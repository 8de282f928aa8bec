package projections_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// syntheticCommits builds n one- to three-event commits over several areas'
// aggregates, with business times spread over years and unrelated to stream
// order, so every index receives most of its entries out of order.
func syntheticCommits(rng *rand.Rand, n int) ([]*eventstore.Commit, []projections.Entry) {
	areas := []string{"00EB", "00CN", "00BY", "16UB", "00MA", "00AB"}
	orgs := []string{"North East", "West Midlands", "London"}
	types := []string{"test.Proposed", "test.Countered", "test.Agreed", "test.Noted"}
	base := time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)
	var (
		commits []*eventstore.Commit
		all     []projections.Entry
	)
	seq := uint64(0)
	for c := range n {
		seq += 1 + uint64(rng.IntN(3))
		k := 1 + rng.IntN(3)
		area := areas[rng.IntN(len(areas))]
		agg := eventstore.Aggregate{Kind: []string{"laa", "caa"}[rng.IntN(2)], ID: area + "/2008-11"}
		commit := &eventstore.Commit{CommandID: fmt.Sprintf("cmd-%d", c)}
		for i := range k {
			actor := eventstore.Actor{ID: fmt.Sprintf("p%d", rng.IntN(7)), Role: "go", Organisation: orgs[rng.IntN(len(orgs))]}
			// Whole minutes over three years: many entries share a business
			// time and are ordered by stream position.
			occurred := base.Add(time.Duration(rng.IntN(3*365*24*60/7)) * 7 * time.Minute)
			e := eventstore.Envelope{EventID: fmt.Sprintf("ev-%d-%d", c, i),
				AggregateKind: agg.Kind, AggregateID: agg.ID, AggregateVersion: uint64(c*3 + i + 1), CommandID: commit.CommandID,
				Event: eventstore.Event{Type: types[rng.IntN(len(types))], SchemaVersion: 1,
					Actor: actor, Reason: "r", OccurredAt: occurred, Data: []byte(fmt.Sprintf(`{"n":%d}`, c))},
				RecordedAt: base.Add(time.Duration(seq) * time.Second), Sequence: seq}
			commit.Events = append(commit.Events, e)
			all = append(all, projections.NewEntry(&e, i))
		}
		commits = append(commits, commit)
	}
	return commits, all
}

// samePages walks a set of queries over every timeline of a and b, page by
// page, and fails at the first difference.
func samePages(t *testing.T, rng *rand.Rand, a, b *projections.Timelines, all []projections.Entry) {
	t.Helper()
	base := time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)
	type getter func(*projections.Timelines, projections.TimelineQuery) (projections.TimelinePage, error)
	var gets []getter
	seen := map[string]bool{}
	for _, e := range all {
		agg, area, actor, org := e.Aggregate(), projections.AreaOf(e.Aggregate()), e.Actor.ID, e.Actor.Organisation
		for _, g := range []struct {
			k string
			f getter
		}{
			{"g" + agg.Kind + agg.ID, func(tl *projections.Timelines, q projections.TimelineQuery) (projections.TimelinePage, error) {
				return tl.Aggregate(agg, q)
			}},
			{"a" + area, func(tl *projections.Timelines, q projections.TimelineQuery) (projections.TimelinePage, error) {
				return tl.Area(area, q)
			}},
			{"p" + actor, func(tl *projections.Timelines, q projections.TimelineQuery) (projections.TimelinePage, error) {
				return tl.Actor(actor, q)
			}},
			{"o" + org, func(tl *projections.Timelines, q projections.TimelineQuery) (projections.TimelinePage, error) {
				return tl.Organisation(org, q)
			}},
		} {
			if !seen[g.k] {
				seen[g.k] = true
				gets = append(gets, g.f)
			}
		}
	}
	queries := []projections.TimelineQuery{{Limit: 1000}, {Limit: 7}}
	for range 6 {
		q := projections.TimelineQuery{Limit: 1 + rng.IntN(60)}
		if rng.IntN(2) == 0 {
			q.Types = []string{"test.Agreed", "test.Noted"}[:1+rng.IntN(2)]
		}
		if rng.IntN(2) == 0 {
			q.From = base.Add(time.Duration(rng.IntN(3*365)) * 24 * time.Hour)
		}
		if rng.IntN(2) == 0 {
			q.To = q.From.Add(time.Duration(1+rng.IntN(2*365)) * 24 * time.Hour)
			if q.From.IsZero() {
				q.To = base.Add(time.Duration(1+rng.IntN(3*365)) * 24 * time.Hour)
			}
		}
		queries = append(queries, q)
	}
	for _, get := range gets {
		for _, q := range queries {
			for {
				pa, errA := get(a, q)
				pb, errB := get(b, q)
				if errA != nil || errB != nil {
					t.Fatalf("query %+v: %v / %v", q, errA, errB)
				}
				if !reflect.DeepEqual(pa, pb) {
					t.Fatalf("query %+v: pages differ:\n%+v\n%+v", q, pa, pb)
				}
				if pa.Next == "" {
					break
				}
				q.After = pa.Next
			}
		}
	}
}

// Commits applied in a random order give the same timelines, page for page,
// as the same commits applied in timeline order, at every stage; and so
// does a snapshot taken while entries wait to be merged.
func TestTimelinesRandomInsertOrderGivesTheSamePages(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		commits, _ := syntheticCommits(rng, 4000)
		rng.Shuffle(len(commits), func(i, j int) { commits[i], commits[j] = commits[j], commits[i] })

		shuffled := projections.NewTimelines()
		var applied []*eventstore.Commit
		var entries []projections.Entry
		for n, c := range commits {
			if err := shuffled.Apply(c); err != nil {
				t.Fatal(err)
			}
			applied = append(applied, c)
			for i := range c.Events {
				entries = append(entries, projections.NewEntry(&c.Events[i], i))
			}
			if n+1 != len(commits) && n%1000 != 777 {
				continue
			}
			// Reference: the same commits in timeline order.
			sorted := projections.NewTimelines()
			inOrder := slices.Clone(applied)
			slices.SortFunc(inOrder, func(x, y *eventstore.Commit) int {
				if c := x.Events[0].OccurredAt.Compare(y.Events[0].OccurredAt); c != 0 {
					return c
				}
				return int(x.Events[0].Sequence) - int(y.Events[0].Sequence)
			})
			for _, c := range inOrder {
				if err := sorted.Apply(c); err != nil {
					t.Fatal(err)
				}
			}
			checkTimelines(t, shuffled, entries)
			samePages(t, rng, shuffled, sorted, entries)

			var buf bytes.Buffer
			if err := shuffled.WriteSnapshot(&buf); err != nil {
				t.Fatal(err)
			}
			restored := projections.NewTimelines()
			if err := restored.ReadSnapshot(&buf); err != nil {
				t.Fatal(err)
			}
			samePages(t, rng, restored, sorted, entries)
			// The restored model keeps taking events in any order.
			if n+1 == len(commits) {
				more, _ := syntheticCommits(rng, 500)
				for _, c := range more {
					for i := range c.Events {
						c.Events[i].Sequence += 1 << 40
					}
					if err := restored.Apply(c); err != nil {
						t.Fatal(err)
					}
					if err := shuffled.Apply(c); err != nil {
						t.Fatal(err)
					}
				}
				samePages(t, rng, restored, shuffled, entries)
			}
		}
	}
}
