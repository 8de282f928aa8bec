package api

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// ReadSide answers [Queries] from the projections' read models and is the
// [Progress] of their runner. Current states, rounds, indicator views and
// dashboard counts come from the models in memory; as-of states fold the
// aggregate's events from the timelines with the domain's own fold; nothing
// reads the event store. It is safe for concurrent use.
type ReadSide struct {
	runner      *projections.Runner
	timelines   *projections.Timelines
	agreements  *projections.Agreements
	assessments *projections.Assessments
	kinds       map[string]service.Kind

	// The catalogue is folded from its events in the timelines and kept
	// until its version changes: it is one aggregate with a few large
	// events, read on every indicator lookup.
	catMu      sync.Mutex
	catVersion uint64
	catalogue  domain.Catalogue
}

// NewReadSide returns the read side over a runner and the read models
// registered with it. Start the runner's Run separately; until it has
// caught up, answers reflect [ReadSide.Position].
func NewReadSide(r *projections.Runner, tl *projections.Timelines, ag *projections.Agreements, as *projections.Assessments) *ReadSide {
	return &ReadSide{runner: r, timelines: tl, agreements: ag, assessments: as, kinds: service.Kinds()}
}

// Position is the ledger sequence every read model has applied.
func (q *ReadSide) Position() uint64 { return q.runner.Position() }

// WaitFor waits until the read models have applied seq (see
// [projections.Runner.WaitFor]).
func (q *ReadSide) WaitFor(ctx context.Context, seq uint64) error { return q.runner.WaitFor(ctx, seq) }

// State returns the current state from the read models, or the state as of
// an instant folded from the aggregate's timeline.
func (q *ReadSide) State(ctx context.Context, ref domain.AggregateRef, at AsOf) (StateView, error) {
	pos := q.runner.Position()
	if at.Basis == Current || at.Basis == "" {
		return q.current(ref, pos)
	}
	basis := projections.AsRecorded
	if at.Basis == Known {
		basis = projections.AsKnownNow
	}
	kind, ok := q.kinds[ref.Kind]
	if !ok {
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.unknown_kind", "no aggregate kind %q", ref.Kind)
	}
	events, err := q.timelines.EventsAt(eventstore.Aggregate{Kind: ref.Kind, ID: ref.ID}, at.At, basis)
	if err != nil {
		return StateView{}, err
	}
	if len(events) == 0 {
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s had no events at %s (%s)", ref, at.At.Format(time.RFC3339), at.Basis)
	}
	s := kind.Zero()
	for i := range events {
		ev, err := projections.DecodeEntry(&events[i])
		if err != nil {
			return StateView{}, err
		}
		s = kind.Apply(s, ev)
	}
	// Events are in aggregate-version order; with known_at a late-recorded
	// event may be left out before the last one, so the version is the
	// highest folded, not the count.
	return StateView{Version: events[len(events)-1].AggregateVersion, Position: pos, State: s}, nil
}

func (q *ReadSide) current(ref domain.AggregateRef, pos uint64) (StateView, error) {
	var (
		state   any
		version int
		ok      bool
		view    any
	)
	switch ref.Kind {
	case domain.KindAgreement:
		// The fold and the view are read under two locks; a commit
		// applied in between would make them disagree, so read again.
		for range 3 {
			var a domain.Agreement
			if a, ok = q.agreements.State(ref.ID); !ok {
				break
			}
			v, _ := q.agreements.Agreement(ref.ID)
			state, version, view = a, a.Version, v
			if v.Version == a.Version {
				break
			}
		}
	case domain.KindAreaAssessment:
		var a domain.AreaAssessment
		if a, ok = q.assessments.Area(ref.ID); ok {
			state, version = a, a.Version
		}
	case domain.KindOrgAssessment:
		var a domain.OrgAssessment
		if a, ok = q.assessments.Org(ref.ID); ok {
			state, version = a, a.Version
		}
	default:
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.unknown_kind", "no aggregate kind %q", ref.Kind)
	}
	if !ok || version == 0 {
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s has no events", ref)
	}
	return StateView{Version: uint64(version), Position: pos, State: state, View: view}, nil
}

