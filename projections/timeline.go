package projections

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// Entry is one event as a timeline shows it: the stored envelope (whose
// Sequence is the stream sequence of its commit) and Index, its position
// within the commit. A timeline keeps no hash chain: PrevHash and Hash are
// empty (verify the chain with the event store), and the JSON form, that of
// [eventstore.Envelope.AppendServedJSON], leaves them out. OccurredAt,
// business time, is the timeline's order; RecordedAt is when the ledger
// learnt of the event, so a late-recorded correction sits at its business
// time with a later recorded time.
type Entry struct {
	eventstore.Envelope
	Index int
}

// MarshalJSON writes the entry in the served form, without the hash chain.
func (e Entry) MarshalJSON() ([]byte, error) {
	return e.AppendServedJSON(nil, e.Index, false), nil
}

// UnmarshalJSON reads the served form.
func (e *Entry) UnmarshalJSON(data []byte) error {
	idx, err := e.UnmarshalServedJSON(data)
	if err != nil {
		return err
	}
	e.Index = idx
	e.PrevHash, e.Hash = "", ""
	return nil
}

// NewEntry returns the entry a timeline makes of the event at position
// index of its commit: times in UTC, no hash chain.
func NewEntry(e *eventstore.Envelope, index int) Entry {
	x := Entry{Envelope: *e, Index: index}
	x.OccurredAt, x.RecordedAt = e.OccurredAt.UTC(), e.RecordedAt.UTC()
	x.PrevHash, x.Hash = "", ""
	return x
}

// key orders a timeline: business time, then stream order.
type key struct {
	occurred int64
	seq      uint64
	idx      int32
}

func (e *Entry) key() key {
	return key{occurred: e.OccurredAt.UnixNano(), seq: e.Sequence, idx: int32(e.Index)}
}

func (a key) cmp(b key) int {
	switch {
	case a.occurred != b.occurred:
		return cmp.Compare(a.occurred, b.occurred)
	case a.seq != b.seq:
		return cmp.Compare(a.seq, b.seq)
	default:
		return cmp.Compare(a.idx, b.idx)
	}
}

// Cursor is an opaque, stable page position: the (business time, sequence,
// index) of the last entry of a page. Events recorded later never shift it,
// whether they fall before or after it.
func (k key) cursor() string {
	var b [20]byte
	binary.BigEndian.PutUint64(b[0:], uint64(k.occurred))
	binary.BigEndian.PutUint64(b[8:], k.seq)
	binary.BigEndian.PutUint32(b[16:], uint32(k.idx))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func parseCursor(s string) (key, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 20 {
		return key{}, invalidf("timeline cursor %q is not one this server issued", s)
	}
	return key{occurred: int64(binary.BigEndian.Uint64(b[0:])), seq: binary.BigEndian.Uint64(b[8:]), idx: int32(binary.BigEndian.Uint32(b[16:]))}, nil
}

// TimelineQuery selects and pages a timeline.
type TimelineQuery struct {
	// Types keeps only these event types; empty keeps all.
	Types []string
	// From and To bound business time, From ≤ occurred_at < To; a zero
	// bound is open.
	From, To time.Time
	// After is the Next cursor of the previous page; empty for the first.
	After string
	// Limit is the page size: default 50, at most 1000.
	Limit int
}

// TimelinePage is one page of a timeline in business-time order.
type TimelinePage struct {
	Entries []Entry `json:"entries"`
	// Next is the cursor of the following page, empty at the end.
	Next string `json:"next,omitempty"`
	// Corrects links each correction on the page to the event it
	// corrects (correction's event id → corrected event's id), and
	// CorrectedBy each event on the page to the corrections of it, in
	// the canonical order (the last is the one that counts now). Filled
	// by [Reader.Timeline].
	Corrects    map[string]string   `json:"corrects,omitempty"`
	CorrectedBy map[string][]string `json:"corrected_by,omitempty"`
}

// Timelines indexes every event of the ledger by aggregate, area, actor and
// organisation, each in business-time order. It needs nothing but the
// envelopes. The zero value is not usable; call [NewTimelines].
type Timelines struct {
	mu      sync.RWMutex
	entries entryStore
	byAgg   map[eventstore.Aggregate]*index
	byArea  map[string]*index
	byActor map[string]*index
	byOrg   map[string]*index
}

// NewTimelines returns an empty timelines read model.
func NewTimelines() *Timelines {
	t := &Timelines{}
	t.Reset()
	return t
}

// Name implements [ReadModel].
func (t *Timelines) Name() string { return "timelines" }

// Version implements [ReadModel].
func (t *Timelines) Version() int { return 4 }

// Reset implements [ReadModel].
func (t *Timelines) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.resetLocked()
}

