package domain

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// Timing says how an event stands in business time: as an act in a
// sequence or as a fact about the past.
//
// Acts (a proposal, an acceptance, an approval, a review step, a
// publication) happen one after another, and each may depend on the ones
// before it; a command producing an act may not be dated before the
// aggregate's latest act. Facts (an outturn and its revisions, a
// correction) describe the past: they are often learnt after later acts
// and carry the earlier business time they describe. A fact must fall
// within its aggregate's life (not before it was opened) and is never
// dated after the ledger records it; it does not move the time-order
// anchor that acts keep.
//
// Each aggregate package declares the timing of every event type it
// registers, in one table beside its event declarations.
type Timing uint8

// The two timings. The zero Timing is an event that declares none: it is
// folded in stream order (the indicator catalogue, whose imports carry
// their own effective dates).
const (
	Act Timing = iota + 1
	Fact
)

func (t Timing) String() string {
	switch t {
	case Act:
		return "act"
	case Fact:
		return "fact"
	}
	return "unclassified"
}

// Timed is an event that declares its [Timing].
type Timed interface {
	Event
	Timing() Timing
}

// TimingOf returns e's timing, 0 if it declares none.
func TimingOf(e Event) Timing {
	if t, ok := e.(Timed); ok {
		return t.Timing()
	}
	return 0
}

// Correcting is an event that corrects an earlier event of its own
// aggregate. In every fold where it counts, the corrected event's body is
// replaced by the correction's ([Canonical]).
type Correcting interface {
	Event
	// Corrects names the corrected event: its event id, or
	// "<command id>#<index>" (see [FindCorrected]).
	Corrects() string
	// CorrectedBody returns the body the corrected event has from the
	// correction on, false if the correction carries none (a note only).
	CorrectedBody() (Event, bool)
}

// Stamped is a stored event with what the ledger recorded of it that the
// canonical order sorts on and that a correction names.
type Stamped struct {
	Event      Event
	EventID    string
	CommandID  string
	Sequence   uint64 // stream sequence of its command's commit
	Index      int    // position among its command's events
	OccurredAt time.Time
}

// CompareStamped orders two stored events canonically: by business time,
// then stream sequence, then position in the commit.
func CompareStamped(a, b *Stamped) int {
	if c := a.OccurredAt.Compare(b.OccurredAt); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Sequence, b.Sequence); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// Canonical puts an aggregate's events in the order every fold uses, and
// applies corrections: it is the one place that says what "the state as
// now known" and "the state as recorded" are made of. Given the events
// that count (every event, those with business time ≤ T, or those
// recorded ≤ R) it returns them, in a new slice, sorted by (business time,
// sequence, index), with the body of each corrected event replaced by that of its
// latest correction in that order. A correction of a correction replaces
// the correcting event's body, so chains resolve to the body the last
// word gives. Corrections stay in the list (their fold keeps the note);
// one naming an event not among events changes nothing.
//
// Events that declare no [Timing] (the catalogue's) keep the order they
// are given in: callers pass them in stream order.
//
// Because acts are recorded in business-time order, Canonical differs from
// stream order only where a late fact or a correction is present.
func Canonical(in []Stamped) []Stamped {
	events := slices.Clone(in)
	timed := len(events) > 0 && TimingOf(events[0].Event) != 0
	if timed {
		slices.SortStableFunc(events, func(a, b Stamped) int { return CompareStamped(&a, &b) })
	}
	var pos map[string]int
	latest := map[int]int{}
	for j := range events {
		c, ok := events[j].Event.(Correcting)
		if !ok {
			continue
		}
		if pos == nil {
			pos = IndexStamped(events)
		}
		t, found := pos[c.Corrects()]
		if !found || t == j {
			continue
		}
		body, ok := c.CorrectedBody()
		if !ok {
			continue
		}
		latest[t] = j
		setBody(events, pos, latest, t, body)
	}
	return events
}

// FoldCanonical folds events from zero with apply in the order and with the
// corrections of [Canonical].
func FoldCanonical[S any](zero S, apply func(S, Event) S, events []Stamped) S {
	s := zero
	for _, e := range Canonical(events) {
		s = apply(s, e.Event)
	}
	return s
}

// setBody gives events[k] body b and, while the event it replaces a body
// of is itself a correction that is the latest word on its target,
// carries the change down the chain.
func setBody(events []Stamped, pos map[string]int, latest map[int]int, k int, b Event) {
	for range len(events) {
		events[k].Event = b
		c, ok := b.(Correcting)
		if !ok {
			return
		}
		t, found := pos[c.Corrects()]
		if l, ok := latest[t]; !found || !ok || l != k {
			return
		}
		nb, ok := c.CorrectedBody()
		if !ok {
			return
		}
		k, b = t, nb
	}
}

// IndexStamped maps each event's id and "<command id>#<index>" to its
// position: how a correction's reference is found among events.
func IndexStamped(events []Stamped) map[string]int {
	pos := make(map[string]int, 2*len(events))
	for i, e := range events {
		if e.EventID != "" {
			pos[e.EventID] = i
		}
		if e.CommandID != "" {
			pos[e.CommandID+"#"+strconv.Itoa(e.Index)] = i
		}
	}
	return pos
}

// NeedsRefold reports whether folding next onto a state whose events
// reached business time lastAt would differ from the canonical fold: next
// is dated before lastAt (a late fact) or corrects an event. Only then
// must a folder that applies events as they arrive refold the aggregate
// from its history with [Canonical].
func NeedsRefold(next Stamped, lastAt time.Time) bool {
	if TimingOf(next.Event) == 0 {
		return false
	}
	if next.OccurredAt.Before(lastAt) {
		return true
	}
	if c, ok := next.Event.(Correcting); ok {
		_, has := c.CorrectedBody()
		return has
	}
	return false
}