// Timeline pages the timeline q selects from the timelines read model.
func (q *ReadSide) Timeline(ctx context.Context, tq TimelineQuery) (TimelinePage, error) {
	pos := q.runner.Position()
	pq := projections.TimelineQuery{Types: tq.Types, From: tq.From, To: tq.To, After: tq.After, Limit: tq.Limit}
	var (
		p   projections.TimelinePage
		err error
	)
	switch {
	case tq.Aggregate != nil:
		p, err = q.timelines.Aggregate(eventstore.Aggregate{Kind: tq.Aggregate.Kind, ID: tq.Aggregate.ID}, pq)
	case tq.Area != "":
		p, err = q.timelines.Area(tq.Area, pq)
	case tq.Actor != "":
		p, err = q.timelines.Actor(tq.Actor, pq)
	case tq.Organisation != "":
		p, err = q.timelines.Organisation(tq.Organisation, pq)
	default:
		return TimelinePage{}, badRequest("bad_request", "give exactly one of area, actor, organisation")
	}
	if err != nil {
		if errors.Is(err, projections.ErrInvalid) && tq.After != "" {
			// The handler has checked the limit and the range; what is
			// left to refuse is the cursor.
			return TimelinePage{}, badRequest("bad_cursor", "after must be the next cursor of a previous page")
		}
		return TimelinePage{}, err
	}
	return TimelinePage{Entries: p.Entries, Next: p.Next, Position: pos}, nil
}

// TargetRounds returns every round of one target of an agreement.
func (q *ReadSide) TargetRounds(ctx context.Context, agreement domain.AggregateRef, target string) (TargetRounds, error) {
	a, ok := q.agreements.State(agreement.ID)
	if !ok {
		return TargetRounds{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s has no events", agreement)
	}
	if _, ok := a.Targets[target]; !ok {
		return TargetRounds{}, domain.Errorf(domain.ENOTFOUND, "target.not_found", "%s has no target %q", agreement, target)
	}
	rounds := q.agreements.TargetRounds(agreement.ID, target)
	if rounds == nil {
		rounds = []projections.Round{}
	}
	return TargetRounds{Agreement: agreement, Target: target, Rounds: rounds, Position: q.runner.Position()}, nil
}

// Indicator returns the catalogue's entry for the National Indicator and
// every area's target on it with its rounds.
func (q *ReadSide) Indicator(ctx context.Context, n int) (IndicatorView, error) {
	pos := q.runner.Position()
	cat, err := q.currentCatalogue()
	if err != nil {
		return IndicatorView{}, err
	}
	v := IndicatorView{NI: n, Position: pos, Targets: []IndicatorTarget{}}
	if ind, ok := cat.Lookup(n, time.Now()); ok {
		v.Indicator = &ind
	}
	for _, t := range q.agreements.Indicator(n) {
		rounds := q.agreements.TargetRounds(t.Agreement, t.Target.Key)
		if rounds == nil {
			rounds = []projections.Round{}
		}
		v.Targets = append(v.Targets, IndicatorTarget{IndicatorTarget: t, Rounds: rounds})
	}
	if v.Indicator == nil && len(v.Targets) == 0 {
		return IndicatorView{}, domain.Errorf(domain.ENOTFOUND, "indicator.not_found", "NI %d is not in the catalogue and no agreement has a target on it", n)
	}
	return v, nil
}

func (q *ReadSide) currentCatalogue() (domain.Catalogue, error) {
	events, err := q.timelines.EventsAt(eventstore.Aggregate{Kind: service.CatalogueRef.Kind, ID: service.CatalogueRef.ID},
		time.Unix(math.MaxInt32, 0), projections.AsRecorded)
	if err != nil {
		return domain.Catalogue{}, err
	}
	q.catMu.Lock()
	defer q.catMu.Unlock()
	if len(events) == 0 || events[len(events)-1].AggregateVersion == q.catVersion {
		return q.catalogue, nil
	}
	c := domain.Catalogue{}
	for i := range events {
		ev, err := projections.DecodeEntry(&events[i])
		if err != nil {
			return domain.Catalogue{}, err
		}
		c = c.Apply(ev)
	}
	q.catalogue, q.catVersion = c, events[len(events)-1].AggregateVersion
	return c, nil
}

// Dashboard counts agreements by status per region, targets by indicator
// and standing flags by colour and theme.
func (q *ReadSide) Dashboard(ctx context.Context) (DashboardView, error) {
	pos := q.runner.Position()
	return DashboardView{Dashboard: projections.CountDashboard(q.agreements, q.assessments), Position: pos}, nil
}
