package projections

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore"
)

// NewReferenceAgreements returns the agreements read model as it was
// before its rounds were kept compact, for [DiffAgreements].
func NewReferenceAgreements() ReadModel { return newRefAgreements() }

// refAgreements is the agreements read model as it was before its rounds
// were kept compact, kept as the reference the model's answers must
// equal. It holds the current state of every LAA, folded with the
// domain's own fold ([laa.Agreement.ApplyInPlace]: the read model owns
// its states and hands out only views and clones), and each target's
// rounds.
type refAgreements struct {
	mu     sync.RWMutex
	states map[string]laa.Agreement
	// refold is keyed by agreement id.
	refold  refoldLog[string]
	rounds  map[targetRef][]Round
	grounds map[targetRef][]LockGround
	byNI    map[int][]targetRef
}

// newRefAgreements returns an empty agreements read model.
func newRefAgreements() *refAgreements {
	a := &refAgreements{}
	a.Reset()
	return a
}

// Name implements [ReadModel].
func (a *refAgreements) Name() string { return "agreements-reference" }

// Version implements [ReadModel].
func (a *refAgreements) Version() int { return 3 }

// Reset implements [ReadModel].
func (a *refAgreements) Reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states = map[string]laa.Agreement{}
	a.refold.reset()
	a.rounds = map[targetRef][]Round{}
	a.grounds = map[targetRef][]LockGround{}
	a.byNI = map[int][]targetRef{}
}

// Apply implements [ReadModel]. Every event of kind laa is decoded and
// folded; one the build does not know stops the runner rather than being
// skipped. An agreement whose past the commit changes (a late fact, a
// correction) is left for a refold ([Refolder]).
func (a *refAgreements) Apply(c *eventstore.Commit) error {
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
		a.states[id] = s
		a.addRound(id, d.env, d.idx, d.ev)
	}
	return nil
}

// TakeRefolds implements [Refolder].
func (a *refAgreements) TakeRefolds() []eventstore.Aggregate {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refold.take()
}

func (a *refAgreements) addRound(id string, env *eventstore.Envelope, idx int, ev domain.Event) {
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
	list := a.rounds[ref]
	if r.Values != nil {
		for i := len(list) - 1; i >= 0; i-- {
			if prev := list[i]; prev.Values != nil {
				r.Change = refValueChange(prev.Values, r.Values)
				break
			}
		}
	}
	a.rounds[ref] = append(list, r)
}

func refValueChange(prev, cur laa.Values) laa.Values {
	out := laa.Values{}
	for y, v := range cur {
		if p, ok := prev[y]; ok {
			out[y] = v - p
		}
	}
	return out
}

// State returns an agreement's fold exactly as the domain computes it: a
// clone, since the read model folds its states in place.
func (a *refAgreements) State(id string) (laa.Agreement, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.states[id]
	return s.Clone(), ok
}

// Agreement returns an agreement's current state for display.
func (a *refAgreements) Agreement(id string) (AgreementView, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.states[id]
	if !ok {
		return AgreementView{}, false
	}
	return a.view(s), true
}

// List returns every agreement's current state, by id.
func (a *refAgreements) List() []AgreementView {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]AgreementView, 0, len(a.states))
	for _, id := range slices.Sorted(maps.Keys(a.states)) {
		out = append(out, a.view(a.states[id]))
	}
	return out
}

