// Package service is the application service of the ledger: it loads an
// aggregate, asks the pure domain to decide on a command, and appends the
// resulting events with the version the decision saw and the command's id.
// It is the only part of the domain tree that does I/O, and it does all of it
// through the event store.
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Kind tells the service how to fold and decide for one aggregate kind.
type Kind struct {
	// Zero returns the state of an aggregate with no events.
	Zero func() any
	// Apply folds one event into the state and returns the new state. It
	// must not modify the state it is given in place if that state may be
	// shared (the service keeps folded states in a cache).
	Apply func(state any, e domain.Event) any
	// TimeOrdered refuses a command dated before the aggregate's latest
	// event, for kinds whose events do not carry their own business time
	// (the area and organisational assessments): their lifecycle order
	// must hold in business time too, or an as-now-known view could show a
	// publication before its pre-publication report. The agreement checks
	// this in the domain itself (laa.time_order).
	TimeOrdered bool
	// Decide is the domain's decision. env gives it the read views it may
	// consult (catalogue, CAA flags), built without I/O in the domain.
	Decide func(ctx context.Context, env Env, state any, m domain.Meta, cmd domain.Command) ([]domain.Event, error)
}

// Env lets a decision reach other aggregates' state through the service:
// the domain stays pure, the service does the reading.
type Env interface {
	// State returns the folded state of another aggregate (version 0 if it
	// has no events).
	State(ctx context.Context, ref domain.AggregateRef) (any, uint64, error)
}

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
	store   *eventstore.Store
	kinds   map[string]Kind
	retries int

	mu     sync.Mutex
	states map[domain.AggregateRef]folded
}

type folded struct {
	version uint64
	state   any
}

// MaxRetries is how many times a command is re-decided after losing a race
// to another writer before the conflict is returned.
const MaxRetries = 3

// New returns a service over the store for the given kinds.
func New(store *eventstore.Store, kinds map[string]Kind) *Service {
	return &Service{store: store, kinds: kinds, retries: MaxRetries, states: map[domain.AggregateRef]folded{}}
}

// Execute decides the command against the aggregate's current state and
// appends the events. If expected is non-nil the caller insists on that
// version (HTTP If-Match): a different version is a conflict, never retried.
// Otherwise a lost race reloads and re-decides up to MaxRetries times.
//
// Errors: *domain.Error (the rules refused it), *eventstore.ConflictError,
// eventstore.ErrDuplicate, ErrInvalid, ErrUnavailable.
func (s *Service) Execute(ctx context.Context, m domain.Meta, cmd domain.Command, expected *uint64) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	ref := cmd.Aggregate()
	kind, ok := s.kinds[ref.Kind]
	if !ok {
		return Result{}, domain.Errorf(domain.EINVALID, "command.unknown_kind", "command %s is for unknown aggregate kind %q", cmd.CommandType(), ref.Kind)
	}
	agg := StoreAggregate(ref)
	// A command id the aggregate already holds gets its original answer,
	// whatever the aggregate's state is now.
	fp, err := fingerprint(m, cmd)
	if err != nil {
		return Result{}, err
	}
	if res, ok, err := s.earlier(ctx, ref, m, cmd, fp); ok || err != nil {
		return res, err
	}
	for attempt := 0; ; attempt++ {
		state, h, err := s.load(ctx, ref)
		if err != nil {
			return Result{}, err
		}
		version := h.Version
		if expected != nil && *expected != version {
			return Result{}, &eventstore.ConflictError{Aggregate: agg, Expected: *expected, Actual: version}
		}

		events, err := kind.Decide(ctx, s, state, m, cmd)
		if err == nil && kind.TimeOrdered {
			// After the decision, so that who may act is answered first.
			err = checkTimeOrder(h, m, cmd)
		}
		if err == nil {
			err = checkCorrection(h, cmd)
		}
		if err != nil {
			// A twin of this very command may have been appended between the
			// check above and this decision: then its result stands.
			if res, ok, lerr := s.earlier(ctx, ref, m, cmd, fp); ok || lerr != nil {
				return res, lerr
			}
			return Result{}, err
		}
		if len(events) == 0 {
			// Accepted, and nothing to record (an import that is already
			// in the catalogue).
			return Result{Aggregate: ref, LastVersion: version}, nil
		}
		res, err := s.append(ctx, agg, version, m, events, fp)
		if errors.Is(err, eventstore.ErrConflict) && expected == nil && attempt < s.retries {
			continue
		}
		if errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrDuplicate) {
			if res, ok, lerr := s.earlier(ctx, ref, m, cmd, fp); ok || lerr != nil {
				return res, lerr
			}
		}
		return res, err
	}
}

