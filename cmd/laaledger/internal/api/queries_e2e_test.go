package api

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func TestQueriesOverTheDemoLedger(t *testing.T) {
	h, tokenOf := demoHarness(t)
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
		Version uint64            `json:"version"`
		Basis   projections.Basis `json:"basis"`
		State   laa.Agreement     `json:"state"`
	}
	r.decode(t, &view)
	if view.Version != version || view.Basis != projections.Current || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, version) {
		t.Errorf("version %d basis %s ETag %s, want %d", view.Version, view.Basis, r.Header.Get("ETag"), version)
	}
	if got := view.State.Targets["NI 112"].Values["2010/11"]; got != 46.0 {
		t.Errorf("NI 112 2010/11 = %v over HTTP", got)
	}
	hp := view.State

	// As known at a business time before approval: an earlier version.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?known_at=2008-06-15T00:00:00Z", token: tokAuditor})
	var early struct {
		Version uint64            `json:"version"`
		Basis   projections.Basis `json:"basis"`
		At      string            `json:"at"`
	}
	r.decode(t, &early)
	if r.Status != 200 || early.Version == 0 || early.Version >= version || early.Basis != projections.Known {
		t.Errorf("known_at: %d %+v (current %d)", r.Status, early, version)
	}
	// As recorded now: the current state, folded from the timeline.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?as_of=" + time.Now().UTC().Format(time.RFC3339Nano), token: tokAuditor})
	var recorded struct {
		Version uint64            `json:"version"`
		Basis   projections.Basis `json:"basis"`
		State   laa.Agreement     `json:"state"`
	}
	r.decode(t, &recorded)
	if r.Status != 200 || recorded.Version != version || recorded.Basis != projections.Recorded || mustString(t, recorded.State) != mustString(t, view.State) {
		t.Errorf("as_of now: %d version %d basis %s, want the current state at %d", r.Status, recorded.Version, recorded.Basis, version)
	}
	// As recorded before the ledger held anything: not found.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?as_of=2001-01-01T00:00:00Z", token: tokAuditor})
	if r.Status != 404 {
		t.Errorf("as_of before the ledger: %d %s", r.Status, r.Body)
	}

	// The agreement's timeline, page by page, is every event once, in
	// business-time order.
	var all []projections.Entry
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the timeline does not end")
		}
		r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?limit=7&after=" + url.QueryEscape(after), token: tokScrutiny})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var p projections.TimelinePage
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
	typed := timelinePage(t, h, "/v1/agreements/00EB/2008-11/timeline?type="+url.QueryEscape(typ), tokScrutiny)
	for _, e := range typed.Entries {
		if e.Type != typ {
			t.Errorf("type filter %s let through %s", typ, e.Type)
		}
	}
	from, to := all[2].OccurredAt, all[5].OccurredAt
	window := timelinePage(t, h, "/v1/agreements/00EB/2008-11/timeline?from="+from.Format(time.RFC3339Nano)+"&to="+to.Format(time.RFC3339Nano), tokScrutiny)
	for _, e := range window.Entries {
		if e.OccurredAt.Before(from) || !e.OccurredAt.Before(to) {
			t.Errorf("window [%s, %s) let through %s", from, to, e.OccurredAt)
		}
	}

	// An area's timeline spans its agreement and its assessment.
	area := timelinePage(t, h, "/v1/timeline?area=00EB&limit=1000", tokScrutiny)
	kinds := map[string]bool{}
	for _, e := range area.Entries {
		kinds[e.AggregateKind] = true
	}
	if !kinds[domain.KindAgreement] || !kinds[domain.KindAreaAssessment] {
		t.Errorf("area timeline kinds %v", kinds)
	}
	byActor := timelinePage(t, h, "/v1/timeline?actor="+url.QueryEscape(all[0].Actor.ID), tokScrutiny)
	if len(byActor.Entries) == 0 {
		t.Errorf("no events by %s", all[0].Actor.ID)
	}
	for _, e := range byActor.Entries {
		if e.Actor.ID != all[0].Actor.ID {
			t.Errorf("actor timeline of %s has an event by %s", all[0].Actor.ID, e.Actor.ID)
		}
	}
	byOrg := timelinePage(t, h, "/v1/timeline?organisation=00EB&limit=1000", tokScrutiny)
	if len(byOrg.Entries) == 0 {
		t.Errorf("no events by anyone acting for 00EB")
	}
	for _, e := range byOrg.Entries {
		if e.Actor.Organisation != "00EB" {
			t.Errorf("organisation timeline of 00EB has an event by %+v", e.Actor)
		}
	}
	r = h.do(req{method: "GET", path: "/v1/timeline?area=00EB&from=2009-01-01T00:00:00Z&to=2008-01-01T00:00:00Z", token: tokScrutiny})
	if r.Status != 400 {
		t.Errorf("empty range: %d %s", r.Status, r.Body)
	}

	r = h.do(req{method: "GET", path: "/v1/assessments/00EB/2009", token: tokScrutiny})
	if r.Status != 200 {
		t.Errorf("assessment: %d %s", r.Status, r.Body)
	}
	// The state has the snake_case names of the document's
	// AreaAssessmentState, as the agreement's have.
	var assessment struct {
		State map[string]any `json:"state"`
	}
	r.decode(t, &assessment)
	if err := h.api.OpenAPI().Components.Schemas["AreaAssessmentState"].Value.VisitJSON(assessment.State); err != nil {
		t.Errorf("assessment state does not match AreaAssessmentState: %v\n%s", err, r.Body)
	}
	if _, ok := assessment.State["published_on"]; !ok {
		t.Errorf("assessment state has no published_on: %s", r.Body)
	}

	// NI 112 across the areas: the catalogue's entry and Hartlepool's
	// target with its rounds, the same rounds as the target's own page.
	r = h.do(req{method: "GET", path: "/v1/indicators/112", token: tokScrutiny})
	var ind projections.IndicatorView
	r.decode(t, &ind)
	if r.Status != 200 || ind.Indicator == nil || ind.Indicator.NI != 112 || ind.Indicator.Title == "" || len(ind.Targets) != 1 {
		t.Fatalf("indicator: %d %s", r.Status, r.Body)
	}
	if got := ind.Targets[0]; got.Area != "00EB" || got.Target.Key != "NI 112" || len(got.Rounds) < 2 {
		t.Errorf("NI 112 target %+v", got)
	}
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/targets/NI%20112/rounds", token: tokScrutiny})
	var rounds projections.TargetRounds
	r.decode(t, &rounds)
	if r.Status != 200 || mustString(t, rounds.Rounds) != mustString(t, ind.Targets[0].Rounds) {
		t.Errorf("rounds: %d %s", r.Status, r.Body)
	}
	// The GO's counter-proposal is the second round, and its change is
	// from the LSP's opening proposal.
	if len(rounds.Rounds) < 2 || rounds.Rounds[1].Side != laa.SideGO || rounds.Rounds[1].Change == nil {
		t.Fatalf("rounds %s", r.Body)
	}
	for y, d := range rounds.Rounds[1].Change {
		if want := rounds.Rounds[1].Values[y] - rounds.Rounds[0].Values[y]; d != want {
			t.Errorf("change %s = %v, want %v", y, d, want)
		}
	}
	h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/targets/NI%20999/rounds", token: tokScrutiny}).wantProblem(t, 404, "target.not_found")
	h.do(req{method: "GET", path: "/v1/indicators/998", token: tokScrutiny}).wantProblem(t, 404, "indicator.not_found")

	r = h.do(req{method: "GET", path: "/v1/dashboard", token: tokAuditor})
	var dash projections.DashboardView
	r.decode(t, &dash)
	if r.Status != 200 || dash.AgreementsByRegion["North East"][hp.Status] == 0 || dash.TargetsByIndicator[112] == nil {
		t.Errorf("dashboard: %d %s", r.Status, r.Body)
	}
	h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?after=not-a-cursor", token: tokScrutiny}).wantProblem(t, 400, "bad_cursor")
}

