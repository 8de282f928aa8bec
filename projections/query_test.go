package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReaderFoldsEveryBasisAlike checks, for every aggregate of the demo,
// that the current state from the read models, the state as recorded now,
// the state as now known at a far instant and the last state of a replay
// are one and the same, with every event applied.
func TestReaderFoldsEveryBasisAlike(t *testing.T) {
	ctx, _, q := readDemo(t)
	var aggs []eventstore.Aggregate
	for _, a := range q.Agreements().List() {
		aggs = append(aggs, eventstore.Aggregate{Kind: domain.KindAgreement, ID: a.ID})
	}
	for _, a := range q.Assessments().Areas() {
		aggs = append(aggs, eventstore.Aggregate{Kind: domain.KindAreaAssessment, ID: caa.AreaAssessmentRef(a.Area, a.Year).ID})
	}
	for _, o := range q.Assessments().Orgs() {
		aggs = append(aggs, eventstore.Aggregate{Kind: domain.KindOrgAssessment, ID: fmt.Sprintf("%s/%d", o.Org, o.Year)})
	}
	aggs = append(aggs, eventstore.Aggregate{Kind: domain.KindCatalogue, ID: catalogue.CatalogueID})
	if len(aggs) < 4 {
		t.Fatalf("the demo has only %v", aggs)
	}
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, agg := range aggs {
		now, err := q.State(ctx, agg, projections.AsOf{})
		if err != nil {
			t.Fatalf("%s now: %v", agg, err)
		}
		if now.Basis != projections.Current || now.At != nil || now.Version == 0 || now.Applied != int(now.Version) || now.Latest != now.Version {
			t.Errorf("%s now: basis %s at %v version %d, %d of %d applied", agg, now.Basis, now.At, now.Version, now.Applied, now.Latest)
		}
		want := mustJSON(t, now.State)
		for _, at := range []projections.AsOf{{Basis: projections.Recorded, At: far}, {Basis: projections.Known, At: far}} {
			v, err := q.State(ctx, agg, at)
			if err != nil {
				t.Fatalf("%s %s: %v", agg, at, err)
			}
			if v.Basis != at.Basis || v.At == nil || !v.At.Equal(far) || v.Version != now.Version || v.Applied != now.Applied || v.Latest != now.Latest {
				t.Errorf("%s %s: basis %s version %d, %d of %d applied; want version %d", agg, at, v.Basis, v.Version, v.Applied, v.Latest, now.Version)
			}
			if got := mustJSON(t, v.State); got != want {
				t.Errorf("%s %s differs from the current state:\n got %s\nwant %s", agg, at, got, want)
			}
		}
		var replayed int
		var last string
		if err := q.Replay(ctx, agg, func(e *projections.Entry, state any) error {
			replayed++
			if e.AggregateVersion != uint64(replayed) {
				t.Errorf("%s: replay at version %d, step %d", agg, e.AggregateVersion, replayed)
			}
			last = mustJSON(t, state)
			return nil
		}); err != nil {
			t.Fatalf("%s replay: %v", agg, err)
		}
		if replayed != now.Applied || last != want {
			t.Errorf("%s: replay folded %d events to\n%s\nwant %d events to\n%s", agg, replayed, last, now.Applied, want)
		}
		history, err := q.History(ctx, agg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(history) != now.Applied {
			t.Errorf("%s: history has %d events, want %d", agg, len(history), now.Applied)
		}
		for i := 1; i < len(history); i++ {
			if history[i].OccurredAt.Before(history[i-1].OccurredAt) {
				t.Errorf("%s: history out of business-time order at %d", agg, i)
			}
		}
	}
}

func TestReaderRefusesWhatItCannotAnswer(t *testing.T) {
	ctx, _, q := readDemo(t)
	hp := eventStoreAgg("00EB/2008-11")
	nowhere := eventStoreAgg("99ZZ/2008-11")
	for _, c := range []struct {
		desc string
		err  error
		want error
	}{
		{"an unknown kind", stateErr(q, eventstore.Aggregate{Kind: "xyz", ID: "1"}, projections.AsOf{}), &domain.Error{Rule: "aggregate.unknown_kind"}},
		{"an aggregate with no events", stateErr(q, nowhere, projections.AsOf{}), &domain.Error{Rule: "aggregate.not_found"}},
		{"as recorded before the ledger", stateErr(q, hp, projections.AsOf{Basis: projections.Recorded, At: time.Unix(0, 0)}), &domain.Error{Rule: "aggregate.not_found"}},
		{"an unknown basis", stateErr(q, hp, projections.AsOf{Basis: "tomorrow", At: time.Now()}), projections.ErrInvalid},
		{"no timeline named", timelineErr(q, projections.TimelineScope{}), projections.ErrInvalid},
		{"two timelines named", timelineErr(q, projections.TimelineScope{Area: "00EB", Actor: "x"}), projections.ErrInvalid},
		{"replay of nothing", q.Replay(ctx, nowhere, func(*projections.Entry, any) error { return nil }), &domain.Error{Rule: "aggregate.not_found"}},
		{"history of nothing", historyErr(q, nowhere), &domain.Error{Rule: "aggregate.not_found"}},
		{"rounds of no target", roundsErr(q, hp.ID, "NI 999"), &domain.Error{Rule: "target.not_found"}},
		{"rounds of no agreement", roundsErr(q, nowhere.ID, "NI 112"), &domain.Error{Rule: "aggregate.not_found"}},
		{"no such indicator", indicatorErr(q, 998), &domain.Error{Rule: "indicator.not_found"}},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.desc, c.err, c.want)
		}
	}
	// A type filter that matches nothing is an empty history, not a
	// missing aggregate.
	if h, err := q.History(ctx, hp, []string{"no.SuchType"}); err != nil || len(h) != 0 {
		t.Errorf("history of no such type: %d events, %v", len(h), err)
	}
}