func (t *Timelines) resetLocked() {
	t.entries.reset()
	t.byAgg = map[eventstore.Aggregate]*index{}
	t.byArea = map[string]*index{}
	t.byActor = map[string]*index{}
	t.byOrg = map[string]*index{}
}

// Apply implements [ReadModel].
func (t *Timelines) Apply(c *eventstore.Commit) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range c.Events {
		e := &c.Events[i]
		t.add(e, i, i > 0 && e.CommandID == c.Events[i-1].CommandID)
	}
	return nil
}

func (t *Timelines) add(e *eventstore.Envelope, idx int, sameCommand bool) {
	n := t.entries.add(e, idx, sameCommand)
	k := t.entries.key(n)
	// The index keys are the store's copies of the strings.
	r, sym := t.entries.rec(n), t.entries.syms.list
	agg := eventstore.Aggregate{Kind: sym[r.kind], ID: sym[r.aggID]}
	area := AreaOf(agg)
	if _, ok := t.byArea[area]; !ok {
		id := t.entries.syms.id(area)
		area = t.entries.syms.list[id]
	}
	t.insert(indexOf(t.byAgg, agg), n, k)
	t.insert(indexOf(t.byArea, area), n, k)
	t.insert(indexOf(t.byActor, sym[r.actorID]), n, k)
	t.insert(indexOf(t.byOrg, sym[r.org]), n, k)
}

// index lists the entries of one timeline in key order, in two parts:
// list, and pending, a short list of the entries that arrived out of order.
// Each part is sorted; the timeline is their merge.
//
// Events mostly arrive in business-time order, so an entry is usually
// appended to list. But an area's, a person's or an organisation's timeline
// receives the histories of several aggregates interleaved, and inserting
// each late entry into the middle of a long list moved half of it every
// time. Late entries wait in pending instead, and are merged into list, in
// one pass, when pending grows past about the square root of list's length.
type index struct {
	list    []int32
	pending []int32
}

func indexOf[K comparable](m map[K]*index, k K) *index {
	ix := m[k]
	if ix == nil {
		ix = &index{}
		m[k] = ix
	}
	return ix
}

// minPending is how long pending may grow whatever the length of list.
const minPending = 32

// insert places entry n with key k in ix.
func (t *Timelines) insert(ix *index, n int32, k key) {
	if len(ix.list) == 0 || t.entries.key(ix.list[len(ix.list)-1]).cmp(k) < 0 {
		ix.list = append(ix.list, n)
		return
	}
	i, _ := slices.BinarySearchFunc(ix.pending, k, t.cmpAt)
	ix.pending = slices.Insert(ix.pending, i, n)
	if p := len(ix.pending); p > minPending && p*p > len(ix.list) {
		ix.list = t.merge(ix.list, ix.pending)
		ix.pending = ix.pending[:0]
	}
}

// merge merges the sorted pending into the sorted list, in place when list
// has the room, from the back: each pending entry finds its place by binary
// search and the run of list entries after it moves in one copy.
func (t *Timelines) merge(list, pending []int32) []int32 {
	hi := len(list)
	out := slices.Grow(list, len(pending))[:hi+len(pending)]
	w := len(out)
	for j := len(pending) - 1; j >= 0; j-- {
		pos, _ := slices.BinarySearchFunc(out[:hi], t.entries.key(pending[j]), t.cmpAt)
		w -= hi - pos
		copy(out[w:], out[pos:hi])
		hi = pos
		w--
		out[w] = pending[j]
	}
	return out
}