// recordOutturn records an outturn on Hartlepool's NI 112 over HTTP and
// returns the command's result.
func recordOutturn(t *testing.T, h *harness, key string, value float64) CommandResult {
	t.Helper()
	r := h.do(req{method: "POST", path: "/v1/commands/laa.RecordOutturn", token: tokLA,
		header: map[string]string{"Idempotency-Key": key},
		body: mustJSON(t, map[string]any{"occurred_at": "2011-07-01T10:00:00Z", "reason": "annual return",
			"command": laa.RecordOutturn{Agreement: "00EB/2008-11", Target: "NI 112", Year: "2010/11", Value: value, Source: "test"}})})
	if r.Status != 201 {
		t.Fatalf("outturn: %d %s", r.Status, r.Body)
	}
	var res CommandResult
	r.decode(t, &res)
	return res
}

func outturnOf(t *testing.T, r *resp) float64 {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var v struct {
		View struct {
			Targets []struct {
				Key      string                 `json:"key"`
				Outturns map[string]laa.Outturn `json:"outturns"`
			} `json:"targets"`
		} `json:"view"`
	}
	r.decode(t, &v)
	for _, tg := range v.View.Targets {
		if tg.Key == "NI 112" {
			return tg.Outturns["2010/11"].Value
		}
	}
	t.Fatalf("no NI 112 in %s", r.Body)
	return 0
}

