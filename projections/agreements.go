package projections

import (
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// TargetState is the negotiation state of a target as scrutiny reads it,
// derived from the agreement's fold.
type TargetState string

// Target states.
const (
	TargetProposed     TargetState = "proposed"      // round 1 on the table
	TargetCountered    TargetState = "countered"     // a later round on the table
	TargetAgreed       TargetState = "agreed"        // agreed, agreement not yet approved
	TargetWithdrawn    TargetState = "withdrawn"     // taken out before adoption
	TargetLocked       TargetState = "locked"        // agreed and under reward lockdown
	TargetUnderRefresh TargetState = "under_refresh" // a refresh revision is open
	TargetRefreshed    TargetState = "refreshed"     // locked, with at least one agreed revision
)

// TargetStateOf derives a target's state from its agreement.
func TargetStateOf(a laa.Agreement, t laa.Target) TargetState {
	switch {
	case t.Status == laa.TargetStatusWithdrawn:
		return TargetWithdrawn
	case t.Status == laa.TargetStatusNegotiating:
		if t.Open != nil && t.Open.Round > 1 {
			return TargetCountered
		}
		return TargetProposed
	case t.Open != nil:
		return TargetUnderRefresh
	case a.ApprovedAt.IsZero():
		return TargetAgreed
	case t.Revisions > 0:
		return TargetRefreshed
	}
	return TargetLocked
}

// Round is one step of a target's negotiation: a proposal,
// counter-proposal, agreement or withdrawal, in the original negotiation or
// in a refresh. Outturns are not rounds; they are in the target's state
// ([TargetView.Outturns], every revision in [Agreements.State]) and in the
// agreement's timeline.
type Round struct {
	Sequence uint64 `json:"sequence"`
	Index    int    `json:"index"`
	EventID  string `json:"event_id"`
	Type     string `json:"type"`
	// Refresh is true for the revision of a locked target in a refresh.
	Refresh bool     `json:"refresh,omitempty"`
	Round   int      `json:"round,omitempty"`
	Side    laa.Side `json:"side,omitempty"`
	// By is who issued the command; ProposedBy, for an agreement, is whose
	// proposal was accepted.
	By         eventstore.Actor `json:"by"`
	ProposedBy string           `json:"proposed_by,omitempty"`
	OccurredAt time.Time        `json:"occurred_at"`
	RecordedAt time.Time        `json:"recorded_at"`
	Reason     string           `json:"reason,omitempty"`
	Rationale  string           `json:"rationale,omitempty"`
	Baseline   *laa.Baseline    `json:"baseline,omitempty"`
	Values     laa.Values       `json:"values,omitempty"`
	// Change is, per year, the difference from the previous round's value
	// for that year (this round minus the previous one), for the years both
	// rounds name; nil for the first round and for outturns.
	Change laa.Values      `json:"change,omitempty"`
	Ground laa.Ground      `json:"ground,omitempty"`
	Flag   *domain.FlagRef `json:"flag,omitempty"`
	Year   string          `json:"year,omitempty"` // outturns
	Source string          `json:"source,omitempty"`
}

// LockGround is a ground on which a locked target was, or is being,
// revised in a refresh.
type LockGround struct {
	Ground laa.Ground      `json:"ground"`
	Flag   *domain.FlagRef `json:"flag,omitempty"`
	Agreed bool            `json:"agreed"`
	At     time.Time       `json:"at"`
}

// TargetView is a target as the current-state pages show it.
type TargetView struct {
	Key       string         `json:"key"`
	NI        int            `json:"ni,omitempty"`
	LocalCode string         `json:"local_code,omitempty"`
	Title     string         `json:"title"`
	Kind      laa.TargetKind `json:"kind"`
	State     TargetState    `json:"state"`
	Baseline  *laa.Baseline  `json:"baseline,omitempty"`
	// Trajectory is the agreed value per year; nil until agreed.
	Trajectory laa.Values    `json:"trajectory,omitempty"`
	AgreedAt   time.Time     `json:"agreed_at,omitzero"`
	Open       *laa.Proposal `json:"open,omitempty"`
	// Outturns is the latest outturn recorded for each year.
	Outturns     map[string]laa.Outturn `json:"outturns,omitempty"`
	Locked       bool                   `json:"locked"`
	LockdownFrom time.Time              `json:"lockdown_from,omitzero"`
	Grounds      []LockGround           `json:"grounds,omitempty"`
	Revisions    int                    `json:"revisions"`
}

// AgreementView is an agreement's current state.
type AgreementView struct {
	ID           string              `json:"id"`
	Area         string              `json:"area"`
	AreaName     string              `json:"area_name"`
	Region       string              `json:"region"`
	Period       string              `json:"period"`
	Status       laa.AgreementStatus `json:"status"`
	AdoptedAt    time.Time           `json:"adopted_at,omitzero"`
	SubmittedAt  time.Time           `json:"submitted_at,omitzero"`
	ApprovedAt   time.Time           `json:"approved_at,omitzero"`
	LockdownFrom time.Time           `json:"lockdown_from,omitzero"`
	Refreshes    []laa.Refresh       `json:"refreshes,omitempty"`
	Corrections  []laa.Correction    `json:"corrections,omitempty"`
	Targets      []TargetView        `json:"targets"`
	// Version is the number of the agreement's events folded.
	Version int `json:"version"`
}

// IndicatorTarget is one area's target on an indicator.
type IndicatorTarget struct {
	Agreement string     `json:"agreement"`
	Area      string     `json:"area"`
	AreaName  string     `json:"area_name"`
	Region    string     `json:"region"`
	Target    TargetView `json:"target"`
}

type targetRef struct{ agreement, target string }

// Agreements holds the current state of every LAA, folded with the
// domain's own fold ([laa.Agreement.ApplyInPlace]: the read model owns
// its states and hands out only views and clones), and each target's
// rounds, kept compact (see agreements_rounds.go).
type Agreements struct {
	mu     sync.RWMutex
	states map[string]laa.Agreement
	// refold is keyed by agreement id.
	refold refoldLog[string]
	// sy holds what the rounds' numbers stand for.
	sy      symbols
	rounds  map[targetRef]*targetRounds
	grounds map[targetRef][]LockGround
	byNI    map[int][]targetRef
}

// NewAgreements returns an empty agreements read model.
func NewAgreements() *Agreements {
	a := &Agreements{}
	a.Reset()
	return a
}

// Name implements [ReadModel].
func (a *Agreements) Name() string { return "agreements" }

// Version implements [ReadModel].
func (a *Agreements) Version() int { return 4 }

// Reset implements [ReadModel].
func (a *Agreements) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states = map[string]laa.Agreement{}
	a.refold.reset()
	a.sy = newSymbols()
	a.rounds = map[targetRef]*targetRounds{}
	a.grounds = map[targetRef][]LockGround{}
	a.byNI = map[int][]targetRef{}
}

