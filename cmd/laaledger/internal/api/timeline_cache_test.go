package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/laaledger/laaledger/projections"
)

// counterValue reads a counter of the server's registry.
func counterValue(t *testing.T, h *harness, name string) float64 {
	t.Helper()
	mfs, err := h.api.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// organisationTimeline reads Hartlepool's organisation timeline once the
// read models have applied seq.
func organisationTimeline(t *testing.T, h *harness, seq uint64) *resp {
	t.Helper()
	r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/timeline?organisation=00EB&limit=10&min_sequence=%d", seq), token: tokAuditor})
	if r.Status != http.StatusOK {
		t.Fatalf("timeline: %d %s", r.Status, r.Body)
	}
	if got, want := r.Header.Get("Content-Length"), fmt.Sprint(len(r.Body)); got != want {
		t.Errorf("Content-Length %q, want %s", got, want)
	}
	return r
}

func noteOn00EB(t *testing.T, h *harness, key, text string) CommandResult {
	t.Helper()
	r := h.command(tokLA, "apitest.Note", key, note("00EB", text), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("command: %d %s", r.Status, r.Body)
	}
	var res CommandResult
	r.decode(t, &res)
	return res
}

func TestTimelineCacheShowsAWriteAtTheNextRead(t *testing.T) {
	h := newHarness(t, testKinds)
	const hits, misses = "laaledger_timeline_cache_hits_total", "laaledger_timeline_cache_misses_total"
	first := noteOn00EB(t, h, "cache-1", "first")
	a := organisationTimeline(t, h, first.Sequence)
	b := organisationTimeline(t, h, first.Sequence)
	if !bytes.Equal(a.Body, b.Body) {
		t.Errorf("the second read differs from the first:\n%s\n%s", a.Body, b.Body)
	}
	if counterValue(t, h, hits) < 1 || counterValue(t, h, misses) < 1 {
		t.Errorf("hits %v, misses %v after two reads at one position, want at least one of each",
			counterValue(t, h, hits), counterValue(t, h, misses))
	}
	second := noteOn00EB(t, h, "cache-2", "second")
	var page projections.TimelineView
	organisationTimeline(t, h, second.Sequence).decode(t, &page)
	if len(page.Entries) != 2 || page.Entries[1].EventID != second.Events[0].EventID {
		t.Fatalf("after the second note the timeline holds %+v, want both notes", page.Entries)
	}
	if page.Position < second.Sequence {
		t.Errorf("page position %d, before the write at %d", page.Position, second.Sequence)
	}

	off := newHarness(t, testKinds, func(c *Config) { c.TimelineCacheBytes = -1 })
	if off.api.pages != nil {
		t.Fatal("a negative TimelineCacheBytes keeps a cache")
	}
	noteOn00EB(t, off, "cache-1", "first")
	res := noteOn00EB(t, off, "cache-2", "second")
	var uncached projections.TimelineView
	organisationTimeline(t, off, res.Sequence).decode(t, &uncached)
	if len(uncached.Entries) != 2 {
		t.Errorf("without the cache the timeline holds %d entries, want 2", len(uncached.Entries))
	}
}

func TestTimelineErrorsAreNotCached(t *testing.T) {
	h := newHarness(t, testKinds)
	for range 2 {
		r := h.do(req{method: "GET", path: "/v1/timeline?organisation=00EB&after=not-a-cursor", token: tokAuditor})
		r.wantProblem(t, http.StatusBadRequest, "bad_cursor")
	}
	if n := h.api.pages.bytes(); n != 0 {
		t.Errorf("the cache holds %d bytes after two refused reads", n)
	}
}

func TestPageCacheStaysWithinItsBound(t *testing.T) {
	const max = 10 << 10
	c := newPageCache(max)
	page := bytes.Repeat([]byte("x"), 1000)
	scope := projections.TimelineScope{Area: "00EB"}
	q := projections.TimelineQuery{Limit: 50}
	for pos := range uint64(100) {
		c.put(pageKeyOf(scope, &q, pos), page)
		if n := c.bytes(); n > max {
			t.Fatalf("after %d pages the cache holds %d bytes, bound %d", pos+1, n, max)
		}
	}
	if _, ok := c.get(pageKeyOf(scope, &q, 99)); !ok {
		t.Error("the page put last was evicted")
	}
	if _, ok := c.get(pageKeyOf(scope, &q, 0)); ok {
		t.Error("the page put first is still kept")
	}
	c.put(pageKeyOf(scope, &q, 1000), make([]byte, max+1))
	if _, ok := c.get(pageKeyOf(scope, &q, 1000)); ok {
		t.Error("a page larger than the bound was kept")
	}
}

func TestPageKeyTellsQueriesApart(t *testing.T) {
	from := time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)
	scope := projections.TimelineScope{Organisation: "00EB"}
	keys := map[pageKey]string{}
	for _, tc := range []struct {
		desc  string
		scope projections.TimelineScope
		q     projections.TimelineQuery
		pos   uint64
	}{
		{"plain", scope, projections.TimelineQuery{Limit: 50}, 1},
		{"later position", scope, projections.TimelineQuery{Limit: 50}, 2},
		{"other scope", projections.TimelineScope{Actor: "00EB"}, projections.TimelineQuery{Limit: 50}, 1},
		{"limit", scope, projections.TimelineQuery{Limit: 5}, 1},
		{"from", scope, projections.TimelineQuery{Limit: 50, From: from}, 1},
		{"to", scope, projections.TimelineQuery{Limit: 50, To: from}, 1},
		{"after", scope, projections.TimelineQuery{Limit: 50, After: "c"}, 1},
		{"one type", scope, projections.TimelineQuery{Limit: 50, Types: []string{"a.B"}}, 1},
		{"two types", scope, projections.TimelineQuery{Limit: 50, Types: []string{"a", "B"}}, 1},
	} {
		k := pageKeyOf(tc.scope, &tc.q, tc.pos)
		if other, ok := keys[k]; ok {
			t.Errorf("%s and %s share a key", tc.desc, other)
		}
		keys[k] = tc.desc
	}
}

// Readers and writers at once: every read shows at least the notes
// written before its min_sequence, whether the page was cached or built.
func TestTimelineCacheUnderConcurrentReadersAndWrites(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) { c.TimelineCacheBytes = 64 << 10 })
	const writes, readers, reads = 6, 4, 8
	var (
		mu      sync.Mutex
		written []uint64 // sequences of the notes, in order
	)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range writes {
			res := noteOn00EB(t, h, fmt.Sprint("concurrent-", i), "n")
			mu.Lock()
			written = append(written, res.Sequence)
			mu.Unlock()
		}
	}()
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range reads {
				mu.Lock()
				n := len(written)
				var seq uint64
				if n > 0 {
					seq = written[n-1]
				}
				mu.Unlock()
				r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/timeline?organisation=00EB&limit=100&min_sequence=%d", seq), token: tokAuditor})
				var page projections.TimelineView
				if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != http.StatusOK {
					t.Errorf("read: %d %s", r.Status, r.Body)
					return
				}
				if len(page.Entries) < n {
					t.Errorf("read at min_sequence %d shows %d notes, want at least %d", seq, len(page.Entries), n)
				}
			}
		}()
	}
	wg.Wait()
	if n := h.api.pages.bytes(); n > 64<<10 {
		t.Errorf("the cache holds %d bytes, bound %d", n, 64<<10)
	}
}
