package projections

import (
	"fmt"
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Basis is the clock an as-of view cuts on. The two answer different
// questions, and the difference between them is what auditors ask about.
type Basis int

const (
	// AsRecorded is what the ledger held at the instant: every event
	// recorded at or before it, nothing learnt later.
	AsRecorded Basis = iota + 1
	// AsKnownNow is what is now known to have been the case at the instant:
	// every event whose business time is at or before it, including those
	// (late reports, corrections) recorded afterwards.
	AsKnownNow
)

func (b Basis) String() string {
	switch b {
	case AsRecorded:
		return "as recorded"
	case AsKnownNow:
		return "as now known"
	}
	return fmt.Sprintf("basis(%d)", int(b))
}

// EventsAt returns the aggregate's events that count at the instant on the
// given basis, in aggregate-version order: the order in which the domain
// decided them, and so the order its fold expects.
func (t *Timelines) EventsAt(a eventstore.Aggregate, at time.Time, basis Basis) ([]Entry, error) {
	if basis != AsRecorded && basis != AsKnownNow {
		return nil, invalidf("as-of basis %d: want as recorded or as now known", int(basis))
	}
	t.mu.RLock()
	var out []Entry
	var list, pending []int32
	if ix := t.byAgg[a]; ix != nil {
		list, pending = ix.list, ix.pending
	}
	for _, part := range [...][]int32{list, pending} {
		for _, x := range part {
			e := t.entries.at(x)
			when := e.OccurredAt
			if basis == AsRecorded {
				when = e.RecordedAt
			}
			if !when.After(at) {
				out = append(out, *e)
			}
		}
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(x, y Entry) int { return cmpInt(x.AggregateVersion, y.AggregateVersion) })
	return out, nil
}

// StateAt folds the aggregate's events that count at the instant (see
// [Timelines.EventsAt]) with the domain's own fold, starting from zero:
//
//	a, err := StateAt(tl, ref, t, AsRecorded, domain.Agreement{}, domain.Agreement.Apply)
func StateAt[S any](t *Timelines, a eventstore.Aggregate, at time.Time, basis Basis, zero S, apply func(S, domain.Event) S) (S, error) {
	events, err := t.EventsAt(a, at, basis)
	if err != nil {
		return zero, err
	}
	s := zero
	for i := range events {
		ev, err := DecodeEntry(&events[i])
		if err != nil {
			return zero, err
		}
		s = apply(s, ev)
	}
	return s, nil
}

// DecodeEntry rebuilds the domain event an entry holds.
func DecodeEntry(e *Entry) (domain.Event, error) {
	ev, err := domain.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
	if err != nil {
		return nil, fmt.Errorf("%s version %d (sequence %d): %w", e.Aggregate(), e.AggregateVersion, e.Sequence, err)
	}
	return ev, nil
}

// AgreementAt is an agreement as it stood at the instant on the basis.
func AgreementAt(t *Timelines, id string, at time.Time, basis Basis) (domain.Agreement, error) {
	return StateAt(t, eventstore.Aggregate{Kind: domain.KindAgreement, ID: id}, at, basis, domain.Agreement{}, applyInPlace)
}

// applyInPlace folds in place a state StateAt built itself and nobody else
// has seen.
func applyInPlace(a domain.Agreement, e domain.Event) domain.Agreement {
	a.ApplyInPlace(e)
	return a
}

// AreaAssessmentAt is an area assessment ("00EB/2009") as it stood at the
// instant on the basis.
func AreaAssessmentAt(t *Timelines, id string, at time.Time, basis Basis) (domain.AreaAssessment, error) {
	return StateAt(t, eventstore.Aggregate{Kind: domain.KindAreaAssessment, ID: id}, at, basis, domain.AreaAssessment{}, domain.AreaAssessment.Apply)
}

// OrgAssessmentAt is an organisational assessment as it stood at the
// instant on the basis.
func OrgAssessmentAt(t *Timelines, id string, at time.Time, basis Basis) (domain.OrgAssessment, error) {
	return StateAt(t, eventstore.Aggregate{Kind: domain.KindOrgAssessment, ID: id}, at, basis, domain.OrgAssessment{}, domain.OrgAssessment.Apply)
}
