package eventstore

import (
	"fmt"
	"testing"
)

// An entry held by an append (or a load) must survive eviction: were it
// dropped, the next caller would get a second entry for the same aggregate
// with a mutex of its own, and two appends to one aggregate could be in
// flight from this process at once.
func TestCacheDoesNotEvictEntryInUse(t *testing.T) {
	c := newCache(10)
	held := Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	st := c.get(held)
	st.mu.Lock()
	c.resized(st, 5)
	for i := 0; i < 20; i++ {
		other := c.get(Aggregate{Kind: "laa", ID: fmt.Sprintf("A%02d/2008-11", i)})
		c.resized(other, 5)
		c.release(other)
	}
	if got := c.get(held); got != st {
		t.Fatalf("a second entry was made for %s while the first was held", held)
	}
	st.mu.Unlock()
	c.release(st)
	c.release(st)
}

// Once released, entries are evicted again down to the bound.
func TestCacheEvictsReleasedEntries(t *testing.T) {
	c := newCache(10)
	for i := 0; i < 20; i++ {
		st := c.get(Aggregate{Kind: "laa", ID: fmt.Sprintf("A%02d/2008-11", i)})
		c.resized(st, 5)
		c.release(st)
	}
	if c.size > c.max {
		t.Fatalf("cache holds %d events, bound is %d", c.size, c.max)
	}
	if got, want := len(c.states), 2; got != want {
		t.Fatalf("cache holds %d aggregates, want %d", got, want)
	}
}