func stateErr(q *projections.Reader, agg eventstore.Aggregate, at projections.AsOf) error {
	_, err := q.State(context.Background(), agg, at)
	return err
}

func timelineErr(q *projections.Reader, s projections.TimelineScope) error {
	_, err := q.Timeline(context.Background(), s, projections.TimelineQuery{})
	return err
}

func historyErr(q *projections.Reader, agg eventstore.Aggregate) error {
	_, err := q.History(context.Background(), agg, nil)
	return err
}

func roundsErr(q *projections.Reader, agreement, target string) error {
	_, err := q.TargetRounds(context.Background(), agreement, target)
	return err
}

func indicatorErr(q *projections.Reader, n int) error {
	_, err := q.Indicator(context.Background(), n)
	return err
}

func TestBasisNamesEachClockOnce(t *testing.T) {
	for _, c := range []struct {
		basis                      projections.Basis
		param, flag, clock, phrase string
	}{
		{projections.Recorded, "as_of", "as-of", "recorded time", "as recorded at"},
		{projections.Known, "known_at", "known-at", "business time", "as now known at"},
		{projections.Current, "", "", "", "now"},
	} {
		if c.basis.Param() != c.param || c.basis.Flag() != c.flag || c.basis.Clock() != c.clock || c.basis.Phrase() != c.phrase || !c.basis.Valid() {
			t.Errorf("%s: %q %q %q %q", c.basis, c.basis.Param(), c.basis.Flag(), c.basis.Clock(), c.basis.Phrase())
		}
	}
	at := projections.AsOf{Basis: projections.Known, At: time.Date(2009, 3, 31, 23, 59, 59, 0, time.UTC)}
	if got := at.String(); got != "as now known at 2009-03-31T23:59:59Z" {
		t.Errorf("AsOf.String() = %q", got)
	}
	for _, k := range []string{"laa", "caa", "oa", "nis"} {
		if !projections.IsKind(k) {
			t.Errorf("the read side does not fold %s", k)
		}
	}
}
