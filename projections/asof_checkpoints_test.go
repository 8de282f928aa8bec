package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// randomAgreementHistory is n events of one agreement in commits of one
// to three events: targets proposed and agreed, outturns (many dated
// before events already recorded: late facts) and corrections, with and
// without a corrected body, of outturns and of earlier corrections. The
// folds accept any sequence; the order of business times is random
// enough to put late facts and corrections on both sides of checkpoints.
func randomAgreementHistory(t *testing.T, r *rand.Rand, agg eventstore.Aggregate, n int) []*eventstore.Commit {
	t.Helper()
	start := time.Date(2008, 6, 1, 0, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return start.AddDate(0, 0, d) }
	keys := []string{"NI 112", "NI 152", "L01", "L02"}
	years := []string{"2008/09", "2009/10"}
	var (
		commits []*eventstore.Commit
		ids     []string // event ids of outturns and corrections
		version uint64
		clock   = 0 // business time of the latest act, in days
	)
	add := func(c *eventstore.Commit, e domain.Event, at time.Time) string {
		typ, sv, data, err := registry.EncodeEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		version++
		id := fmt.Sprintf("evt-%d", version)
		c.Events = append(c.Events, eventstore.Envelope{EventID: id, AggregateKind: agg.Kind, AggregateID: agg.ID,
			AggregateVersion: version, CommandID: c.CommandID,
			Event: eventstore.Event{Type: typ, SchemaVersion: sv, Actor: eventstore.Actor{ID: "jo", Role: "la", Organisation: "00EB"},
				OccurredAt: at, Data: data},
			RecordedAt: day(clock + 1000), Sequence: uint64(len(commits) + 1)})
		return id
	}
	first := &eventstore.Commit{CommandID: "cmd-0"}
	add(first, laa.AgreementOpened{Area: "00EB", AreaName: "Hartlepool", Region: "North East", Period: "2008-11", At: day(0)}, day(0))
	for _, k := range keys {
		add(first, laa.TargetProposed{Target: k, Title: k, Kind: laa.KindLocal, Values: laa.Values{"2008/09": 1}, Round: 1, Side: laa.SideLocal, At: day(0)}, day(0))
	}
	commits = append(commits, first)
	for len(commits) < n {
		c := &eventstore.Commit{CommandID: fmt.Sprintf("cmd-%d", len(commits))}
		for range 1 + r.Intn(3) {
			k, y := keys[r.Intn(len(keys))], years[r.Intn(len(years))]
			switch x := r.Intn(10); {
			case x < 2:
				clock += r.Intn(3)
				add(c, laa.TargetAgreed{Target: k, Values: laa.Values{y: float64(r.Intn(50))}, At: day(clock)}, day(clock))
			case x < 7 || len(ids) == 0:
				at := day(clock - r.Intn(60)) // a fact, often about the past
				ids = append(ids, add(c, laa.OutturnRecorded{Target: k, Year: y, Value: float64(r.Intn(100)), Source: "s", At: at}, at))
			default:
				at := day(clock - r.Intn(120)) // often before what it corrects
				corr := laa.CorrectionRecorded{CorrectsEventID: ids[r.Intn(len(ids))], Reason: "wrong", By: "jo", At: at}
				if r.Intn(3) > 0 {
					body, _ := json.Marshal(laa.OutturnRecorded{Target: k, Year: y, Value: float64(1000 + r.Intn(100)), Source: "corrected", At: at})
					corr.CorrectedType, corr.Corrected = "laa.OutturnRecorded", body
				}
				ids = append(ids, add(c, corr, at))
			}
		}
		commits = append(commits, c)
	}
	return commits
}

