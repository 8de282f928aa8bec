package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore"
)

// Folded states and their snapshots.
//
// A decision needs its aggregate's folded state, not its events. The
// service keeps the states it folded (a bounded number per kind), and
// saves each aggregate's state in the event store as a snapshot
// ([eventstore.Store.SaveSnapshot]) once SnapshotEvery events have followed
// the last one. The store keeps the snapshot beside the ledger with the
// aggregate's command index, checks it against the stream's hash chain
// before using it, and afterwards hands the service only the snapshot and
// the events after it. An aggregate the service no longer holds, or one
// that a restart or the store's bounded cache made cold, is therefore
// folded from the snapshot and at most about SnapshotEvery events: its
// cost no longer grows with its history.
//
// The snapshot lives in the store, not here, because the store must keep
// the command ids of the events it covers (a command id is recognised for
// ever) and must be able to verify it against the chain; state and index
// are written together and so always agree on their version. The service
// owns only the bytes of the state: gob, preceded by a signature of the
// state's Go type and [FoldVersion], so that a snapshot made by code whose
// state or fold differs is not decoded but ignored (the aggregate is then
// folded from its whole history, and the next snapshot replaces it).

// SnapshotEvery is the default number of events after which an
// aggregate's folded state is saved as its new snapshot.
const SnapshotEvery = 128

// MaxFolded is the default bound on the folded states kept per kind.
const MaxFolded = 4096

// FoldVersion names the meaning of the folds. Change it whenever a fold
// changes what it makes of an event without changing the state's type:
// every stored snapshot is then ignored and refolded.
const FoldVersion = 2

type states[S any] struct {
	kind   KindOf[S]
	sig    [sha256.Size]byte
	mu     sync.Mutex
	folded map[domain.AggregateRef]folded[S]
}

type folded[S any] struct {
	version uint64
	state   S
	// lastAt is the latest business time among the events folded: an
	// event dated before it, or a correction, changes the past, and the
	// state is then refolded in the canonical order ([domain.Canonical]).
	lastAt time.Time
}

// fold returns the state of h's aggregate at h's version, folding only the
// events it has not folded before, and saves a snapshot when the events
// after the last one reach svc.snapshotEvery.
func (st *states[S]) fold(ctx context.Context, svc *Service, h eventstore.History) (S, error) {
	ref := DomainRef(h.Aggregate)
	var zero S
	st.mu.Lock()
	f, ok := st.folded[ref]
	st.mu.Unlock()
	events := h.Events
	switch {
	case ok && f.version <= h.Version && f.version >= h.Base:
		events = h.Events[f.version-h.Base:]
	case h.Base == 0:
		f = folded[S]{}
	default:
		s, lastAt, err := st.decode(h.BaseState)
		if err == nil {
			f = folded[S]{version: h.Base, state: s, lastAt: lastAt}
			break
		}
		// A snapshot of other code: fold the whole history.
		full, err := st.history(ctx, svc, h)
		if err != nil {
			return zero, err
		}
		if f, err = st.refold(full); err != nil {
			return zero, err
		}
		events = nil
	}
	f, err := st.apply(ref, f, events)
	if errors.Is(err, errRefold) {
		// A late fact or a correction (the rare path): refold the whole
		// history in the canonical order.
		full, herr := st.history(ctx, svc, h)
		if herr != nil {
			return zero, herr
		}
		f, err = st.refold(full)
	}
	if err != nil {
		return zero, err
	}
	st.mu.Lock()
	if cur, ok := st.folded[ref]; !ok || cur.version < f.version {
		if !ok && len(st.folded) >= svc.maxFolded {
			for k := range st.folded { // any one: the store holds them all
				delete(st.folded, k)
				break
			}
		}
		st.folded[ref] = f
	}
	st.mu.Unlock()
	if f.version-h.Base >= svc.snapshotEvery {
		// A snapshot is an optimisation: one that fails to be written
		// leaves the previous one, and the next decision tries again.
		if b, err := st.encode(f); err == nil {
			_ = svc.store.SaveSnapshot(ctx, h.Aggregate, f.version, b)
		}
	}
	return f.state, nil
}

// errRefold stops an incremental fold at an event that changes the past.
var errRefold = errors.New("refold")

// apply folds events onto f as they come (the common path: acts and
// facts dated no earlier than what f holds), or returns errRefold at the
// first event that would make that differ from the canonical fold.
func (st *states[S]) apply(ref domain.AggregateRef, f folded[S], events []eventstore.Envelope) (folded[S], error) {
	for i := range events {
		env := &events[i]
		e, err := registry.DecodeEvent(env.Type, env.SchemaVersion, env.Data)
		if err != nil {
			return f, fmt.Errorf("fold %s at version %d: %w", ref, env.AggregateVersion, err)
		}
		if domain.NeedsRefold(domain.Stamped{Event: e, OccurredAt: env.OccurredAt}, f.lastAt) {
			return f, errRefold
		}
		f.state = st.kind.Fold(f.state, e)
		f.version = env.AggregateVersion
		if env.OccurredAt.After(f.lastAt) {
			f.lastAt = env.OccurredAt
		}
	}
	return f, nil
}

