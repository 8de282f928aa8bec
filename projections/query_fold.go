package projections

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// kind is how the read side folds one aggregate kind: the domain's own
// pure fold, nothing of the write side's decisions.
type kind struct {
	// zero returns the state of an aggregate with no events.
	zero func() any
	// fold folds events (in the order [Timelines.eventsAt] gives, the
	// canonical order) from the zero state, with corrections substituted
	// ([domain.Canonical]), and calls each, if set, with every entry and
	// the state after it. The state each sees may be folded further in
	// place afterwards: each must not keep it.
	fold func(events []Entry, each func(e *Entry, state any) error) (any, error)
	// decode decodes a state from its JSON encoding.
	decode func(data []byte) (any, error)
	// apply folds one event into a state made by zero, clone or apply; it
	// may fold in place (the agreement's does), so it is only given states
	// the caller owns.
	apply func(state any, e domain.Event) any
	// clone returns a copy of a state that apply may fold in place
	// without changing the original.
	clone func(state any) any
	// applyChained folds one event into a state of a chain, without
	// changing what the state shows (see [registry.Fold] ApplyChained):
	// the states before and after share what the event did not change.
	applyChained func(state any, e domain.Event) any
}

// kinds is the read side's kind → fold registry: the domain's fold of
// each kind ([registry.Fold]) with what the read side does with it.
var kinds = map[string]kind{
	domain.KindAgreement:      foldWith(registry.AgreementFold),
	domain.KindAreaAssessment: foldWith(registry.AreaAssessmentFold),
	domain.KindOrgAssessment:  foldWith(registry.OrgAssessmentFold),
	domain.KindCatalogue:      foldWith(registry.CatalogueFold),
	domain.KindActors:         foldWith(registry.ActorsFold),
}

func foldWith[S any](f registry.Fold[S]) kind {
	var zero S
	apply := f.ApplyOwned
	return kind{
		applyChained: func(s any, e domain.Event) any { return f.ApplyChained(s.(S), e) },
		apply:        func(s any, e domain.Event) any { return apply(s.(S), e) },
		clone:        func(s any) any { return f.Clone(s.(S)) },
		zero:         func() any { return zero },
		fold: func(events []Entry, each func(*Entry, any) error) (any, error) {
			stamped, err := stampEntries(events)
			if err != nil {
				return nil, err
			}
			// events are in the canonical order already, so Canonical
			// keeps it and only substitutes corrected bodies.
			stamped = domain.Canonical(stamped)
			s := zero
			for i := range events {
				s = apply(s, stamped[i].Event)
				if each != nil {
					if err := each(&events[i], s); err != nil {
						return nil, err
					}
				}
			}
			return s, nil
		},
		decode: func(data []byte) (any, error) {
			var s S
			err := json.Unmarshal(data, &s)
			return s, err
		},
	}
}

// stampEntries decodes entries into what [domain.Canonical] orders.
func stampEntries(events []Entry) ([]domain.Stamped, error) {
	return registry.Stamp(len(events), func(i int) registry.Stored { return events[i].stored() })
}

// stampEnvelopes is [stampEntries] for one aggregate's stored events in
// stream order.
func stampEnvelopes(events []eventstore.Envelope) ([]domain.Stamped, error) {
	entries := make([]Entry, len(events))
	for i := range events {
		entries[i] = Entry{Envelope: events[i], Index: eventstore.IndexInCommit(events, i)}
	}
	return stampEntries(entries)
}

// Kinds lists the aggregate kinds the read side folds (laa, caa, oa, nis),
// sorted.
func Kinds() []string {
	return slices.Sorted(maps.Keys(kinds))
}

// IsKind reports whether the read side folds aggregates of the kind.
func IsKind(k string) bool {
	_, ok := kinds[k]
	return ok
}

// DecodeState decodes a state as a [StateView] encodes it into the
// domain's state type of the kind (laa.Agreement for laa, …), for a
// client of the HTTP API.
func DecodeState(k string, data []byte) (any, error) {
	kd, ok := kinds[k]
	if !ok {
		return nil, unknownKind(k)
	}
	return kd.decode(data)
}

func unknownKind(k string) error {
	return domain.Errorf(domain.ENOTFOUND, "aggregate.unknown_kind", "no aggregate kind %q", k)
}