// Apply implements [ReadModel]. Every event of kind laa is decoded and
// folded; one the build does not know stops the runner rather than being
// skipped. An agreement whose past the commit changes (a late fact, a
// correction) is left for a refold ([Refolder]).
func (a *Agreements) Apply(c *eventstore.Commit) error {
	type decoded struct {
		env *eventstore.Envelope
		idx int
		ev  domain.Event
	}
	var evs []decoded
	for i := range c.Events {
		e := &c.Events[i]
		if e.AggregateKind != domain.KindAgreement {
			continue
		}
		ev, err := registry.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return err
		}
		evs = append(evs, decoded{e, i, ev})
	}
	if len(evs) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range evs {
		id := d.env.AggregateID
		if !a.refold.admit(d.env.Aggregate(), id, d.ev, d.env.OccurredAt) {
			continue
		}
		s := a.states[id]
		s.ApplyInPlace(d.ev)
		a.internOutturn(&s, d.ev)
		a.states[id] = s
		a.addRound(id, d.env, d.idx, d.ev)
	}
	return nil
}

// internOutturn makes the outturn that ev, if it records one, has just
// appended to s share its source string with the outturns already
// folded: there are as many outturns as rounds, and few sources. Only the
// appended outturn is written, which no clone handed out can see.
func (a *Agreements) internOutturn(s *laa.Agreement, ev domain.Event) {
	e, ok := ev.(laa.OutturnRecorded)
	if !ok {
		return
	}
	if t := s.Targets[e.Target]; t != nil {
		if os := t.Outturns[e.Year]; len(os) > 0 {
			o := &os[len(os)-1]
			o.Source = a.sy.strs.vals[a.sy.strs.id(o.Source)]
		}
	}
}

