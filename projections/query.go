package projections

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Reader is the ledger's one query service: every read the HTTP API and
// the CLI make goes through it. Current states, rounds, indicator views
// and dashboard counts come from the read models in memory; as-of states,
// replays and the catalogue fold the aggregate's events from the
// [Timelines] with the domain's own fold (see [Kinds]); nothing reads the
// event store. It is safe for concurrent use.
//
// Errors: *domain.Error with code ENOTFOUND (rules aggregate.unknown_kind,
// aggregate.not_found, target.not_found, indicator.not_found); [ErrInvalid]
// for a malformed query (a bad cursor, a page size or range out of bounds,
// no timeline named); a failure to decode a stored event.
type Reader struct {
	runner      *Runner
	timelines   *Timelines
	agreements  *Agreements
	assessments *Assessments

	// The catalogue is folded from its events in the timelines and kept
	// until its version changes: it is one aggregate with a few large
	// events, read on every indicator lookup.
	catMu      sync.Mutex
	catVersion uint64
	catalogue  catalogue.Catalogue

	// checkpoints make a state as now known at a past instant cheap (see
	// asof_checkpoints.go).
	checkpoints checkpointCache
	// fullFold turns the checkpoints off (Config.AsOfCheckpoints < 0;
	// tests compare the two).
	fullFold bool
}

// OpenReader opens the read models the [Reader] answers from (timelines,
// agreements, assessments) and their [Runner] (see [Open]). Start the
// runner's Run separately; until it has caught up, answers reflect
// [Reader.Position].
func OpenReader(ctx context.Context, cfg Config) (*Reader, error) {
	q := &Reader{timelines: NewTimelines(), agreements: NewAgreements(), assessments: NewAssessments()}
	switch {
	case cfg.AsOfCheckpoints < 0:
		q.fullFold = true
	case cfg.AsOfCheckpoints > 0:
		q.checkpoints.max = cfg.AsOfCheckpoints
	}
	r, err := Open(ctx, cfg, q.timelines, q.agreements, q.assessments)
	if err != nil {
		return nil, err
	}
	q.runner = r
	return q, nil
}

// Runner is the runner that feeds the reader's read models.
func (q *Reader) Runner() *Runner { return q.runner }

// Timelines is the reader's timelines read model.
func (q *Reader) Timelines() *Timelines { return q.timelines }

// Agreements is the reader's agreements read model.
func (q *Reader) Agreements() *Agreements { return q.agreements }

// Assessments is the reader's assessments read model.
func (q *Reader) Assessments() *Assessments { return q.assessments }

// Position is the ledger sequence every read model has applied.
func (q *Reader) Position() uint64 { return q.runner.Position() }

// WaitFor waits until the read models have applied seq (see
// [Runner.WaitFor]).
func (q *Reader) WaitFor(ctx context.Context, seq uint64) error { return q.runner.WaitFor(ctx, seq) }

// StateView is an aggregate's state at a point, as the API serves it.
type StateView struct {
	Aggregate eventstore.Aggregate `json:"aggregate"`
	// Version is the highest aggregate version folded. With known_at a
	// late-recorded event may be left out before the last one, so it is
	// not always the number of events folded (see Applied).
	Version  uint64     `json:"version"`
	Basis    Basis      `json:"basis"`
	At       *time.Time `json:"at,omitempty"`
	Position uint64     `json:"position,omitempty"`
	// State is the domain's folded state, encoded as JSON as it stands:
	// the same shape for every basis, so that states can be compared.
	State any `json:"state"`
	// View, for an agreement's current state, is the read model's
	// display of it: each target's negotiation state, trajectory, latest
	// outturns, lock and grounds.
	View any `json:"view,omitempty"`
	// Applied is the number of events folded and Latest the aggregate's
	// version at Position, counted or not: "Applied of Latest events".
	Applied int    `json:"-"`
	Latest  uint64 `json:"-"`
}

