package projections

import (
	"sort"
	"sync"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/registry"
	"github.com/laaledger/laaledger/eventstore"
)

// Checkpoints of the as-now-known-at fold.
//
// A state "as now known at" T is the fold, in the canonical order
// (business time, then stream order), of the aggregate's events dated at or
// before T: a prefix of the aggregate's timeline, which the timelines keep
// in that order. The first such read of an aggregate folds its whole
// timeline once in the background (the read itself folds the usual way),
// as a chain of states (registry.Fold's ApplyChained: the states share
// every target that did not change between them and the arrays of those
// that did), and keeps the state after every so many events (see
// spacing);
// later reads start from the last usable checkpoint at or before their
// prefix and fold only the events after it. The checkpoints are kept
// until the aggregate's timeline changes (any event, however late, may
// fall before them), and for as many aggregates as the bound on the
// states kept across aggregates allows (Config.AsOfCheckpoints).
//
// Corrections: the checkpoints are folded with every correction of the
// timeline substituted (domain.Canonical over all of it), and a read of a
// prefix counts only the corrections in the prefix. A checkpoint is
// therefore usable for a prefix only if no correction after the prefix
// reaches an event before the checkpoint (names it, directly or through
// the corrections it names). The events after the checkpoint are put in
// the canonical order together with every correction before the
// checkpoint, so that those still correct them as they would in a full
// fold.

// checkpointEvery is how many events apart the checkpoints are at the
// least, and maxCheckpointsPer how many one aggregate has at the most:
// the checkpoints of a longer timeline are further apart. Each state
// kept costs about 20 KB for an agreement (its map of targets and the
// targets changed since the state before); 32 of them keep a read at a
// million events (about 6,700 per agreement) to folding some 200 events,
// under a millisecond.
const (
	checkpointEvery   = 64
	maxCheckpointsPer = 32
)

// defaultCheckpointStates bounds the states kept across all aggregates
// unless Config.AsOfCheckpoints says otherwise: about 65 MB of agreements
// at a million events, the checkpoints of 64 agreements of 6,700 events.
// The checkpoints of other aggregates are dropped to make room for new
// ones.
const defaultCheckpointStates = 5120

// spacing is how many events apart the checkpoints of a timeline of n
// events are.
func spacing(n int) int {
	return max(checkpointEvery, (n+maxCheckpointsPer-1)/maxCheckpointsPer)
}

type checkpoints struct {
	ix    *index // the timeline index they were made from
	count int    // its entries then
	every int    // spacing(count)
	// states[i] is the state after the first (i+1)*every events, and
	// highest[i] the highest version among them; latest is the highest
	// version of all.
	states  []any
	highest []uint64
	latest  uint64
	// corrections are the positions of the correcting events, ascending.
	corrections []int
	// bodies are the positions of the corrections that carry a corrected
	// body, ascending, and reach[j] the lowest position that those from
	// bodies[j] on reach.
	bodies, reach []int
}

// limit is how far checkpoints may go for a read of the first n events:
// the lowest position a correction after them reaches.
func (cp *checkpoints) limit(n int) int {
	j := sort.SearchInts(cp.bodies, n)
	if j == len(cp.bodies) {
		return n
	}
	return min(n, cp.reach[j])
}

type checkpointCache struct {
	mu       sync.Mutex
	per      map[eventstore.Aggregate]*checkpoints
	states   int // the states held in per
	max      int // the most states held; 0 for defaultCheckpointStates
	building map[eventstore.Aggregate]bool
	// slot lets one background build run at a time.
	slot chan struct{}
	// sync makes a read build missing checkpoints itself (tests).
	sync bool
}

// buildLater makes agg's checkpoints in the background, unless that is
// under way already; the read that found them missing folds the usual way.
func (c *checkpointCache) buildLater(agg eventstore.Aggregate, build func() (*checkpoints, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.building[agg] {
		return
	}
	if c.building == nil {
		c.building = map[eventstore.Aggregate]bool{}
		c.slot = make(chan struct{}, 1)
	}
	c.building[agg] = true
	slot := c.slot
	go func() {
		slot <- struct{}{}
		cp, err := build()
		<-slot
		if err == nil && cp != nil {
			c.put(agg, cp)
		}
		c.mu.Lock()
		delete(c.building, agg)
		c.mu.Unlock()
	}()
}

func (c *checkpointCache) get(agg eventstore.Aggregate) *checkpoints {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.per[agg]
}

func (c *checkpointCache) put(agg eventstore.Aggregate, cp *checkpoints) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.per == nil {
		c.per = map[eventstore.Aggregate]*checkpoints{}
	}
	if old, ok := c.per[agg]; ok {
		c.states -= len(old.states)
		delete(c.per, agg)
	}
	limit := c.max
	if limit == 0 {
		limit = defaultCheckpointStates
	}
	if len(cp.states) > limit {
		return
	}
	for k, other := range c.per { // any others, until there is room
		if c.states+len(cp.states) <= limit {
			break
		}
		c.states -= len(other.states)
		delete(c.per, k)
	}
	c.per[agg] = cp
	c.states += len(cp.states)
}

