package api

import (
	"container/list"
	"strconv"
	"sync"
	"time"

	"github.com/laaledger/laaledger/projections"
)

// DefaultTimelineCacheBytes is the default bound of the encoded timeline
// pages the server keeps ([Config.TimelineCacheBytes]).
const DefaultTimelineCacheBytes = 32 << 20

// pageKey names one encoded timeline page: the timeline, the query as
// parsed, and the read models' position read before the page was built.
// The page holds at least every event up to pos, so a reader that finds
// it at a position at least its min_sequence never gets an older page;
// once an event is applied the position moves and the next read builds a
// new page. Nothing of the caller is in the key because nothing of the
// caller is in a timeline: every authenticated actor gets the same page.
type pageKey struct {
	scope projections.TimelineScope
	query string
	pos   uint64
}

// pageKeyOf returns the key of the page of scope and q at position pos.
func pageKeyOf(scope projections.TimelineScope, q *projections.TimelineQuery, pos uint64) pageKey {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, int64(q.Limit), 10)
	for _, t := range []time.Time{q.From, q.To} {
		b = append(b, 0)
		if !t.IsZero() {
			b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		}
	}
	b = append(b, 0)
	b = append(b, q.After...)
	for _, t := range q.Types {
		b = append(b, 0)
		b = append(b, t...)
	}
	return pageKey{scope: scope, query: string(b), pos: pos}
}

// pageEntryOverhead is what a cached page costs beyond its bytes and its
// key's strings: the list element, the map slot, the entry.
const pageEntryOverhead = 256

// pageCache keeps encoded timeline pages, the least recently used evicted
// first once their total size passes max. It is safe for concurrent use.
type pageCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	pages map[pageKey]*list.Element // of *cachedPage
	lru   list.List                 // most recently used at the front
}

type cachedPage struct {
	key  pageKey
	body []byte
}

func newPageCache(max int64) *pageCache {
	return &pageCache{max: max, pages: map[pageKey]*list.Element{}}
}

func (p *cachedPage) cost() int64 {
	k := &p.key
	return int64(len(p.body)+len(k.query)+len(k.scope.Aggregate.Kind)+len(k.scope.Aggregate.ID)+
		len(k.scope.Area)+len(k.scope.Actor)+len(k.scope.Organisation)) + pageEntryOverhead
}

// get returns the page of k; the caller must not change it.
func (c *pageCache) get(k pageKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.pages[k]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cachedPage).body, true
}

// put keeps body, which the cache now owns, as the page of k, evicting the
// least recently used pages to stay within the bound. A page larger than
// the bound is not kept.
func (c *pageCache) put(k pageKey, body []byte) {
	p := &cachedPage{key: k, body: body}
	n := p.cost()
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pages[k]; ok {
		return // a concurrent reader built the same page
	}
	c.pages[k] = c.lru.PushFront(p)
	c.size += n
	for c.size > c.max {
		el := c.lru.Back()
		old := el.Value.(*cachedPage)
		c.lru.Remove(el)
		delete(c.pages, old.key)
		c.size -= old.cost()
	}
}

// bytes returns the total cost of the pages kept.
func (c *pageCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