// State returns an aggregate's state: current (from the read models) for
// the zero AsOf, otherwise folded from the events that count at the point.
// An aggregate with no events (at the point) is ENOTFOUND.
func (q *Reader) State(ctx context.Context, agg eventstore.Aggregate, at AsOf) (StateView, error) {
	k, ok := kinds[agg.Kind]
	if !ok {
		return StateView{}, unknownKind(agg.Kind)
	}
	basis := at.basis()
	if !basis.Valid() {
		return StateView{}, invalidf("as-of basis %q: want %s, %s or %s", at.Basis, Current, Recorded, Known)
	}
	v := StateView{Aggregate: agg, Basis: basis, Position: q.runner.Position()}
	if basis == Current {
		if err := q.current(agg, &v); err != nil {
			return StateView{}, err
		}
		if v.State != nil {
			return v, nil
		}
	} else {
		t := at.At
		v.At = &t
	}
	if basis == Known && !q.fullFold {
		state, applied, highest, latest, ok, err := q.knownAt(agg, at)
		if err != nil {
			return StateView{}, err
		}
		if ok && applied > 0 {
			v.State, v.Version, v.Applied, v.Latest = state, highest, applied, latest
			return v, nil
		}
	}
	events, latest := q.timelines.eventsAt(agg, at)
	if len(events) == 0 {
		if basis == Current {
			return StateView{}, notFound(agg)
		}
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s had no events at %s (%s)", agg, at.At.Format(time.RFC3339), basis)
	}
	state, err := k.fold(events, nil)
	if err != nil {
		return StateView{}, err
	}
	var highest uint64
	for i := range events {
		highest = max(highest, events[i].AggregateVersion)
	}
	v.State, v.Version, v.Applied, v.Latest = state, highest, len(events), latest
	return v, nil
}

// current fills v from the read model that holds the kind's current state,
// if one does; it leaves v.State nil for a kind without one.
func (q *Reader) current(agg eventstore.Aggregate, v *StateView) error {
	var (
		state   any
		version int
		ok      bool
	)
	switch agg.Kind {
	case domain.KindAgreement:
		// The fold and the view are read under two locks; a commit
		// applied in between would make them disagree, so read again.
		for range 3 {
			var a laa.Agreement
			if a, ok = q.agreements.State(agg.ID); !ok {
				break
			}
			view, _ := q.agreements.Agreement(agg.ID)
			state, version, v.View = a, a.Version, view
			if view.Version == a.Version {
				break
			}
		}
	case domain.KindAreaAssessment:
		var a caa.AreaAssessment
		if a, ok = q.assessments.Area(agg.ID); ok {
			state, version = a, a.Version
		}
	case domain.KindOrgAssessment:
		var a caa.OrgAssessment
		if a, ok = q.assessments.Org(agg.ID); ok {
			state, version = a, a.Version
		}
	default:
		return nil // no read model holds it: fold it from the timelines
	}
	if !ok || version == 0 {
		return notFound(agg)
	}
	v.State, v.Version, v.Applied, v.Latest = state, uint64(version), version, uint64(version)
	return nil
}

func notFound(agg eventstore.Aggregate) error {
	return domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s has no events", agg)
}

// Replay folds the aggregate's events in the canonical order (business
// time, then stream order; see [domain.Canonical]) and calls each with
// every event and the state after it, until each returns an error (which
// Replay returns). each must not keep the state: the fold may go on in
// place. An aggregate with no events is ENOTFOUND.
func (q *Reader) Replay(ctx context.Context, agg eventstore.Aggregate, each func(e *Entry, state any) error) error {
	k, ok := kinds[agg.Kind]
	if !ok {
		return unknownKind(agg.Kind)
	}
	events, _ := q.timelines.eventsAt(agg, AsOf{})
	if len(events) == 0 {
		return notFound(agg)
	}
	_, err := k.fold(events, each)
	return err
}

// TimelineScope names one timeline: exactly one of its fields is set.
type TimelineScope struct {
	// Aggregate is one agreement's or assessment's timeline.
	Aggregate eventstore.Aggregate
	// Area is every aggregate of an area, by SNAC code.
	Area string
	// Actor is what one person did, across the ledger.
	Actor string
	// Organisation is what everyone acting for an organisation did.
	Organisation string
}

// TimelineView is one page of a timeline and the position it reflects.
type TimelineView struct {
	TimelinePage
	Position uint64 `json:"position,omitempty"`
}

// Timeline pages the timeline the scope names, filtered and paged by tq.
func (q *Reader) Timeline(ctx context.Context, scope TimelineScope, tq TimelineQuery) (TimelineView, error) {
	pos := q.runner.Position()
	named := 0
	for _, set := range []bool{scope.Aggregate != (eventstore.Aggregate{}), scope.Area != "", scope.Actor != "", scope.Organisation != ""} {
		if set {
			named++
		}
	}
	if named != 1 {
		return TimelineView{}, invalidf("name exactly one timeline: an aggregate, an area, an actor or an organisation")
	}
	var (
		p   TimelinePage
		err error
	)
	switch {
	case scope.Aggregate != (eventstore.Aggregate{}):
		p, err = q.timelines.Aggregate(scope.Aggregate, tq)
	case scope.Area != "":
		p, err = q.timelines.Area(scope.Area, tq)
	case scope.Actor != "":
		p, err = q.timelines.Actor(scope.Actor, tq)
	default:
		p, err = q.timelines.Organisation(scope.Organisation, tq)
	}
	if err != nil {
		return TimelineView{}, err
	}
	if err := q.linkCorrections(&p); err != nil {
		return TimelineView{}, err
	}
	return TimelineView{TimelinePage: p, Position: pos}, nil
}