// knownAt returns the state of agg as now known at the instant (basis
// Known) from its checkpoints, with the number of events that count, the
// highest version among them and the aggregate's latest version; ok false
// when the fast path does not apply (an aggregate without timed events),
// and the caller folds the usual way.
func (q *Reader) knownAt(agg eventstore.Aggregate, at AsOf) (state any, applied int, highest, latest uint64, ok bool, err error) {
	k := kinds[agg.Kind]
	t := q.timelines
	cp := q.checkpoints.get(agg)
	t.mu.RLock()
	ix := t.byAgg[agg]
	if ix == nil || len(ix.list)+len(ix.pending) == 0 || registry.EventTiming(t.entries.at(t.merged(ix)[0]).Type) == 0 {
		t.mu.RUnlock()
		return nil, 0, 0, 0, false, nil
	}
	if cp == nil || cp.ix != ix || cp.count != len(ix.list)+len(ix.pending) {
		t.mu.RUnlock()
		if !q.checkpoints.sync {
			// Make them for the next read; this one folds the usual way,
			// for what that costs and no more.
			q.checkpoints.buildLater(agg, func() (*checkpoints, error) { return q.buildCheckpoints(agg, k) })
			return nil, 0, 0, 0, false, nil
		}
		if cp, err = q.buildCheckpoints(agg, k); err != nil || cp == nil {
			return nil, 0, 0, 0, false, err
		}
		q.checkpoints.put(agg, cp)
		t.mu.RLock()
		if ix = t.byAgg[agg]; ix == nil || cp.ix != ix || cp.count != len(ix.list)+len(ix.pending) {
			// Changed meanwhile: fold the usual way.
			t.mu.RUnlock()
			return nil, 0, 0, 0, false, nil
		}
	}
	order := t.merged(ix)
	limit := at.At.UnixNano()
	n := sort.Search(len(order), func(i int) bool { return t.entries.at(order[i]).OccurredAt.UnixNano() > limit })
	latest = cp.latest
	// The last usable checkpoint at or before n.
	c := min(cp.limit(n)/cp.every, len(cp.states))
	p := c * cp.every
	var events []Entry
	var before int // corrections before p, put ahead of the tail
	for _, pos := range cp.corrections {
		if pos >= p {
			break
		}
		events = append(events, *t.entries.at(order[pos]))
		before++
	}
	for _, x := range order[p:n] {
		e := t.entries.at(x)
		highest = max(highest, e.AggregateVersion)
		events = append(events, *e)
	}
	if c > 0 {
		highest = max(highest, cp.highest[c-1])
	}
	t.mu.RUnlock()
	if n == 0 {
		return nil, 0, 0, latest, true, nil
	}
	stamped, err := stampEntries(events)
	if err != nil {
		return nil, 0, 0, 0, false, err
	}
	canon := domain.Canonical(stamped)
	s := k.zero()
	if c > 0 {
		s = k.clone(cp.states[c-1])
	}
	for i := before; i < len(canon); i++ {
		s = k.apply(s, canon[i].Event)
	}
	return s, n, highest, latest, true, nil
}

// buildCheckpoints folds agg's whole timeline in the canonical order and
// keeps its checkpoints.
func (q *Reader) buildCheckpoints(agg eventstore.Aggregate, k kind) (*checkpoints, error) {
	t := q.timelines
	t.mu.RLock()
	ix := t.byAgg[agg]
	var events []Entry
	if ix != nil {
		for _, x := range t.merged(ix) {
			events = append(events, *t.entries.at(x))
		}
	}
	t.mu.RUnlock()
	if len(events) == 0 {
		return nil, nil
	}
	cp := &checkpoints{ix: ix, count: len(events), every: spacing(len(events))}
	stamped, err := stampEntries(events)
	if err != nil {
		return nil, err
	}
	// The corrections, and how far back each body-carrying one reaches.
	var pos map[string]int
	for i := range stamped {
		if _, ok := stamped[i].Event.(domain.Correcting); !ok {
			continue
		}
		cp.corrections = append(cp.corrections, i)
		if pos == nil {
			pos = domain.IndexStamped(stamped)
		}
		if r, ok := reachOf(stamped, pos, i); ok {
			cp.bodies, cp.reach = append(cp.bodies, i), append(cp.reach, r)
		}
	}
	for j := len(cp.reach) - 2; j >= 0; j-- {
		cp.reach[j] = min(cp.reach[j], cp.reach[j+1])
	}
	canon := domain.Canonical(stamped)
	s := k.zero()
	var highest uint64
	for i := range canon {
		s = k.applyChained(s, canon[i].Event)
		highest = max(highest, events[i].AggregateVersion)
		if (i+1)%cp.every == 0 {
			cp.states, cp.highest = append(cp.states, s), append(cp.highest, highest)
		}
	}
	cp.latest = highest
	return cp, nil
}

// reachOf reports whether the event at i carries a corrected body and,
// if so, the lowest position it reaches: the event it names and, while
// that is a correction, the one that names in turn. A correction naming
// nothing in the timeline reaches nothing (len(stamped)).
func reachOf(stamped []domain.Stamped, pos map[string]int, i int) (int, bool) {
	c, ok := stamped[i].Event.(domain.Correcting)
	if !ok {
		return 0, false
	}
	if _, ok := c.CorrectedBody(); !ok {
		return 0, false
	}
	low := len(stamped)
	for range len(stamped) {
		t, found := pos[c.Corrects()]
		if !found {
			break
		}
		low = min(low, t)
		if c, ok = stamped[t].Event.(domain.Correcting); !ok {
			break
		}
	}
	return low, true
}
