package api

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
)

func TestQueriesOverTheDemoLedger(t *testing.T) {
	h, tokenOf := demoHarness(t, func(c *Config) {
		lq := NewLedgerQueries(c.Feed.(*eventstore.Store), service.Kinds())
		c.Queries, c.Progress = lq, lq
	})
	results := runDemoOverHTTP(t, h, tokenOf, false)
	last := results[len(results)-1].Sequence
	_, version, err := h.svc.State(t.Context(), domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"})
	if err != nil {
		t.Fatal(err)
	}

	// Current state, with the read-your-writes wait on the last command.
	r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/agreements/00EB/2008-11?min_sequence=%d", last), token: tokScrutiny})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var view struct {
		Version uint64           `json:"version"`
		Basis   Basis            `json:"basis"`
		State   domain.Agreement `json:"state"`
	}
	r.decode(t, &view)
	if view.Version != version || view.Basis != Current || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, version) {
		t.Errorf("version %d basis %s ETag %s, want %d", view.Version, view.Basis, r.Header.Get("ETag"), version)
	}
	if got := view.State.Targets["NI 112"].Values["2010/11"]; got != 46.0 {
		t.Errorf("NI 112 2010/11 = %v over HTTP", got)
	}

	// As known at a business time before approval: an earlier version.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?known_at=2008-06-15T00:00:00Z", token: tokAuditor})
	var early struct {
		Version uint64 `json:"version"`
		Basis   Basis  `json:"basis"`
		At      string `json:"at"`
	}
	r.decode(t, &early)
	if r.Status != 200 || early.Version == 0 || early.Version >= version || early.Basis != Known {
		t.Errorf("known_at: %d %+v (current %d)", r.Status, early, version)
	}
	// As recorded before the ledger held anything: not found.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?as_of=2001-01-01T00:00:00Z", token: tokAuditor})
	if r.Status != 404 {
		t.Errorf("as_of before the ledger: %d %s", r.Status, r.Body)
	}

	// The agreement's timeline, page by page, is every event once, in
	// business-time order.
	var all []TimelineEntry
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the timeline does not end")
		}
		r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?limit=7&after=" + url.QueryEscape(after), token: tokScrutiny})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var p TimelinePage
		r.decode(t, &p)
		all = append(all, p.Entries...)
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	if uint64(len(all)) != version {
		t.Fatalf("timeline has %d events, the agreement %d", len(all), version)
	}
	seen := map[string]bool{}
	for i, e := range all {
		if seen[e.EventID] {
			t.Errorf("event %s twice", e.EventID)
		}
		seen[e.EventID] = true
		if i > 0 && e.OccurredAt.Before(all[i-1].OccurredAt) {
			t.Errorf("entry %d out of business-time order", i)
		}
	}
	typ := all[0].Type
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?type=" + url.QueryEscape(typ), token: tokScrutiny})
	var typed TimelinePage
	r.decode(t, &typed)
	for _, e := range typed.Entries {
		if e.Type != typ {
			t.Errorf("type filter %s let through %s", typ, e.Type)
		}
	}
	from, to := all[2].OccurredAt, all[5].OccurredAt
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?from=" + from.Format(time.RFC3339Nano) + "&to=" + to.Format(time.RFC3339Nano), token: tokScrutiny})
	var window TimelinePage
	r.decode(t, &window)
	for _, e := range window.Entries {
		if e.OccurredAt.Before(from) || !e.OccurredAt.Before(to) {
			t.Errorf("window [%s, %s) let through %s", from, to, e.OccurredAt)
		}
	}

	// An area's timeline spans its agreement and its assessment.
	r = h.do(req{method: "GET", path: "/v1/timeline?area=00EB&limit=1000", token: tokScrutiny})
	var area TimelinePage
	r.decode(t, &area)
	kinds := map[string]bool{}
	for _, e := range area.Entries {
		kinds[e.Aggregate.Kind] = true
	}
	if !kinds[domain.KindAgreement] || !kinds[domain.KindAreaAssessment] {
		t.Errorf("area timeline kinds %v", kinds)
	}
	r = h.do(req{method: "GET", path: "/v1/timeline?actor=" + url.QueryEscape(all[0].Actor.ID), token: tokScrutiny})
	var byActor TimelinePage
	r.decode(t, &byActor)
	if len(byActor.Entries) == 0 {
		t.Errorf("no events by %s", all[0].Actor.ID)
	}

	r = h.do(req{method: "GET", path: "/v1/assessments/00EB/2009", token: tokScrutiny})
	if r.Status != 200 {
		t.Errorf("assessment: %d %s", r.Status, r.Body)
	}
	r = h.do(req{method: "GET", path: "/v1/indicators/112", token: tokScrutiny})
	var ind domain.Indicator
	r.decode(t, &ind)
	if r.Status != 200 || ind.NI != 112 || ind.Title == "" {
		t.Errorf("indicator: %d %s", r.Status, r.Body)
	}
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?after=not-a-cursor", token: tokScrutiny})
	if r.Status != 400 || r.problem(t).Code != "bad_cursor" {
		t.Errorf("bad cursor: %d %s", r.Status, r.Body)
	}
}
