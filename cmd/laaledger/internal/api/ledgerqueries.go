package api

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
)

// LedgerQueries answers [Queries] straight from the event store, folding an
// aggregate's events with the domain's own fold (service.Kinds). It needs
// no read model, so it is always caught up and is also a [Progress]; it is
// the fallback until the projections serve the same questions from memory.
// One aggregate's state and timeline cost one load of that aggregate; an
// area's timeline reads each kind's subjects of the area; an actor's or an
// organisation's timeline reads the whole ledger.
type LedgerQueries struct {
	store *eventstore.Store
	kinds map[string]service.Kind
}

// NewLedgerQueries returns queries over the store for the given kinds.
func NewLedgerQueries(store *eventstore.Store, kinds map[string]service.Kind) *LedgerQueries {
	return &LedgerQueries{store: store, kinds: kinds}
}

// Position is the ledger's last sequence: this backend reads the ledger
// itself, so it is never behind.
func (q *LedgerQueries) Position() uint64 {
	seq, err := q.store.LastSequence(context.Background())
	if err != nil {
		return 0
	}
	return seq
}

// WaitFor returns at once: the ledger holds every sequence it acknowledged.
func (q *LedgerQueries) WaitFor(ctx context.Context, seq uint64) error { return nil }

// State folds the aggregate's events that count at the instant.
func (q *LedgerQueries) State(ctx context.Context, ref domain.AggregateRef, at AsOf) (StateView, error) {
	kind, ok := q.kinds[ref.Kind]
	if !ok {
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.unknown_kind", "no aggregate kind %q", ref.Kind)
	}
	h, err := q.store.Load(ctx, eventstore.Aggregate{Kind: ref.Kind, ID: ref.ID})
	if err != nil {
		return StateView{}, err
	}
	s, version := kind.Zero(), uint64(0)
	for i := range h.Events {
		e := &h.Events[i]
		if !counts(e, at) {
			continue
		}
		ev, err := domain.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return StateView{}, fmt.Errorf("fold %s at version %d: %w", ref, e.AggregateVersion, err)
		}
		s, version = kind.Apply(s, ev), e.AggregateVersion
	}
	if version == 0 {
		if at.Basis == Current || at.Basis == "" {
			return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s has no events", ref)
		}
		return StateView{}, domain.Errorf(domain.ENOTFOUND, "aggregate.not_found", "%s had no events at %s (%s)", ref, at.At.Format(time.RFC3339), at.Basis)
	}
	return StateView{Version: version, Position: h.LastSequence, State: s}, nil
}

func counts(e *eventstore.Envelope, at AsOf) bool {
	switch at.Basis {
	case Recorded:
		return !e.RecordedAt.After(at.At)
	case Known:
		return !e.OccurredAt.After(at.At)
	}
	return true
}