// checkTimeOrder refuses a command dated before the aggregate's latest
// event.
func checkTimeOrder(h eventstore.History, m domain.Meta, cmd domain.Command) error {
	if len(h.Events) == 0 {
		return nil
	}
	agg := h.Aggregate
	last := h.Events[len(h.Events)-1].OccurredAt
	if m.OccurredAt.Before(last) {
		return domain.Errorf(domain.ECONFLICT, agg.Kind+".time_order",
			"%s dated %s is before the latest event of %s (%s); an assessment's history is recorded in business-time order",
			cmd.CommandType(), m.OccurredAt.UTC().Format(time.RFC3339), agg, last.UTC().Format(time.RFC3339))
	}
	return nil
}

// earlier returns the stored result of this command if the aggregate
// already holds its command id, and ErrDuplicate if the id was used for a
// different command. Commits stored without a fingerprint are matched on
// their actor: an id is never answered for someone else.
func (s *Service) earlier(ctx context.Context, ref domain.AggregateRef, m domain.Meta, cmd domain.Command, fp string) (Result, bool, error) {
	res, ok, err := s.store.Appended(ctx, StoreAggregate(ref), m.CommandID)
	if err != nil || !ok {
		return Result{}, false, err
	}
	same := res.Fingerprint == fp
	if res.Fingerprint == "" && len(res.Events) > 0 {
		a := res.Events[0].Actor
		same = a.ID == m.Actor.ID && a.Role == string(m.Actor.Role) && a.Organisation == m.Actor.Organisation
	}
	if !same {
		return Result{}, true, fmt.Errorf("%s on %s: %w: command id %s was already used for a different command (stream sequence %d)",
			cmd.CommandType(), ref, eventstore.ErrDuplicate, m.CommandID, res.Sequence)
	}
	return resultOf(ref, res), true, nil
}

func resultOf(ref domain.AggregateRef, res eventstore.AppendResult) Result {
	return Result{Aggregate: ref, Sequence: res.Sequence, FirstVersion: res.FirstVersion, LastVersion: res.LastVersion,
		Duplicate: res.Duplicate, Events: res.Events}
}

func (s *Service) append(ctx context.Context, agg eventstore.Aggregate, version uint64, m domain.Meta, events []domain.Event, fp string) (Result, error) {
	out := make([]eventstore.Event, len(events))
	for i, e := range events {
		typ, v, data, err := domain.EncodeEvent(e)
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
	res, err := s.store.Append(ctx, agg, version, out, m.CommandID, eventstore.WithFingerprint(fp))
	if err != nil {
		return Result{}, err
	}
	return resultOf(DomainRef(agg), res), nil
}

// State returns the aggregate's folded state and version, folding only the
// events the service has not folded before.
func (s *Service) State(ctx context.Context, ref domain.AggregateRef) (any, uint64, error) {
	state, h, err := s.load(ctx, ref)
	return state, h.Version, err
}

// load returns the aggregate's folded state and the history it was folded
// from, so that a decision and the checks around it see the same events.
func (s *Service) load(ctx context.Context, ref domain.AggregateRef) (any, eventstore.History, error) {
	kind, ok := s.kinds[ref.Kind]
	if !ok {
		return nil, eventstore.History{}, domain.Errorf(domain.EINVALID, "aggregate.unknown_kind", "unknown aggregate kind %q", ref.Kind)
	}
	h, err := s.store.Load(ctx, StoreAggregate(ref))
	if err != nil {
		return nil, h, err
	}
	s.mu.Lock()
	f, ok := s.states[ref]
	s.mu.Unlock()
	if !ok || f.version > h.Version {
		f = folded{state: kind.Zero()}
	}
	for _, env := range h.Events[f.version:] {
		e, err := domain.DecodeEvent(env.Type, env.SchemaVersion, env.Data)
		if err != nil {
			return nil, h, fmt.Errorf("fold %s at version %d: %w", ref, env.AggregateVersion, err)
		}
		f.state = kind.Apply(f.state, e)
		f.version = env.AggregateVersion
	}
	s.mu.Lock()
	if cur, ok := s.states[ref]; !ok || cur.version < f.version {
		s.states[ref] = f
	}
	s.mu.Unlock()
	return f.state, h, nil
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