func (t *Timelines) cmpAt(x int32, k key) int { return t.entries.key(x).cmp(k) }

// merged returns ix's entries as one sorted list: ix.list itself when
// nothing is pending, else a new list.
func (t *Timelines) merged(ix *index) []int32 {
	if ix == nil {
		return nil
	}
	if len(ix.pending) == 0 {
		return ix.list
	}
	return t.merge(slices.Clip(slices.Clone(ix.list)), ix.pending)
}

// AreaOf is the area an aggregate belongs to: the first token of its id
// (the SNAC code of "00EB/2008-11" or "00EB/2009"; the organisation of an
// organisational assessment).
func AreaOf(a eventstore.Aggregate) string {
	area, _, _ := strings.Cut(a.ID, "/")
	return area
}

// Aggregate returns one aggregate's timeline (an agreement, an area or
// organisational assessment).
func (t *Timelines) Aggregate(a eventstore.Aggregate, q TimelineQuery) (TimelinePage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.page(t.byAgg[a], q)
}

// Area returns the timeline of every aggregate of an area (its agreement and
// its assessments), by SNAC code.
func (t *Timelines) Area(code string, q TimelineQuery) (TimelinePage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.page(t.byArea[code], q)
}

// Actor returns what one person did, across the ledger.
func (t *Timelines) Actor(id string, q TimelineQuery) (TimelinePage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.page(t.byActor[id], q)
}

// Organisation returns what everyone acting for an organisation did (an
// area's LSP or LA by SNAC code, a Government Office by region, CLG, …).
func (t *Timelines) Organisation(org string, q TimelineQuery) (TimelinePage, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.page(t.byOrg[org], q)
}

// Len is the number of events indexed.
func (t *Timelines) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.entries.len()
}

func (t *Timelines) page(ix *index, q TimelineQuery) (TimelinePage, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 1000:
		return TimelinePage{}, invalidf("timeline page size %d: must be between 1 and 1000", limit)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return TimelinePage{}, invalidf("timeline range %s to %s is empty", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	var first key
	if q.After != "" {
		k, err := parseCursor(q.After)
		if err != nil {
			return TimelinePage{}, err
		}
		first = key{occurred: k.occurred, seq: k.seq, idx: k.idx + 1}
	}
	if !q.From.IsZero() {
		if from := (key{occurred: q.From.UnixNano()}); q.After == "" || first.cmp(from) < 0 {
			first = from
		}
	}
	var to int64
	if !q.To.IsZero() {
		to = q.To.UnixNano()
	}
	var types map[uint32]bool
	if len(q.Types) > 0 {
		types = make(map[uint32]bool, len(q.Types))
		for _, ty := range q.Types {
			if id, ok := t.entries.syms.lookup(ty); ok {
				types[id] = true
			}
		}
	}
	p := TimelinePage{Entries: []Entry{}}
	if ix == nil || types != nil && len(types) == 0 {
		return p, nil // nothing to walk, or no entry of the types asked for
	}
	// The page's entries are chosen first, then made in one go.
	var buf [64]int32
	xs := buf[:0]
	// Walk list and pending together from the first key on, in key order.
	list, pending := ix.list, ix.pending
	i, j := 0, 0
	if q.After != "" || !q.From.IsZero() {
		i, _ = slices.BinarySearchFunc(list, first, t.cmpAt)
		j, _ = slices.BinarySearchFunc(pending, first, t.cmpAt)
	}
	for i < len(list) || j < len(pending) {
		var x int32
		if j == len(pending) || i < len(list) && t.entries.key(list[i]).cmp(t.entries.key(pending[j])) < 0 {
			x = list[i]
			i++
		} else {
			x = pending[j]
			j++
		}
		if to != 0 && t.entries.key(x).occurred >= to {
			break
		}
		if types != nil && !types[t.entries.typeOf(x)] {
			continue
		}
		if len(xs) == limit {
			p.Next = t.entries.key(xs[limit-1]).cursor()
			break
		}
		xs = append(xs, x)
	}
	p.Entries = t.entries.appendEntries(make([]Entry, 0, len(xs)), xs)
	return p, nil
}
