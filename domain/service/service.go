// Package service is the application service of the ledger. For each
// command it makes one call to the event store to load the aggregate (from
// the store's cache), asks the pure domain to decide, and makes one call to
// append the events with the version the decision saw and the command's
// id. Every rule is the domain's; recognising a retried command id is the
// store's. The service folds states ([KindOf]), gives decisions what they
// need of other aggregates ([Env]), makes the decisions on each aggregate
// one at a time within the process, and retries a race lost to another
// process.
//
// It is the only part of the domain tree that does I/O, and it does all of
// it through [Store]. It must not import the read side (projections) or any
// front end.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Store is what the service needs of the event store; *eventstore.Store
// is one. The service calls it concurrently, from every Execute at once.
type Store interface {
	// LoadFor returns, in one look at the store's cache, the history of
	// the aggregate a command is for and, if the aggregate already holds
	// the command id, the command's original result (History.Appended), or
	// ErrDuplicate when the id was used for another command. opts say what
	// the same command is: [eventstore.WithFingerprint] and
	// [eventstore.WithActor].
	LoadFor(ctx context.Context, agg eventstore.Aggregate, commandID string, opts ...eventstore.AppendOption) (eventstore.History, error)
	// Load returns an aggregate's history: what a decision consults of
	// other aggregates (the catalogue, CAA flags) and [Service.State].
	Load(ctx context.Context, agg eventstore.Aggregate) (eventstore.History, error)
	// LoadFresh returns an aggregate's whole history from the stream: what
	// a decision reads of events older than the snapshot (a correction
	// naming one).
	LoadFresh(ctx context.Context, agg eventstore.Aggregate) (eventstore.History, error)
	// SaveSnapshot records the service's folded state of an aggregate at
	// a version; later loads start from it ([eventstore.History].Base).
	SaveSnapshot(ctx context.Context, agg eventstore.Aggregate, version uint64, state []byte) error
	// Append stores a command's events if the aggregate is still at
	// expectedVersion (else *eventstore.ConflictError), answering a command
	// id the aggregate holds as LoadFor does.
	Append(ctx context.Context, agg eventstore.Aggregate, expectedVersion uint64, events []eventstore.Event, commandID string, opts ...eventstore.AppendOption) (eventstore.AppendResult, error)
}

var _ Store = (*eventstore.Store)(nil)

// Result is what an executed command produced.
type Result struct {
	Aggregate    domain.AggregateRef   `json:"aggregate"`
	Sequence     uint64                `json:"sequence"`
	FirstVersion uint64                `json:"first_version"`
	LastVersion  uint64                `json:"last_version"`
	Duplicate    bool                  `json:"duplicate"`
	Events       []eventstore.Envelope `json:"events"`
}

// Service executes commands. It is safe for concurrent use.
type Service struct {
	store   Store
	kinds   map[string]kindStates
	retries int
	// snapshotEvery is how many events after its snapshot an aggregate
	// may reach before the service saves a new one.
	snapshotEvery uint64
	// maxFolded bounds the folded states kept per kind.
	maxFolded int
	// now is the service's clock: when the ledger records a command.
	now func() time.Time
	// deciding serialises the decisions on each aggregate.
	deciding aggLocks
}

// Option adjusts a [Service].
type Option func(*Service)

// WithSnapshotEvery makes the service save an aggregate's folded state
// as its snapshot once n events follow the last one (default
// [SnapshotEvery]). A cold aggregate is then read as its snapshot and
// fewer than about n events.
func WithSnapshotEvery(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.snapshotEvery = uint64(n)
		}
	}
}

// WithFoldedStates bounds the folded states the service keeps in memory
// per aggregate kind (default [MaxFolded]).
func WithFoldedStates(n int) Option {
	return func(s *Service) {
		if n > 0 {
			s.maxFolded = n
		}
	}
}

// WithClock makes the service read the time a command is recorded from
// now instead of the system clock (a test's fixed time).
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// MaxRetries is how many times a command is re-decided after losing a race
// to another writer before the conflict is returned.
const MaxRetries = 3