// The checkpointed as-now-known-at read gives the same state, version and
// counts as the full fold, over random histories with late facts and
// corrections, at instants before, among and after the events — also
// after more events arrive (the checkpoints are remade).
func TestKnownAtFromCheckpointsEqualsTheFullFold(t *testing.T) {
	ctx := context.Background()
	for seed := range int64(6) {
		r := rand.New(rand.NewSource(seed))
		agg := eventstore.Aggregate{Kind: domain.KindAgreement, ID: "00EB/2008-11"}
		commits := randomAgreementHistory(t, r, agg, 400+r.Intn(800))
		fast := &Reader{runner: &Runner{}, timelines: NewTimelines(), agreements: NewAgreements(), assessments: NewAssessments()}
		fast.checkpoints.sync = true
		full := &Reader{runner: &Runner{}, timelines: NewTimelines(), agreements: NewAgreements(), assessments: NewAssessments(), fullFold: true}
		half := len(commits) / 2
		for step, part := range [][]*eventstore.Commit{commits[:half], commits[half:]} {
			for _, c := range part {
				for _, q := range []*Reader{fast, full} {
					if err := q.timelines.Apply(c); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 40 {
				at := AsOf{Basis: Known, At: time.Date(2008, 4, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(500*24)) * time.Hour)}
				want, werr := full.State(ctx, agg, at)
				got, gerr := fast.State(ctx, agg, at)
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("seed %d step %d at %s: error %v, full fold %v", seed, step, at, gerr, werr)
				}
				if werr != nil {
					continue
				}
				if got.Version != want.Version || got.Applied != want.Applied || got.Latest != want.Latest {
					t.Fatalf("seed %d step %d at %s: version %d applied %d latest %d, full fold %d %d %d",
						seed, step, at, got.Version, got.Applied, got.Latest, want.Version, want.Applied, want.Latest)
				}
				if !reflect.DeepEqual(got.State, want.State) {
					g, _ := json.Marshal(got.State)
					w, _ := json.Marshal(want.State)
					t.Fatalf("seed %d step %d at %s: state differs from the full fold:\n got %s\nwant %s", seed, step, at, g, w)
				}
			}
		}
		if cp := fast.checkpoints.get(agg); cp == nil || len(cp.states) == 0 {
			t.Fatalf("seed %d: no checkpoints made", seed)
		}
	}
}

// Without the test's synchronous mode, the first read folds the usual way
// and the checkpoints follow in the background; a read after them gives
// the same state.
func TestKnownAtCheckpointsAreMadeInTheBackground(t *testing.T) {
	ctx := context.Background()
	agg := eventstore.Aggregate{Kind: domain.KindAgreement, ID: "00EB/2008-11"}
	commits := randomAgreementHistory(t, rand.New(rand.NewSource(7)), agg, 600)
	q := &Reader{runner: &Runner{}, timelines: NewTimelines(), agreements: NewAgreements(), assessments: NewAssessments()}
	for _, c := range commits {
		if err := q.timelines.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	at := AsOf{Basis: Known, At: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)}
	first, err := q.State(ctx, agg, at)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for q.checkpoints.get(agg) == nil {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoints 30 s after the first read")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	again, err := q.State(ctx, agg, at)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("the read from the checkpoints differs from the first read")
	}
}

// An aggregate keeps at most maxCheckpointsPer states, however long its
// timeline, and the cache holds no more states than its bound: it drops
// other aggregates' checkpoints to make room, and keeps none of an
// aggregate that alone would exceed it.
func TestCheckpointsAreBounded(t *testing.T) {
	for _, n := range []int{1, 63, 64, 65, 2048, 2049, 6700, 27000, 1 << 22} {
		if every := spacing(n); every < checkpointEvery || n/every > maxCheckpointsPer {
			t.Fatalf("a timeline of %d events has checkpoints every %d events: %d of them", n, every, n/every)
		}
	}
	c := checkpointCache{max: 70}
	cps := func(n int) *checkpoints { return &checkpoints{states: make([]any, n)} }
	agg := func(i int) eventstore.Aggregate { return eventstore.Aggregate{Kind: "laa", ID: fmt.Sprint(i)} }
	for i := range 10 {
		c.put(agg(i), cps(30))
		if c.states > 70 || c.get(agg(i)) == nil {
			t.Fatalf("after %d puts of 30 states: %d states held, the last one kept: %v", i+1, c.states, c.get(agg(i)) != nil)
		}
		held := 0
		for _, cp := range c.per {
			held += len(cp.states)
		}
		if held != c.states {
			t.Fatalf("the cache counts %d states and holds %d", c.states, held)
		}
	}
	c.put(agg(3), cps(71))
	if c.get(agg(3)) != nil || c.states > 70 {
		t.Fatalf("71 states were kept under a bound of 70 (%d held)", c.states)
	}
}

// Config.AsOfCheckpoints sets the bound of the reader's checkpoints, or
// turns them off.
func TestReaderTakesItsCheckpointBoundFromConfig(t *testing.T) {
	l := estest.Open(t)
	for _, c := range []struct {
		n        int
		max      int
		fullFold bool
	}{{0, 0, false}, {100, 100, false}, {-1, 0, true}} {
		q, err := OpenReader(estest.Context(t), Config{Store: l.Store, AsOfCheckpoints: c.n, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if q.checkpoints.max != c.max || q.fullFold != c.fullFold {
			t.Fatalf("AsOfCheckpoints %d: bound %d, full folds %v; want %d, %v", c.n, q.checkpoints.max, q.fullFold, c.max, c.fullFold)
		}
	}
}