// TakeRefolds implements [Refolder].
func (a *Agreements) TakeRefolds() []eventstore.Aggregate {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refold.take()
}

func (a *Agreements) addRound(id string, env *eventstore.Envelope, idx int, ev domain.Event) {
	r := Round{Sequence: env.Sequence, Index: idx, EventID: env.EventID, Type: env.Type,
		By: env.Actor, OccurredAt: env.OccurredAt.UTC(), RecordedAt: env.RecordedAt.UTC(), Reason: env.Reason}
	var key string
	switch e := ev.(type) {
	case laa.TargetProposed:
		key = e.Target
		r.Round, r.Side, r.ProposedBy, r.Rationale, r.Baseline, r.Values = e.Round, e.Side, e.ProposedBy, e.Rationale, e.Baseline, e.Values
		if e.NI > 0 {
			ref := targetRef{id, key}
			if !slices.Contains(a.byNI[e.NI], ref) {
				a.byNI[e.NI] = append(a.byNI[e.NI], ref)
			}
		}
	case laa.TargetCounterProposed:
		key = e.Target
		r.Round, r.Side, r.ProposedBy, r.Rationale, r.Baseline, r.Values = e.Round, e.Side, e.ProposedBy, e.Rationale, e.Baseline, e.Values
	case laa.TargetAgreed:
		key = e.Target
		r.Round, r.Side, r.ProposedBy, r.Baseline, r.Values = e.Round, e.AcceptedBySide, e.ProposedBy, e.Baseline, e.Values
	case laa.TargetWithdrawn:
		key = e.Target
		r.Side, r.Rationale = e.Side, e.Reason
	case laa.RefreshRevisionProposed:
		key = e.Target
		r.Refresh, r.Round, r.Side, r.ProposedBy, r.Rationale, r.Baseline, r.Values, r.Ground, r.Flag = true, e.Round, e.Side, e.ProposedBy, e.Rationale, e.Baseline, e.Values, e.Ground, e.Flag
		ref := targetRef{id, key}
		a.grounds[ref] = append(a.grounds[ref], LockGround{Ground: e.Ground, Flag: e.Flag, At: e.At})
	case laa.RefreshRevisionCountered:
		key = e.Target
		r.Refresh, r.Round, r.Side, r.ProposedBy, r.Rationale, r.Baseline, r.Values, r.Ground = true, e.Round, e.Side, e.ProposedBy, e.Rationale, e.Baseline, e.Values, e.Ground
	case laa.RefreshRevisionAgreed:
		key = e.Target
		r.Refresh, r.Round, r.Side, r.ProposedBy, r.Baseline, r.Values, r.Ground, r.Flag = true, e.Round, e.AcceptedBySide, e.ProposedBy, e.Baseline, e.Values, e.Ground, e.Flag
		ref := targetRef{id, key}
		if g := a.grounds[ref]; len(g) > 0 && !g[len(g)-1].Agreed {
			g[len(g)-1].Agreed = true
		} else {
			a.grounds[ref] = append(g, LockGround{Ground: e.Ground, Flag: e.Flag, Agreed: true, At: e.At})
		}
	default:
		return
	}
	ref := targetRef{id, key}
	tr := a.rounds[ref]
	if tr == nil {
		tr = &targetRounds{}
		a.rounds[ref] = tr
	}
	tr.add(&a.sy, &r)
}

// State returns an agreement's fold exactly as the domain computes it: a
// clone, since the read model folds its states in place.
func (a *Agreements) State(id string) (laa.Agreement, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.states[id]
	return s.Clone(), ok
}

// Agreement returns an agreement's current state for display.
func (a *Agreements) Agreement(id string) (AgreementView, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.states[id]
	if !ok {
		return AgreementView{}, false
	}
	return a.view(s), true
}

// List returns every agreement's current state, by id.
func (a *Agreements) List() []AgreementView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]AgreementView, 0, len(a.states))
	for _, id := range slices.Sorted(maps.Keys(a.states)) {
		out = append(out, a.view(a.states[id]))
	}
	return out
}

