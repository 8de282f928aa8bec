package laa

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// AgreementStatus is where an agreement is in its lifecycle.
type AgreementStatus string

// Agreement statuses, in lifecycle order. After approval a refresh moves
// the agreement through the refresh statuses and back to approved.
const (
	StatusNone             AgreementStatus = ""
	StatusNegotiating      AgreementStatus = "negotiating"
	StatusAdopted          AgreementStatus = "adopted"
	StatusSubmitted        AgreementStatus = "submitted"
	StatusApproved         AgreementStatus = "approved"
	StatusRefreshOpen      AgreementStatus = "refresh_open"
	StatusRefreshAdopted   AgreementStatus = "refresh_adopted"
	StatusRefreshConcluded AgreementStatus = "refresh_concluded"
)

// TargetStatus is where a target is in its negotiation.
type TargetStatus string

// Target statuses.
const (
	TargetStatusNegotiating TargetStatus = "negotiating"
	TargetStatusAgreed      TargetStatus = "agreed"
	TargetStatusWithdrawn   TargetStatus = "withdrawn"
)

// Proposal is the open offer on a target: the terms of the last proposal or
// counter-proposal, by which side, in which round. For a refresh revision
// Ground (and Flag) say why the locked target may change.
type Proposal struct {
	Baseline  *Baseline       `json:"baseline,omitempty"`
	Values    Values          `json:"values"`
	Rationale string          `json:"rationale,omitempty"`
	Round     int             `json:"round"`
	Side      Side            `json:"side"`
	By        string          `json:"by"`
	At        time.Time       `json:"at"`
	Ground    Ground          `json:"ground,omitempty"`
	Flag      *domain.FlagRef `json:"flag,omitempty"`
}

// Outturn is an actual value recorded for a year.
type Outturn struct {
	Value    float64   `json:"value"`
	Source   string    `json:"source"`
	Revision int       `json:"revision"`
	At       time.Time `json:"at"`
}

// Target is one target of an agreement.
type Target struct {
	Key       string       `json:"key"`
	NI        int          `json:"ni,omitempty"`
	LocalCode string       `json:"local_code,omitempty"`
	Title     string       `json:"title"`
	Kind      TargetKind   `json:"kind"`
	Status    TargetStatus `json:"status"`
	// Baseline and Values are the agreed terms; nil until agreed.
	Baseline *Baseline `json:"baseline,omitempty"`
	Values   Values    `json:"values,omitempty"`
	AgreedAt time.Time `json:"agreed_at,omitzero"`
	// Open is the proposal under negotiation: the original negotiation
	// before agreement, or a refresh revision after it. Nil when none.
	Open *Proposal `json:"open,omitempty"`
	// Revisions counts the refresh revisions agreed.
	Revisions int `json:"revisions"`
	// Outturns holds every outturn per year, oldest first.
	Outturns map[string][]Outturn `json:"outturns,omitempty"`
}

// Review is the annual review of one year.
type Review struct {
	SelfAssessmentAt time.Time `json:"self_assessment_at,omitzero"`
	HeldAt           time.Time `json:"held_at,omitzero"`
	ReportSentAt     time.Time `json:"report_sent_at,omitzero"`
}

