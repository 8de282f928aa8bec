package projections

import (
	"io"

	"github.com/laaledger/laaledger/eventstore"
)

// ReadModel is one projection of the ledger.
//
// Concurrency contract: the [Runner] calls Reset, Apply, WriteSnapshot and
// ReadSnapshot from one goroutine at a time, never concurrently with each
// other. Queries, on the other hand, arrive from any goroutine at any time,
// so a read model guards its state with its own lock. Apply must leave the
// state unchanged when it returns an error.
type ReadModel interface {
	// Name identifies the model in the snapshot file; it never changes.
	Name() string
	// Version is the version of the model's code. Raise it whenever Apply
	// or the state's shape changes: a snapshot taken by another version is
	// discarded and the model is rebuilt from sequence 1.
	Version() int
	// Reset empties the state, as before sequence 1.
	Reset()
	// Apply folds one commit into the state. Commits arrive in stream
	// order, each exactly once.
	Apply(c *eventstore.Commit) error
	// WriteSnapshot writes the whole state.
	WriteSnapshot(w io.Writer) error
	// ReadSnapshot replaces the state with one written by WriteSnapshot of
	// the same Version.
	ReadSnapshot(r io.Reader) error
}

// AggregateRebuilder is a read model that can refold one aggregate on its
// own, for [Runner.RebuildAggregate].
type AggregateRebuilder interface {
	ReadModel
	// RebuildAggregate replaces all the model holds about agg with what
	// the events give: the aggregate's events in version order, none
	// beyond the model's position. Same concurrency contract as Apply.
	RebuildAggregate(agg eventstore.Aggregate, events []eventstore.Envelope) error
}

// Refolder is an [AggregateRebuilder] whose Apply may meet an event that
// changes an aggregate's past: a fact dated before events already folded,
// or a correction ([domain.NeedsRefold]). Folding it on top would differ
// from the canonical fold ([domain.Canonical]), so Apply leaves that
// aggregate as it was and names it; the runner then reads the
// aggregate's history and hands it to RebuildAggregate before the commit
// counts as applied.
type Refolder interface {
	AggregateRebuilder
	// TakeRefolds returns, and forgets, the aggregates Apply left for a
	// refold. Same concurrency contract as Apply.
	TakeRefolds() []eventstore.Aggregate
}