// history returns every event of h's aggregate up to h's version, read
// from the stream when h starts at a snapshot.
func (st *states[S]) history(ctx context.Context, svc *Service, h eventstore.History) ([]eventstore.Envelope, error) {
	if h.Base == 0 {
		return h.Events, nil
	}
	full, err := svc.store.LoadFresh(ctx, h.Aggregate)
	if err != nil {
		return nil, err
	}
	if full.Version < h.Version {
		return nil, fmt.Errorf("fold %s: the stream holds %d events, the cache %d", DomainRef(h.Aggregate), full.Version, h.Version)
	}
	return full.Events[:h.Version], nil
}

// refold folds a whole history in the canonical order.
func (st *states[S]) refold(events []eventstore.Envelope) (folded[S], error) {
	stamped, err := Stamp(events)
	if err != nil {
		return folded[S]{}, err
	}
	var f folded[S]
	for _, e := range domain.Canonical(stamped) {
		f.state = st.kind.Fold(f.state, e.Event)
		if e.OccurredAt.After(f.lastAt) {
			f.lastAt = e.OccurredAt
		}
	}
	if n := len(events); n > 0 {
		f.version = events[n-1].AggregateVersion
	}
	return f, nil
}

// Stamp decodes stored events (one aggregate's, in stream order) into
// what [domain.Canonical] orders: each event with its id, command,
// sequence, position in its commit and business time.
func Stamp(events []eventstore.Envelope) ([]domain.Stamped, error) {
	return registry.Stamp(len(events), func(i int) registry.Stored {
		env := &events[i]
		return registry.Stored{
			Aggregate: env.Aggregate(), AggregateVersion: env.AggregateVersion,
			Type: env.Type, SchemaVersion: env.SchemaVersion, Data: env.Data,
			EventID: env.EventID, CommandID: env.CommandID, Sequence: env.Sequence,
			Index: eventstore.IndexInCommit(events, i), OccurredAt: env.OccurredAt,
		}
	})
}

// snapshotBody is what a snapshot holds after the signature: the state
// and the latest business time folded into it.
type snapshotBody[S any] struct {
	State  S
	LastAt time.Time
}

func (st *states[S]) encode(f folded[S]) ([]byte, error) {
	var b bytes.Buffer
	b.Write(st.sig[:])
	if err := gob.NewEncoder(&b).Encode(&snapshotBody[S]{State: f.state, LastAt: f.lastAt}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (st *states[S]) decode(data []byte) (S, time.Time, error) {
	var body snapshotBody[S]
	if len(data) < len(st.sig) || !bytes.Equal(data[:len(st.sig)], st.sig[:]) {
		return body.State, time.Time{}, fmt.Errorf("snapshot of another state type or fold version")
	}
	err := gob.NewDecoder(bytes.NewReader(data[len(st.sig):])).Decode(&body)
	return body.State, body.LastAt, err
}

// stateSignature digests S's Go type, field by field, with FoldVersion.
func stateSignature[S any]() [sha256.Size]byte {
	var b strings.Builder
	fmt.Fprintf(&b, "fold %d;", FoldVersion)
	describeType(&b, reflect.TypeFor[S](), map[reflect.Type]bool{})
	return sha256.Sum256([]byte(b.String()))
}

func describeType(b *strings.Builder, t reflect.Type, seen map[reflect.Type]bool) {
	fmt.Fprintf(b, "%s.%s:%s", t.PkgPath(), t.Name(), t.Kind())
	if seen[t] {
		return
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Struct:
		b.WriteString("{")
		for i := range t.NumField() {
			f := t.Field(i)
			fmt.Fprintf(b, "%s ", f.Name)
			describeType(b, f.Type, seen)
			b.WriteString(";")
		}
		b.WriteString("}")
	case reflect.Map:
		b.WriteString("[")
		describeType(b, t.Key(), seen)
		b.WriteString("]")
		describeType(b, t.Elem(), seen)
	case reflect.Slice, reflect.Array, reflect.Pointer:
		b.WriteString("[]")
		describeType(b, t.Elem(), seen)
	}
}

// recorded is the domain's view of a stored history: the events after the
// snapshot from the store's cache, the event at the snapshot beside it,
// and older ones read from the stream only if a decision asks for them (a
// correction naming an event). A failed read is kept in err; the decision
// made while it stood is discarded.
type recorded struct {
	ctx   context.Context
	store Store
	h     eventstore.History
	full  []eventstore.Envelope
	err   error
}

func (r *recorded) Len() int { return int(r.h.Version) }

func (r *recorded) At(i int) domain.Recorded {
	var e *eventstore.Envelope
	switch base := int(r.h.Base); {
	case i >= base:
		e = &r.h.Events[i-base]
	case i == base-1 && r.h.BaseLast != nil:
		e = r.h.BaseLast
	default:
		if r.full == nil && r.err == nil {
			full, err := r.store.LoadFresh(r.ctx, r.h.Aggregate)
			switch {
			case err != nil:
				r.err = err
			case len(full.Events) < base:
				r.err = fmt.Errorf("history of %s: the stream holds %d events, the snapshot %d", r.h.Aggregate, len(full.Events), base)
			default:
				r.full = full.Events
			}
		}
		if r.err != nil {
			return domain.Recorded{}
		}
		e = &r.full[i]
	}
	return domain.Recorded{EventID: e.EventID, CommandID: e.CommandID, Type: e.Type, Timing: registry.EventTiming(e.Type),
		OccurredAt: e.OccurredAt, Data: e.Data}
}
