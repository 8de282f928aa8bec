package eventstore

import (
	"container/list"
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
	return History{Aggregate: a.agg, Version: a.version, LastSequence: a.lastSeq, Events: a.events[:len(a.events):len(a.events)]}
}

func (a *aggState) reset() {
	a.loaded = false
	a.version, a.lastSeq, a.lastHash = 0, 0, ZeroHash
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