// Timeline reads the events q selects and pages them in business-time
// order (then stream order).
func (q *LedgerQueries) Timeline(ctx context.Context, tq TimelineQuery) (TimelinePage, error) {
	after, err := parseLedgerCursor(tq.After)
	if err != nil {
		return TimelinePage{}, err
	}
	var entries []TimelineEntry
	add := func(e *eventstore.Envelope, idx int) {
		entries = append(entries, timelineEntry(e, idx))
	}
	switch {
	case tq.Aggregate != nil:
		h, err := q.store.Load(ctx, eventstore.Aggregate{Kind: tq.Aggregate.Kind, ID: tq.Aggregate.ID})
		if err != nil {
			return TimelinePage{}, err
		}
		idx := map[uint64]int{}
		for i := range h.Events {
			e := &h.Events[i]
			add(e, idx[e.Sequence])
			idx[e.Sequence]++
		}
	case tq.Area != "":
		kinds := make([]string, 0, len(q.kinds))
		for k := range q.kinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			filter, err := eventstore.FilterSubject(k, tq.Area)
			if err != nil {
				return TimelinePage{}, err
			}
			if _, err := q.store.Read(ctx, eventstore.ReadOptions{Filter: filter}, func(c *eventstore.Commit) error {
				for i := range c.Events {
					add(&c.Events[i], i)
				}
				return nil
			}); err != nil {
				return TimelinePage{}, err
			}
		}
	default:
		if _, err := q.store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
			for i := range c.Events {
				e := &c.Events[i]
				if (tq.Actor != "" && e.Actor.ID == tq.Actor) || (tq.Organisation != "" && e.Actor.Organisation == tq.Organisation) {
					add(e, i)
				}
			}
			return nil
		}); err != nil {
			return TimelinePage{}, err
		}
	}
	slices.SortFunc(entries, func(a, b TimelineEntry) int { return cmpKey(keyOf(&a), keyOf(&b)) })
	limit := tq.Limit
	if limit <= 0 {
		limit = 50
	}
	page := TimelinePage{Entries: []TimelineEntry{}}
	for i := range entries {
		e := &entries[i]
		k := keyOf(e)
		switch {
		case after != nil && cmpKey(k, *after) <= 0,
			len(tq.Types) > 0 && !slices.Contains(tq.Types, e.Type),
			!tq.From.IsZero() && e.OccurredAt.Before(tq.From),
			!tq.To.IsZero() && !e.OccurredAt.Before(tq.To):
			continue
		}
		if len(page.Entries) == limit {
			page.Next = keyOf(&page.Entries[limit-1]).cursor()
			break
		}
		page.Entries = append(page.Entries, *e)
	}
	return page, nil
}

// Indicator looks the National Indicator up in the catalogue as it stands.
func (q *LedgerQueries) Indicator(ctx context.Context, n int) (any, error) {
	v, err := q.State(ctx, service.CatalogueRef, AsOf{Basis: Current})
	if err != nil {
		return nil, err
	}
	cat, ok := v.State.(domain.Catalogue)
	if !ok {
		return nil, fmt.Errorf("catalogue state is %T", v.State)
	}
	ind, ok := cat.Lookup(n, time.Now())
	if !ok {
		return nil, domain.Errorf(domain.ENOTFOUND, "indicator.not_found", "NI %d is not in the catalogue", n)
	}
	return ind, nil
}

func timelineEntry(e *eventstore.Envelope, idx int) TimelineEntry {
	return TimelineEntry{Sequence: e.Sequence, Index: idx, EventID: e.EventID, Type: e.Type, SchemaVersion: e.SchemaVersion,
		Aggregate: domain.AggregateRef{Kind: e.AggregateKind, ID: e.AggregateID}, AggregateVersion: e.AggregateVersion,
		CommandID: e.CommandID, Actor: e.Actor, Reason: e.Reason, Evidence: e.Evidence, CausationID: e.CausationID,
		CorrelationID: e.CorrelationID, OccurredAt: e.OccurredAt.UTC(), RecordedAt: e.RecordedAt.UTC(), Data: e.Data}
}

// ledgerKey orders a timeline: business time, then stream position.
type ledgerKey struct {
	occurred int64
	seq      uint64
	idx      int
}

func keyOf(e *TimelineEntry) ledgerKey {
	return ledgerKey{occurred: e.OccurredAt.UnixNano(), seq: e.Sequence, idx: e.Index}
}

func cmpKey(a, b ledgerKey) int {
	if c := cmp.Compare(a.occurred, b.occurred); c != 0 {
		return c
	}
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

// cursor is opaque to clients; events recorded later never shift it.
func (k ledgerKey) cursor() string {
	s := strconv.FormatInt(k.occurred, 10) + "." + strconv.FormatUint(k.seq, 10) + "." + strconv.Itoa(k.idx)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseLedgerCursor(c string) (*ledgerKey, error) {
	if c == "" {
		return nil, nil
	}
	bad := badRequest("bad_cursor", "after must be the next cursor of a previous page")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 {
		return nil, bad
	}
	occ, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseUint(parts[1], 10, 64)
	idx, err3 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, bad
	}
	return &ledgerKey{occurred: occ, seq: seq, idx: idx}, nil
}