// Refresh is one refresh of an approved agreement.
type Refresh struct {
	Year        string    `json:"year"`
	OpenedAt    time.Time `json:"opened_at"`
	AdoptedAt   time.Time `json:"adopted_at,omitzero"`
	ConcludedAt time.Time `json:"concluded_at,omitzero"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
}

// Correction is a recorded correction of an earlier event: what it
// corrects, why, by whom and its business time. Type is the corrected
// event's type when the correction carries a corrected body (the folds
// then show that body in place of the original's), empty for a note.
type Correction struct {
	CorrectsEventID string    `json:"corrects_event_id"`
	Reason          string    `json:"reason"`
	Type            string    `json:"corrected_type,omitempty"`
	By              string    `json:"by,omitempty"`
	At              time.Time `json:"at"`
}

// Agreement is the state of one LAA: the fold of its events. The zero value
// is an agreement not yet opened. Apply never mutates the receiver's maps
// or slices, nor a target they point to, so a state a decision saw stays as
// it was.
//
// Targets holds each target behind a pointer, so that Apply is
// copy-on-write per target: the new state's map is a clone of the old one
// (pointers only) in which the changed target alone is a new copy; the
// targets it did not change are shared between the two states. Nobody may
// write through a pointer in the map of a state they did not fold in place
// themselves ([Agreement.ApplyInPlace]).
type Agreement struct {
	ID       string             `json:"id"`
	Area     string             `json:"area"`
	AreaName string             `json:"area_name"`
	Region   string             `json:"region"`
	Period   string             `json:"period"`
	OpenedAt time.Time          `json:"opened_at,omitzero"`
	Status   AgreementStatus    `json:"status"`
	Targets  map[string]*Target `json:"targets"`
	// Order lists target keys in the order first proposed.
	Order        []string          `json:"order"`
	AdoptedAt    time.Time         `json:"adopted_at,omitzero"`
	SubmittedAt  time.Time         `json:"submitted_at,omitzero"`
	ApprovedAt   time.Time         `json:"approved_at,omitzero"`
	LockdownFrom time.Time         `json:"lockdown_from,omitzero"`
	Reviews      map[string]Review `json:"reviews,omitempty"`
	Refreshes    []Refresh         `json:"refreshes,omitempty"`
	Corrections  []Correction      `json:"corrections,omitempty"`
	// LastAt is the business time of the latest act (see the timings table in events.go);
	// a command producing an act may not be dated before it. Facts do not
	// move it.
	LastAt time.Time `json:"last_at,omitzero"`
	// Version counts the events applied.
	Version int `json:"version"`
}

// Opened reports whether the agreement has been opened.
func (a Agreement) Opened() bool { return a.Status != StatusNone }

// Target returns a target by key.
func (a Agreement) Target(key string) (Target, bool) {
	t, ok := a.Targets[key]
	if !ok {
		return Target{}, false
	}
	return *t, true
}

// CountTargets counts the targets of a kind that are not withdrawn.
func (a Agreement) CountTargets(kind TargetKind) int {
	n := 0
	for _, t := range a.Targets {
		if t.Kind == kind && t.Status != TargetStatusWithdrawn {
			n++
		}
	}
	return n
}

// TargetList returns the targets in the order first proposed.
func (a Agreement) TargetList() []Target {
	out := make([]Target, 0, len(a.Order))
	for _, k := range a.Order {
		if t := a.Targets[k]; t != nil {
			out = append(out, *t)
		}
	}
	return out
}

// currentRefresh returns the last refresh, if any.
func (a Agreement) currentRefresh() (Refresh, bool) {
	if len(a.Refreshes) == 0 {
		return Refresh{}, false
	}
	return a.Refreshes[len(a.Refreshes)-1], true
}

// ApplyAgreement folds one event into an agreement; it is [Agreement.Apply].
func ApplyAgreement(a Agreement, e domain.Event) Agreement { return a.Apply(e) }

// Apply folds one event into the agreement and returns the new state.
// Events of other aggregates leave it unchanged. Apply trusts the events: it
// checks nothing, because the decision already did.
func (a Agreement) Apply(e domain.Event) Agreement {
	a.apply(e, copying)
	return a
}

// ApplyChained folds one event as [Agreement.Apply] does, but appends to
// the arrays the agreement's slices (outturns, order, refreshes,
// corrections) end in rather than copying them: Apply copies a year's
// whole outturn history to add one revision, so a chain of states along a
// long history costs memory that grows with the square of its length.
// Maps and the entries it changes are still copied. The agreement it was
// given must not be folded again by Apply, ApplyChained or ApplyInPlace
// (the two results would share an array both append to); it may still be
// read and cloned. It is for a chain of states each derived once from the
// one before, such as checkpoints along a history.
func (a Agreement) ApplyChained(e domain.Event) Agreement {
	a.apply(e, chained)
	return a
}

// ApplyInPlace folds one event into the agreement as [Agreement.Apply]
// does, but updates the maps and slices the agreement holds instead of
// copying them: what Apply costs in copying grows with the number of
// targets, what ApplyInPlace costs does not. Only a caller that owns the
// state may use it — one that has handed none of its maps or slices to
// anyone else (a read model folding under its own lock, a fold of a
// history into a fresh state). Hand out a [Agreement.Clone] of such a
// state, never the state itself.
func (a *Agreement) ApplyInPlace(e domain.Event) { a.apply(e, inPlace) }

// Clone returns a copy of the agreement that shares nothing a later
// [Agreement.ApplyInPlace] on the original writes to.
func (a Agreement) Clone() Agreement {
	c := a
	if a.Targets != nil {
		c.Targets = make(map[string]*Target, len(a.Targets))
		for k, p := range a.Targets {
			t := *p
			if t.Outturns != nil {
				out := make(map[string][]Outturn, len(t.Outturns))
				for y, os := range t.Outturns {
					out[y] = os[:len(os):len(os)]
				}
				t.Outturns = out
			}
			c.Targets[k] = &t
		}
	}
	if a.Reviews != nil {
		c.Reviews = make(map[string]Review, len(a.Reviews))
		for k, v := range a.Reviews {
			c.Reviews[k] = v
		}
	}
	c.Order = a.Order[:len(a.Order):len(a.Order)]
	c.Refreshes = slices.Clone(a.Refreshes)
	c.Corrections = a.Corrections[:len(a.Corrections):len(a.Corrections)]
	return c
}

// mode is how the fold treats the maps and slices an agreement holds.
type mode uint8

const (
	copying mode = iota // writes to none of them (Apply)
	inPlace             // writes to them (ApplyInPlace)
	chained             // copies the maps, appends to the slices' arrays (ApplyChained)
)

// apply is the fold behind Apply, ApplyChained and ApplyInPlace.
func (a *Agreement) apply(e domain.Event, m mode) {
	var at time.Time
	switch e := e.(type) {
	case AgreementOpened:
		a.ID = AgreementID(e.Area, e.Period)
		a.Area, a.AreaName, a.Region, a.Period = e.Area, e.AreaName, e.Region, e.Period
		a.Status, a.OpenedAt = StatusNegotiating, e.At
		a.Targets = map[string]*Target{}
		at = e.At
	case TargetProposed:
		t := Target{Key: e.Target, NI: e.NI, LocalCode: e.LocalCode, Title: e.Title, Kind: e.Kind, Status: TargetStatusNegotiating,
			Open: &Proposal{Baseline: e.Baseline, Values: e.Values.clone(), Rationale: e.Rationale, Round: e.Round, Side: e.Side, By: e.ProposedBy, At: e.At}}
		if old, ok := a.Targets[e.Target]; ok && old != nil {
			t.Outturns = old.Outturns
		} else {
			a.Order = appendTo(a.Order, m, e.Target)
		}
		a.setTarget(t, m)
		at = e.At
	case TargetCounterProposed:
		t := a.target(e.Target)
		t.Open = &Proposal{Baseline: e.Baseline, Values: e.Values.clone(), Rationale: e.Rationale, Round: e.Round, Side: e.Side, By: e.ProposedBy, At: e.At}
		a.setTarget(t, m)
		at = e.At
	case TargetAgreed:
		t := a.target(e.Target)
		t.Status, t.Baseline, t.Values, t.AgreedAt, t.Open = TargetStatusAgreed, e.Baseline, e.Values.clone(), e.At, nil
		a.setTarget(t, m)
		at = e.At
	case TargetWithdrawn:
		t := a.target(e.Target)
		t.Status, t.Open = TargetStatusWithdrawn, nil
		a.setTarget(t, m)
		at = e.At
	case AgreementAdopted:
		a.Status, a.AdoptedAt, at = StatusAdopted, e.At, e.At
	case AgreementSubmitted:
		a.Status, a.SubmittedAt, at = StatusSubmitted, e.At, e.At
	case AgreementApproved:
		a.Status, a.ApprovedAt, a.LockdownFrom, at = StatusApproved, e.At, e.LockdownFrom, e.At
	case SelfAssessmentSubmitted:
		a.updateReview(e.Year, m, func(r *Review) { r.SelfAssessmentAt = e.At })
		at = e.At
	case AnnualReviewHeld:
		a.updateReview(e.Year, m, func(r *Review) { r.HeldAt = e.At })
		at = e.At
	case AnnualReviewReportSent:
		a.updateReview(e.Year, m, func(r *Review) { r.ReportSentAt = e.At })
		at = e.At
	case RefreshOpened:
		a.Refreshes = appendTo(a.Refreshes, m, Refresh{Year: e.Year, OpenedAt: e.At})
		a.Status, at = StatusRefreshOpen, e.At
	case RefreshRevisionProposed:
		t := a.target(e.Target)
		t.Open = &Proposal{Baseline: e.Baseline, Values: e.Values.clone(), Rationale: e.Rationale, Round: e.Round, Side: e.Side,
			By: e.ProposedBy, At: e.At, Ground: e.Ground, Flag: e.Flag}
		a.setTarget(t, m)
		at = e.At
	case RefreshRevisionCountered:
		t := a.target(e.Target)
		var flag *domain.FlagRef
		if t.Open != nil {
			flag = t.Open.Flag
		}
		t.Open = &Proposal{Baseline: e.Baseline, Values: e.Values.clone(), Rationale: e.Rationale, Round: e.Round, Side: e.Side,
			By: e.ProposedBy, At: e.At, Ground: e.Ground, Flag: flag}
		a.setTarget(t, m)
		at = e.At
	case RefreshRevisionAgreed:
		t := a.target(e.Target)
		t.Baseline, t.Values, t.Open = e.Baseline, e.Values.clone(), nil
		t.Revisions++
		a.setTarget(t, m)
		at = e.At
	case RefreshAdopted:
		a.updateRefresh(m, func(r *Refresh) { r.AdoptedAt = e.At })
		a.Status, at = StatusRefreshAdopted, e.At
	case RefreshConcluded:
		a.updateRefresh(m, func(r *Refresh) { r.ConcludedAt = e.At })
		a.Status, at = StatusRefreshConcluded, e.At
	case RefreshApproved:
		a.updateRefresh(m, func(r *Refresh) { r.ApprovedAt = e.At })
		a.Status, at = StatusApproved, e.At
	case OutturnRecorded:
		t := a.target(e.Target)
		out := t.Outturns
		if m != inPlace || out == nil {
			out = make(map[string][]Outturn, len(t.Outturns)+1)
			for k, v := range t.Outturns {
				out[k] = v
			}
		}
		out[e.Year] = appendTo(out[e.Year], m, Outturn{Value: e.Value, Source: e.Source, Revision: e.Revision, At: e.At})
		t.Outturns = out
		a.setTarget(t, m)
	case CorrectionRecorded:
		c := Correction{CorrectsEventID: e.CorrectsEventID, Reason: e.Reason, By: e.By, At: e.At}
		if _, ok := e.CorrectedBody(); ok {
			c.Type = e.CorrectedType
		}
		a.Corrections = appendTo(a.Corrections, m, c)
	default:
		return
	}
	// Only acts move the time-order anchor; facts describe the past.
	if at.After(a.LastAt) {
		a.LastAt = at
	}
	a.Version++
}

// appendTo appends v to s; when copying, into a new array, so that s's
// array is never written. Chained, it may write past the end of s in its
// array, which no state before it can see.
func appendTo[T any](s []T, m mode, v T) []T {
	if m == copying {
		s = s[:len(s):len(s)]
	}
	return append(s, v)
}

// target returns a copy of a target (the zero Target if there is none), for
// the fold to change and store with setTarget.
func (a *Agreement) target(key string) Target {
	if p := a.Targets[key]; p != nil {
		return *p
	}
	return Target{}
}

// setTarget stores t. Unless in place, it stores it in a clone of the map,
// which shares every other target with the old one: the copy an event
// costs is the map's pointers and the one target it changed.
func (a *Agreement) setTarget(t Target, m mode) {
	switch {
	case a.Targets == nil:
		a.Targets = map[string]*Target{t.Key: &t}
	case m != inPlace:
		m := maps.Clone(a.Targets)
		m[t.Key] = &t
		a.Targets = m
	case a.Targets[t.Key] != nil:
		*a.Targets[t.Key] = t
	default:
		a.Targets[t.Key] = &t
	}
}

// updateReview changes the review of year with f, in a copy of the
// reviews unless in place, as updateRefresh does the current refresh.
func (a *Agreement) updateReview(year string, m mode, f func(*Review)) {
	if m != inPlace || a.Reviews == nil {
		m := make(map[string]Review, len(a.Reviews)+1)
		for k, v := range a.Reviews {
			m[k] = v
		}
		a.Reviews = m
	}
	r := a.Reviews[year]
	f(&r)
	a.Reviews[year] = r
}

func (a *Agreement) updateRefresh(m mode, f func(*Refresh)) {
	if len(a.Refreshes) == 0 {
		return
	}
	if m != inPlace {
		a.Refreshes = append([]Refresh(nil), a.Refreshes...)
	}
	f(&a.Refreshes[len(a.Refreshes)-1])
}

// openNegotiations lists, sorted, the keys of targets with an open proposal.
func (a Agreement) openNegotiations() []string {
	var out []string
	for k, t := range a.Targets {
		if t.Open != nil {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
