package eventstore

import (
	"container/list"
	"fmt"
	"sync"
)

// aggState is what the store knows of one aggregate. Its mutex is held for
// the whole of an append, so at most one append per aggregate is in flight
// from this process; other processes are kept honest by the server's
// per-subject expectation.
type aggState struct {
	mu       sync.Mutex
	agg      Aggregate
	loaded   bool
	version  uint64
	lastSeq  uint64
	lastHash string
	// base is the version of the snapshot the entry was loaded from or
	// last saved (0: none), baseState its state and index its command
	// index; last is the event at version base once the entry has read
	// it.
	base      uint64
	baseState []byte
	index     []cmdRef
	last      Envelope
	// events and commands are the aggregate's commits after base.
	events   []Envelope
	commands map[string]AppendResult
	elem     *list.Element
	counted  int // events counted against the bound; guarded by cache.mu
	users    int // callers between get and release; guarded by cache.mu
}

// history returns what the entry holds, its events capped so that a later
// append to the entry never writes into the caller's slice. The caller
// holds a.mu.
func (a *aggState) history() History {
	h := History{Aggregate: a.agg, Version: a.version, LastSequence: a.lastSeq, Events: a.events[:len(a.events):len(a.events)],
		Base: a.base, BaseState: a.baseState}
	if a.base > 0 && a.last.AggregateVersion == a.base {
		last := a.last
		h.BaseLast = &last
	}
	return h
}

// size is what the entry counts against the cache's bound: its events,
// and its snapshot at a kilobyte an event.
func (a *aggState) size() int { return len(a.events) + len(a.baseState)>>10 + len(a.index)>>6 }

// addCommit adds a commit read from the stream to the entry, verifying
// it with v. The caller holds a.mu.
func (a *aggState) addCommit(v *ChainVerifier, c *Commit, subject string) error {
	for i := range c.Events {
		e := &c.Events[i]
		if e.Aggregate() != a.agg {
			return &ChainError{Aggregate: a.agg, Version: e.AggregateVersion, Sequence: e.Sequence,
				Reason: fmt.Sprintf("event of %s stored on %s", e.Aggregate(), subject)}
		}
		if err := v.Check(e); err != nil {
			return err
		}
	}
	a.events = append(a.events, c.Events...)
	res := resultOfCommit(c)
	a.commands[c.CommandID] = res
	a.version = res.LastVersion
	a.lastSeq = res.Sequence
	a.lastHash = c.Events[len(c.Events)-1].Hash
	return nil
}

func (a *aggState) reset() {
	a.loaded = false
	a.version, a.lastSeq, a.lastHash = 0, 0, ZeroHash
	a.base, a.baseState, a.index, a.last = 0, nil, nil, Envelope{}
	a.events = nil
	a.commands = map[string]AppendResult{}
}

// cache is a bounded LRU of aggregate states, counted in events. A stale
// entry is safe: the server refuses an append whose expectation it breaks,
// and the store then reloads the aggregate from the stream.
type cache struct {
	mu     sync.Mutex
	max    int
	size   int
	lru    *list.List
	states map[Aggregate]*aggState
}

func newCache(max int) *cache {
	return &cache{max: max, lru: list.New(), states: map[Aggregate]*aggState{}}
}

// get returns the aggregate's entry, creating an empty, unloaded one, and
// keeps it from eviction until the caller calls release. Every caller of
// one aggregate therefore gets the same entry and the same mutex.
func (c *cache) get(agg Aggregate) *aggState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.states[agg]
	if !ok {
		st = &aggState{agg: agg}
		st.reset()
		st.elem = c.lru.PushFront(st)
		c.states[agg] = st
	} else {
		c.lru.MoveToFront(st.elem)
	}
	st.users++
	return st
}

// release ends a use begun by get.
func (c *cache) release(st *aggState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st.users--
	c.evict()
}

// resized records that an entry now holds n events and evicts the least
// recently used entries beyond the bound.
func (c *cache) resized(st *aggState, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.states[st.agg] != st {
		return
	}
	c.size += n - st.counted
	st.counted = n
	c.evict()
}

// evict drops least recently used entries until the cache is within its
// bound, skipping entries in use (those go once released) and keeping the
// most recently used one even if it alone exceeds the bound. The caller
// holds c.mu.
func (c *cache) evict() {
	for e := c.lru.Back(); e != nil && e != c.lru.Front() && c.size > c.max; {
		st := e.Value.(*aggState)
		prev := e.Prev()
		if st.users == 0 {
			c.lru.Remove(e)
			delete(c.states, st.agg)
			c.size -= st.counted
		}
		e = prev
	}
}