func (a *Agreements) view(s laa.Agreement) AgreementView {
	v := AgreementView{ID: s.ID, Area: s.Area, AreaName: s.AreaName, Region: s.Region, Period: s.Period, Status: s.Status,
		AdoptedAt: s.AdoptedAt, SubmittedAt: s.SubmittedAt, ApprovedAt: s.ApprovedAt, LockdownFrom: s.LockdownFrom,
		Refreshes: slices.Clone(s.Refreshes), Corrections: slices.Clone(s.Corrections), Version: s.Version,
		Targets: make([]TargetView, 0, len(s.Order))}
	for _, k := range s.Order {
		if t := s.Targets[k]; t != nil {
			v.Targets = append(v.Targets, a.targetView(s, *t))
		}
	}
	return v
}

func (a *Agreements) targetView(s laa.Agreement, t laa.Target) TargetView {
	v := TargetView{Key: t.Key, NI: t.NI, LocalCode: t.LocalCode, Title: t.Title, Kind: t.Kind,
		State: TargetStateOf(s, t), Baseline: t.Baseline, Trajectory: maps.Clone(t.Values), AgreedAt: t.AgreedAt,
		Open: t.Open, Revisions: t.Revisions, Grounds: slices.Clone(a.grounds[targetRef{s.ID, t.Key}])}
	if len(t.Outturns) > 0 {
		v.Outturns = make(map[string]laa.Outturn, len(t.Outturns))
		for y, os := range t.Outturns {
			if len(os) > 0 {
				v.Outturns[y] = os[len(os)-1]
			}
		}
	}
	if t.Status == laa.TargetStatusAgreed && !s.LockdownFrom.IsZero() {
		v.Locked, v.LockdownFrom = true, s.LockdownFrom
	}
	return v
}

// TargetRounds returns every round of one target of an agreement, in the
// order they happened, with each round's change from the previous one.
func (a *Agreements) TargetRounds(agreement, target string) []Round {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.rounds[targetRef{agreement, target}].all(&a.sy)
}

// Indicator returns every area's target on a National Indicator (for
// example every NI 112 target), by area code.
func (a *Agreements) Indicator(ni int) []IndicatorTarget {
	a.mu.RLock()
	defer a.mu.RUnlock()
	refs := a.byNI[ni]
	out := make([]IndicatorTarget, 0, len(refs))
	for _, ref := range refs {
		s := a.states[ref.agreement]
		t, ok := s.Targets[ref.target]
		if !ok || t.NI != ni {
			continue
		}
		out = append(out, IndicatorTarget{Agreement: s.ID, Area: s.Area, AreaName: s.AreaName, Region: s.Region, Target: a.targetView(s, *t)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Area != out[j].Area {
			return out[i].Area < out[j].Area
		}
		return out[i].Target.Key < out[j].Target.Key
	})
	return out
}

// RebuildAggregate implements [AggregateRebuilder].
func (a *Agreements) RebuildAggregate(agg eventstore.Aggregate, events []eventstore.Envelope) error {
	if agg.Kind != domain.KindAgreement {
		return nil
	}
	stamped, err := stampEnvelopes(events)
	if err != nil {
		return err
	}
	// The events in the canonical order, with corrections substituted;
	// envs[i] is the stored envelope of stamped[i].
	byID := make(map[stampKey]*eventstore.Envelope, len(events))
	for i := range events {
		byID[stampKey{events[i].Sequence, stamped[i].Index}] = &events[i]
	}
	stamped = domain.Canonical(stamped)
	a.mu.Lock()
	defer a.mu.Unlock()
	id := agg.ID
	delete(a.states, id)
	delete(a.refold.lastAt, id)
	for ref := range a.rounds {
		if ref.agreement == id {
			delete(a.rounds, ref)
		}
	}
	for ref := range a.grounds {
		if ref.agreement == id {
			delete(a.grounds, ref)
		}
	}
	for ni, refs := range a.byNI {
		a.byNI[ni] = slices.DeleteFunc(refs, func(r targetRef) bool { return r.agreement == id })
	}
	if len(events) == 0 {
		return nil
	}
	var (
		s    laa.Agreement
		last time.Time
	)
	for _, e := range stamped {
		s.ApplyInPlace(e.Event)
		a.internOutturn(&s, e.Event)
		a.addRound(id, byID[stampKey{e.Sequence, e.Index}], e.Index, e.Event)
		if e.OccurredAt.After(last) {
			last = e.OccurredAt
		}
	}
	a.states[id], a.refold.lastAt[id] = s, last
	return nil
}

// stampKey finds a stored event by its commit and position in it.
type stampKey struct {
	seq uint64
	idx int
}
