package projections

import (
	"cmp"
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Basis is the clock a state view cuts on. The ledger keeps two times on
// every event, and the two as-of views answer different questions; the
// difference between them is what auditors ask about. Its values are the
// "basis" of the API's state views, and its [Basis.Param] and [Basis.Flag]
// are the one name of each clock in the HTTP API and on the command line.
type Basis string

const (
	// Current is the state now: every event the read models have applied.
	Current Basis = "current"
	// Recorded is the state "as recorded at" an instant R (?as_of=,
	// --as-of): the stream prefix up to R, every event the ledger had
	// recorded at or before R and nothing it learnt later. It answers
	// "what did the ledger say then?".
	Recorded Basis = "recorded"
	// Known is the state "as now known at" an instant T (?known_at=,
	// --known-at): every event whose business time is at or before T,
	// including facts about the past (late reports, outturn revisions,
	// corrections) recorded after T. It answers "what do we now know was
	// the case then?".
	Known Basis = "known"
)

// Bases lists the as-of bases, in the order the API and the CLI name them.
var Bases = []Basis{Recorded, Known}

// Param is the HTTP query parameter that selects the basis: as_of or
// known_at (none for Current).
func (b Basis) Param() string {
	switch b {
	case Recorded:
		return "as_of"
	case Known:
		return "known_at"
	}
	return ""
}

// Flag is the command-line flag that selects the basis, without its
// dashes: as-of or known-at (none for Current).
func (b Basis) Flag() string {
	switch b {
	case Recorded:
		return "as-of"
	case Known:
		return "known-at"
	}
	return ""
}

// Clock names the time an event is cut on: recorded time or business time.
func (b Basis) Clock() string {
	switch b {
	case Recorded:
		return "recorded time"
	case Known:
		return "business time"
	}
	return ""
}

// Phrase is how the view reads in prose: "as recorded at", "as now known
// at" (followed by the instant).
func (b Basis) Phrase() string {
	switch b {
	case Recorded:
		return "as recorded at"
	case Known:
		return "as now known at"
	}
	return "now"
}

// Valid reports whether b is one of [Current], [Recorded] and [Known].
func (b Basis) Valid() bool { return b == Current || b == Recorded || b == Known }

// AsOf is the point a state view shows: the current state (the zero value)
// or the state at an instant on a [Basis].
type AsOf struct {
	Basis Basis
	At    time.Time
}

// basis is a's basis, Current for the zero value.
func (a AsOf) basis() Basis {
	if a.Basis == "" {
		return Current
	}
	return a.Basis
}

// String reads as prose: "as now known at 2009-03-31T23:59:59Z", or "now".
func (a AsOf) String() string {
	if b := a.basis(); b != Current {
		return b.Phrase() + " " + a.At.Format(time.RFC3339)
	}
	return "now"
}

// counts reports whether an event counts at a.
func (a AsOf) counts(e *Entry) bool {
	switch a.basis() {
	case Recorded:
		return !e.RecordedAt.After(a.At)
	case Known:
		return !e.OccurredAt.After(a.At)
	}
	return true
}

// eventsAt returns the aggregate's events that count at the point, in the
// canonical order every fold uses ([domain.Canonical]): business time,
// then stream sequence, then position in the commit. Both as-of bases and
// the current state fold in that order; the basis only chooses which
// events count. It differs from aggregate-version order only where a late
// fact or a correction is present. Events that declare no timing (the
// catalogue's) stay in version order. latest is the aggregate's highest
// version the timelines hold, counted or not.
func (t *Timelines) eventsAt(a eventstore.Aggregate, at AsOf) (events []Entry, latest uint64) {
	t.mu.RLock()
	var list, pending []int32
	if ix := t.byAgg[a]; ix != nil {
		list, pending = ix.list, ix.pending
	}
	for _, part := range [...][]int32{list, pending} {
		for _, x := range part {
			e := t.entries.at(x)
			latest = max(latest, e.AggregateVersion)
			if at.counts(e) {
				events = append(events, *e)
			}
		}
	}
	t.mu.RUnlock()
	if len(events) > 0 && registry.EventTiming(events[0].Type) != 0 {
		slices.SortFunc(events, func(x, y Entry) int { return x.key().cmp(y.key()) })
	} else {
		slices.SortFunc(events, func(x, y Entry) int { return cmp.Compare(x.AggregateVersion, y.AggregateVersion) })
	}
	return events, latest
}

// DecodeEntry rebuilds the domain event an entry holds.
func DecodeEntry(e *Entry) (domain.Event, error) {
	s := e.stored()
	st, err := s.Stamp()
	return st.Event, err
}

// stored is what the domain reads of the entry to rebuild and stamp its
// event.
func (e *Entry) stored() registry.Stored {
	return registry.Stored{
		Aggregate: e.Aggregate(), AggregateVersion: e.AggregateVersion,
		Type: e.Type, SchemaVersion: e.SchemaVersion, Data: e.Data,
		EventID: e.EventID, CommandID: e.CommandID, Sequence: e.Sequence, Index: e.Index, OccurredAt: e.OccurredAt,
	}
}