func (a *refAgreements) view(s laa.Agreement) AgreementView {
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

func (a *refAgreements) targetView(s laa.Agreement, t laa.Target) TargetView {
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
func (a *refAgreements) TargetRounds(agreement, target string) []Round {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return slices.Clone(a.rounds[targetRef{agreement, target}])
}

// Indicator returns every area's target on a National Indicator (for
// example every NI 112 target), by area code.
func (a *refAgreements) Indicator(ni int) []IndicatorTarget {
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

type refAgreementsSnapshot struct {
	States  map[string]laa.Agreement
	LastAt  map[string]time.Time
	Rounds  []refRoundsOf
	Grounds []refGroundsOf
	ByNI    map[int][]refTargetKey
}

type refTargetKey struct {
	Agreement string
	Target    string
}

type refRoundsOf struct {
	Agreement, Target string
	Rounds            []Round
}

type refGroundsOf struct {
	Agreement, Target string
	Grounds           []LockGround
}

// WriteSnapshot implements [ReadModel]. The states are gob-encoded: at a
// million events they hold every outturn revision, and gob decodes them
// several times faster than JSON.
func (a *refAgreements) WriteSnapshot(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s := refAgreementsSnapshot{States: a.states, LastAt: a.refold.lastAt, ByNI: map[int][]refTargetKey{}}
	for ref, rs := range a.rounds {
		s.Rounds = append(s.Rounds, refRoundsOf{ref.agreement, ref.target, rs})
	}
	for ref, gs := range a.grounds {
		s.Grounds = append(s.Grounds, refGroundsOf{ref.agreement, ref.target, gs})
	}
	for ni, refs := range a.byNI {
		for _, ref := range refs {
			s.ByNI[ni] = append(s.ByNI[ni], refTargetKey{ref.agreement, ref.target})
		}
	}
	return gob.NewEncoder(w).Encode(s)
}

// ReadSnapshot implements [ReadModel].
func (a *refAgreements) ReadSnapshot(r io.Reader) error {
	var s refAgreementsSnapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return err
	}
	a.Reset()
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.States != nil {
		a.states = s.States
	}
	if s.LastAt != nil {
		a.refold.lastAt = s.LastAt
	}
	for _, x := range s.Rounds {
		a.rounds[targetRef{x.Agreement, x.Target}] = x.Rounds
	}
	for _, x := range s.Grounds {
		a.grounds[targetRef{x.Agreement, x.Target}] = x.Grounds
	}
	for ni, keys := range s.ByNI {
		for _, k := range keys {
			a.byNI[ni] = append(a.byNI[ni], targetRef{k.Agreement, k.Target})
		}
	}
	return nil
}

// RebuildAggregate implements [AggregateRebuilder].
func (a *refAgreements) RebuildAggregate(agg eventstore.Aggregate, events []eventstore.Envelope) error {
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
		a.addRound(id, byID[stampKey{e.Sequence, e.Index}], e.Index, e.Event)
		if e.OccurredAt.After(last) {
			last = e.OccurredAt
		}
	}
	a.states[id], a.refold.lastAt[id] = s, last
	return nil
}

// DiffAgreements compares every answer of got with the reference's: each
// agreement's fold, its view and the list of them, every target's rounds
// and every indicator across areas, both as Go values and as the JSON
// the API serves. It returns what differs (nothing when they agree) and
// how many rounds it compared.
func DiffAgreements(got *Agreements, ref ReadModel) (diffs []string, rounds int) {
	want := ref.(*refAgreements)
	differ := func(what string, g, w any) {
		if len(diffs) >= 20 {
			return
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !reflect.DeepEqual(g, w) || !bytes.Equal(gj, wj) {
			diffs = append(diffs, fmt.Sprintf("%s:\n got %s\nwant %s", what, gj, wj))
		}
	}
	want.mu.RLock()
	ids := slices.Sorted(maps.Keys(want.states))
	refs := slices.Collect(maps.Keys(want.rounds))
	nis := slices.Sorted(maps.Keys(want.byNI))
	want.mu.RUnlock()
	got.mu.RLock()
	gotIDs := slices.Sorted(maps.Keys(got.states))
	gotRefs := slices.Collect(maps.Keys(got.rounds))
	gotNIs := slices.Sorted(maps.Keys(got.byNI))
	got.mu.RUnlock()
	differ("agreement ids", gotIDs, ids)
	differ("number of targets with rounds", len(gotRefs), len(refs))
	differ("indicators", gotNIs, nis)
	differ("list", got.List(), want.List())
	for _, id := range ids {
		gs, gok := got.State(id)
		ws, wok := want.State(id)
		differ("state of "+id, gs, ws)
		differ("has "+id, gok, wok)
		gv, _ := got.Agreement(id)
		wv, _ := want.Agreement(id)
		differ("view of "+id, gv, wv)
	}
	for _, r := range append(refs, gotRefs...) {
		w := want.TargetRounds(r.agreement, r.target)
		differ(fmt.Sprintf("rounds of %s %s", r.agreement, r.target), got.TargetRounds(r.agreement, r.target), w)
		rounds += len(w)
	}
	for _, ni := range append(nis, 0, -1) {
		differ(fmt.Sprintf("NI %d across areas", ni), got.Indicator(ni), want.Indicator(ni))
	}
	return diffs, rounds / 2
}