// New returns a service over the store for the given kinds.
func New(store Store, kinds map[string]Kind, opts ...Option) *Service {
	s := &Service{store: store, kinds: make(map[string]kindStates, len(kinds)), retries: MaxRetries,
		snapshotEvery: SnapshotEvery, maxFolded: MaxFolded, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	for name, k := range kinds {
		s.kinds[name] = k.bind()
	}
	return s
}

// Execute decides the command against the aggregate's current state and
// appends the events: load (one call to the store, answered from its
// cache), decide (the domain, pure), append. A command id the aggregate
// already holds gets its original answer, whatever the aggregate's state is
// now; the store recognises it (see [Store]).
//
// Decisions on one aggregate are made one at a time within the service
// (load, decide, append under a per-aggregate lock), so writers in one
// process never race each other. If expected is non-nil the caller insists
// on that version (HTTP If-Match): a different version is a conflict,
// never retried. Otherwise a race lost to another process reloads and
// re-decides up to MaxRetries times.
//
// Errors: *domain.Error (the rules refused it), *eventstore.ConflictError,
// eventstore.ErrDuplicate, ErrInvalid, ErrUnavailable.
func (s *Service) Execute(ctx context.Context, m domain.Meta, cmd domain.Command, expected *uint64) (Result, error) {
	// The ledger records the command now: nothing it carries may be dated
	// later (see domain.Meta.RecordedAt).
	m.RecordedAt = s.now()
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	ref := cmd.Aggregate()
	kind, ok := s.kinds[ref.Kind]
	if !ok {
		return Result{}, domain.Errorf(domain.EINVALID, "command.unknown_kind", "command %s is for unknown aggregate kind %q", cmd.CommandType(), ref.Kind)
	}
	agg := StoreAggregate(ref)
	fp, err := fingerprint(m, cmd)
	if err != nil {
		return Result{}, err
	}
	// A retry carries the same fingerprint; a command stored without one
	// is answered only to its own actor.
	same := []eventstore.AppendOption{
		eventstore.WithFingerprint(fp),
		eventstore.WithActor(eventstore.Actor{ID: m.Actor.ID, Role: string(m.Actor.Role), Organisation: m.Actor.Organisation}),
	}
	// The actor register is read before the aggregate, so that reading it
	// cannot push the aggregate out of a small cache between its load and
	// the append.
	refused := s.checkActor(ctx, ref, m.Actor)
	// One decision per aggregate at a time in this process: a command
	// decided while another on the same aggregate was between its load and
	// its append would lose the race at the append and be decided again.
	// Other processes are still kept honest by the store's expected
	// version.
	unlock, err := s.deciding.lock(ctx, ref)
	if err != nil {
		return Result{}, fmt.Errorf("%w: waiting for the decision before this one on %s: %v", eventstore.ErrUnavailable, ref, err)
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		h, err := s.store.LoadFor(ctx, agg, m.CommandID, same...)
		if err != nil {
			return Result{}, err
		}
		if h.Appended != nil {
			return resultOf(ref, *h.Appended), nil
		}
		if refused != nil {
			// A command the ledger already holds keeps its original
			// answer; a new one from an actor the register does not
			// allow is refused.
			return Result{}, refused
		}
		if expected != nil && *expected > h.Version {
			// The caller has seen a later version than this process holds:
			// another process appended. Read the aggregate from the stream
			// rather than refuse on a stale cache; Append reloads too.
			fresh, err := s.store.LoadFresh(ctx, agg)
			if err != nil {
				return Result{}, err
			}
			h = fresh
		}
		if expected != nil && *expected != h.Version {
			return Result{}, &eventstore.ConflictError{Aggregate: agg, Expected: *expected, Actual: h.Version}
		}
		events, err := kind.decide(ctx, s, h, m, cmd)
		if err != nil {
			return Result{}, err
		}
		if len(events) == 0 {
			// Accepted, and nothing to record (an import that is already
			// in the catalogue).
			return Result{Aggregate: ref, LastVersion: h.Version}, nil
		}
		res, err := s.append(ctx, agg, h.Version, m, events, same)
		if errors.Is(err, eventstore.ErrConflict) && expected == nil && attempt < s.retries {
			continue
		}
		return res, err
	}
}

func resultOf(ref domain.AggregateRef, res eventstore.AppendResult) Result {
	return Result{Aggregate: ref, Sequence: res.Sequence, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion,
		Duplicate: res.Duplicate, Events: res.Events}
}

func (s *Service) append(ctx context.Context, agg eventstore.Aggregate, version uint64, m domain.Meta, events []domain.Event, opts []eventstore.AppendOption) (Result, error) {
	out := make([]eventstore.Event, len(events))
	for i, e := range events {
		typ, v, data, err := registry.EncodeEvent(e)
		if err != nil {
			return Result{}, err
		}
		out[i] = eventstore.Event{
			Type: typ, SchemaVersion: v, Data: data,
			Actor:  eventstore.Actor{ID: m.Actor.ID, Role: string(m.Actor.Role), Organisation: m.Actor.Organisation},
			Reason: m.Reason, Evidence: m.Evidence, CausationID: m.CausationID, CorrelationID: m.CorrelationID,
			OccurredAt: m.OccurredAt,
		}
	}
	res, err := s.store.Append(ctx, agg, version, out, m.CommandID, opts...)
	if err != nil {
		return Result{}, err
	}
	return resultOf(DomainRef(agg), res), nil
}

// State returns the aggregate's folded state and version, folding only the
// events the service has not folded before.
func (s *Service) State(ctx context.Context, ref domain.AggregateRef) (any, uint64, error) {
	kind, ok := s.kinds[ref.Kind]
	if !ok {
		return nil, 0, domain.Errorf(domain.EINVALID, "aggregate.unknown_kind", "unknown aggregate kind %q", ref.Kind)
	}
	h, err := s.store.Load(ctx, StoreAggregate(ref))
	if err != nil {
		return nil, 0, err
	}
	st, err := kind.state(ctx, s, h)
	return st, h.Version, err
}

// fingerprint identifies a command's content: its type and body and the
// metadata that travels onto its events, except the correlation id, which
// belongs to the request (a retry may come with a new one). A retry carries
// the same fingerprint; a command id reused for anything else does not.
func fingerprint(m domain.Meta, cmd domain.Command) (string, error) {
	body, err := json.Marshal(struct {
		Type        string         `json:"type"`
		Command     domain.Command `json:"command"`
		Actor       domain.Actor   `json:"actor"`
		OccurredAt  string         `json:"occurred_at"`
		Reason      string         `json:"reason"`
		Evidence    []string       `json:"evidence"`
		CausationID string         `json:"causation_id"`
	}{cmd.CommandType(), cmd, m.Actor, m.OccurredAt.UTC().Format(time.RFC3339Nano), m.Reason, m.Evidence, m.CausationID})
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", cmd.CommandType(), err)
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}