func TestCommandThenQueryWithMinSequenceSeesTheChange(t *testing.T) {
	h, tokenOf := demoHarness(t)
	runDemoOverHTTP(t, h, tokenOf, false)
	for i, v := range []float64{44.5, 43.25, 47} {
		res := recordOutturn(t, h, fmt.Sprintf("outturn-%d", i), v)
		r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/agreements/00EB/2008-11?min_sequence=%d", res.Sequence), token: tokScrutiny})
		if got := outturnOf(t, r); got != v {
			t.Fatalf("outturn %d: the query after the command shows %v, want %v", i, got, v)
		}
	}
}

func TestMinSequenceWaitsForTheProjections(t *testing.T) {
	// The projections start only after the command, so the query has to
	// wait for them to apply it.
	var runner *projections.Runner
	h, tokenOf := demoHarness(t, func(c *Config) {
		rs, r := openReadSide(t, c.Feed.(*eventstore.Store))
		c.Queries, c.Progress, runner = rs, rs, r
	})
	runDemoOverHTTP(t, h, tokenOf, false)
	res := recordOutturn(t, h, "outturn-late", 41)
	got := make(chan *resp, 1)
	go func() {
		got <- h.do(req{method: "GET", path: fmt.Sprintf("/v1/agreements/00EB/2008-11?min_sequence=%d", res.Sequence), token: tokScrutiny})
	}()
	select {
	case r := <-got:
		t.Fatalf("answered before the projections ran: %d %s", r.Status, r.Body)
	case <-time.After(100 * time.Millisecond):
	}
	runProjections(t, runner)
	if v := outturnOf(t, <-got); v != 41 {
		t.Errorf("outturn %v, want 41", v)
	}
}

func TestMinSequenceBeyondTheLedgerIsNotCaughtUp(t *testing.T) {
	h, tokenOf := demoHarness(t, func(c *Config) { c.WaitTimeout = 50 * time.Millisecond })
	runDemoOverHTTP(t, h, tokenOf, false)
	res := recordOutturn(t, h, "outturn-1", 44)
	begin := time.Now()
	r := h.do(req{method: "GET", path: fmt.Sprintf("/v1/agreements/00EB/2008-11?min_sequence=%d", res.Sequence+1000), token: tokScrutiny})
	took := time.Since(begin)
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	p := r.problem(t)
	if p.Code != "not_caught_up" || p.ReachedSequence == nil || *p.ReachedSequence < res.Sequence {
		t.Errorf("problem %+v", p)
	}
	if took > time.Second {
		t.Errorf("the wait took %s with a 50 ms timeout", took)
	}
}