// linkCorrections fills p's Corrects and CorrectedBy from the histories
// of the aggregates on the page. A correction names what it corrects by
// event id or as "<command id>#<index>"; the links always give event ids.
func (q *Reader) linkCorrections(p *TimelinePage) error {
	aggs := map[eventstore.Aggregate]bool{}
	for i := range p.Entries {
		aggs[p.Entries[i].Aggregate()] = true
	}
	onPage := make(map[string]bool, len(p.Entries))
	for i := range p.Entries {
		onPage[p.Entries[i].EventID] = true
	}
	for agg := range aggs {
		links, err := q.timelines.correctionLinks(agg)
		if err != nil {
			return err
		}
		for _, l := range links {
			if onPage[l.event] {
				if p.Corrects == nil {
					p.Corrects = map[string]string{}
				}
				p.Corrects[l.event] = l.target
			}
			if onPage[l.target] {
				if p.CorrectedBy == nil {
					p.CorrectedBy = map[string][]string{}
				}
				p.CorrectedBy[l.target] = append(p.CorrectedBy[l.target], l.event)
			}
		}
	}
	return nil
}

// correctionLink is a correcting event and the event it corrects.
type correctionLink struct{ event, target string }

// correctionLinks returns the aggregate's corrections whose reference names
// one of its events, in the canonical order (as [Timelines.eventsAt] gives
// them). It copies and decodes only the corrections, not the whole history:
// a timeline page of a long-lived aggregate reads this on every request.
func (t *Timelines) correctionLinks(a eventstore.Aggregate) ([]correctionLink, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ix := t.byAgg[a]
	if ix == nil {
		return nil, nil
	}
	correcting := map[string]bool{}
	var corr []Entry
	canonical, first := false, true
	for _, part := range [...][]int32{ix.list, ix.pending} {
		for _, x := range part {
			ty := t.entries.typeName(x)
			if first {
				canonical, first = registry.EventTiming(ty) != 0, false
			}
			c, seen := correcting[ty]
			if !seen {
				proto, ok := registry.NewEvent(ty)
				_, c = proto.(domain.Correcting)
				c = ok && c
				correcting[ty] = c
			}
			if c {
				corr = append(corr, *t.entries.at(x))
			}
		}
	}
	if len(corr) == 0 {
		return nil, nil
	}
	if canonical {
		slices.SortFunc(corr, func(x, y Entry) int { return x.key().cmp(y.key()) })
	} else {
		slices.SortFunc(corr, func(x, y Entry) int { return cmp.Compare(x.AggregateVersion, y.AggregateVersion) })
	}
	// The references, then one pass over the history to resolve them.
	type pos struct {
		command string
		index   int
	}
	refs := make([]string, len(corr))
	byID := map[string]string{}
	byPos := map[pos]string{}
	for i := range corr {
		ev, err := DecodeEntry(&corr[i])
		if err != nil {
			return nil, err
		}
		refs[i] = ev.(domain.Correcting).Corrects()
		byID[refs[i]] = ""
		if cmd, idx, ok := strings.Cut(refs[i], "#"); ok {
			if n, err := strconv.Atoi(idx); err == nil {
				byPos[pos{cmd, n}] = ""
			}
		}
	}
	for _, part := range [...][]int32{ix.list, ix.pending} {
		for _, x := range part {
			e := t.entries.at(x)
			if _, ok := byID[e.EventID]; ok {
				byID[e.EventID] = e.EventID
			}
			if len(byPos) > 0 {
				if _, ok := byPos[pos{e.CommandID, e.Index}]; ok {
					byPos[pos{e.CommandID, e.Index}] = e.EventID
				}
			}
		}
	}
	links := make([]correctionLink, 0, len(corr))
	for i := range corr {
		target := byID[refs[i]]
		if cmd, idx, ok := strings.Cut(refs[i], "#"); ok {
			if n, err := strconv.Atoi(idx); err == nil && byPos[pos{cmd, n}] != "" {
				target = byPos[pos{cmd, n}]
			}
		}
		if target != "" {
			links = append(links, correctionLink{event: corr[i].EventID, target: target})
		}
	}
	return links, nil
}

// History returns every event of one aggregate in business-time order (then
// stream order), keeping only the given types if any. An aggregate with no
// events is ENOTFOUND.
func (q *Reader) History(ctx context.Context, agg eventstore.Aggregate, types []string) ([]Entry, error) {
	var out []Entry
	tq := TimelineQuery{Types: types, Limit: 1000}
	for {
		p, err := q.timelines.Aggregate(agg, tq)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Entries...)
		if p.Next == "" {
			break
		}
		tq.After = p.Next
	}
	if len(out) == 0 {
		if events, _ := q.timelines.eventsAt(agg, AsOf{}); len(events) == 0 {
			return nil, notFound(agg)
		}
	}
	return out, nil
}

