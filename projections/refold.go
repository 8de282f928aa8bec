package projections

import (
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// refoldLog is what a [Refolder] keeps to tell an event it can fold on
// top of an aggregate's state from one that changes the aggregate's past:
// the latest business time folded for each aggregate, under the key the
// model files its states by, and the aggregates Apply left for a refold.
// The model's lock guards it.
type refoldLog[K comparable] struct {
	lastAt  map[K]time.Time
	pending []eventstore.Aggregate
}

func (r *refoldLog[K]) reset() {
	r.lastAt = map[K]time.Time{}
	r.pending = nil
}

// admit reports whether ev, an event of agg (filed under k) that
// happened at business time at, folds on top of the state. It does not
// when agg already waits for a refold, nor when ev changes agg's past
// ([domain.NeedsRefold]); agg then waits for one. An admitted event's
// time counts as folded.
func (r *refoldLog[K]) admit(agg eventstore.Aggregate, k K, ev domain.Event, at time.Time) bool {
	if slices.Contains(r.pending, agg) {
		return false
	}
	if domain.NeedsRefold(domain.Stamped{Event: ev, OccurredAt: at}, r.lastAt[k]) {
		r.pending = append(r.pending, agg)
		return false
	}
	if at.After(r.lastAt[k]) {
		r.lastAt[k] = at
	}
	return true
}

// take returns, and forgets, the aggregates waiting for a refold.
func (r *refoldLog[K]) take() []eventstore.Aggregate {
	out := r.pending
	r.pending = nil
	return out
}