// TargetRounds is the negotiation history of one target: every proposal,
// counter-proposal, agreement and withdrawal, in the original negotiation
// and in refreshes, each with its change from the previous round.
type TargetRounds struct {
	Agreement eventstore.Aggregate `json:"agreement"`
	Target    string               `json:"target"`
	Rounds    []Round              `json:"rounds"`
	Position  uint64               `json:"position,omitempty"`
}

// TargetRounds returns every round of one target of an agreement
// (ENOTFOUND if the agreement or the target does not exist).
func (q *Reader) TargetRounds(ctx context.Context, agreement, target string) (TargetRounds, error) {
	pos := q.runner.Position()
	ref := eventstore.Aggregate{Kind: domain.KindAgreement, ID: agreement}
	a, ok := q.agreements.State(agreement)
	if !ok {
		return TargetRounds{}, notFound(ref)
	}
	if _, ok := a.Targets[target]; !ok {
		return TargetRounds{}, domain.Errorf(domain.ENOTFOUND, "target.not_found", "%s has no target %q", ref, target)
	}
	rounds := q.agreements.TargetRounds(agreement, target)
	if rounds == nil {
		rounds = []Round{}
	}
	return TargetRounds{Agreement: ref, Target: target, Rounds: rounds, Position: pos}, nil
}

// IndicatorView is a National Indicator across every area: the catalogue's
// entry (absent if the catalogue does not hold the number) and each area's
// target on it.
type IndicatorView struct {
	NI        int                     `json:"ni"`
	Indicator *catalogue.Indicator    `json:"indicator,omitempty"`
	Targets   []IndicatorTargetRounds `json:"targets"`
	Position  uint64                  `json:"position,omitempty"`
}

// IndicatorTargetRounds is one area's target on an indicator with its
// rounds.
type IndicatorTargetRounds struct {
	IndicatorTarget
	Rounds []Round `json:"rounds"`
}

// Indicator returns the catalogue's entry for the National Indicator and
// every area's target on it with its rounds (ENOTFOUND if neither the
// catalogue nor any agreement knows the number).
func (q *Reader) Indicator(ctx context.Context, n int) (IndicatorView, error) {
	pos := q.runner.Position()
	cat, err := q.currentCatalogue()
	if err != nil {
		return IndicatorView{}, err
	}
	v := IndicatorView{NI: n, Position: pos, Targets: []IndicatorTargetRounds{}}
	if ind, ok := cat.Lookup(n, time.Now()); ok {
		v.Indicator = &ind
	}
	for _, t := range q.agreements.Indicator(n) {
		rounds := q.agreements.TargetRounds(t.Agreement, t.Target.Key)
		if rounds == nil {
			rounds = []Round{}
		}
		v.Targets = append(v.Targets, IndicatorTargetRounds{IndicatorTarget: t, Rounds: rounds})
	}
	if v.Indicator == nil && len(v.Targets) == 0 {
		return IndicatorView{}, domain.Errorf(domain.ENOTFOUND, "indicator.not_found", "NI %d is not in the catalogue and no agreement has a target on it", n)
	}
	return v, nil
}

// catalogueRef is the indicator catalogue's aggregate.
var catalogueRef = eventstore.Aggregate{Kind: domain.KindCatalogue, ID: catalogue.CatalogueID}

func (q *Reader) currentCatalogue() (catalogue.Catalogue, error) {
	events, _ := q.timelines.eventsAt(catalogueRef, AsOf{Basis: Recorded, At: time.Unix(math.MaxInt32, 0)})
	q.catMu.Lock()
	defer q.catMu.Unlock()
	if len(events) == 0 || events[len(events)-1].AggregateVersion == q.catVersion {
		return q.catalogue, nil
	}
	s, err := kinds[domain.KindCatalogue].fold(events, nil)
	if err != nil {
		return catalogue.Catalogue{}, err
	}
	c, ok := s.(catalogue.Catalogue)
	if !ok {
		return catalogue.Catalogue{}, errors.New("catalogue fold: not a catalogue")
	}
	q.catalogue, q.catVersion = c, events[len(events)-1].AggregateVersion
	return c, nil
}

// DashboardView is the dashboard counts and the position they reflect.
type DashboardView struct {
	Dashboard
	Position uint64 `json:"position,omitempty"`
}

// Dashboard counts agreements by status per region, targets by indicator
// and standing flags by colour and theme.
func (q *Reader) Dashboard(ctx context.Context) (DashboardView, error) {
	pos := q.runner.Position()
	return DashboardView{Dashboard: CountDashboard(q.agreements, q.assessments), Position: pos}, nil
}
