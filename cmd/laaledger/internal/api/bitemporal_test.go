package api

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/projections"
)

// agreementAt reads Hartlepool's agreement over HTTP with the given query
// (known_at=…, as_of=… or none for the current state).
func agreementAt(t *testing.T, h *harness, query string) laa.Agreement {
	t.Helper()
	r := h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11?" + query, token: tokAuditor})
	if r.Status != 200 {
		t.Fatalf("GET agreement ?%s: %d %s", query, r.Status, r.Body)
	}
	var v struct {
		State laa.Agreement `json:"state"`
	}
	r.decode(t, &v)
	return v.State
}

func outturnValues(a laa.Agreement, key, year string) []float64 {
	var out []float64
	for _, o := range a.Targets[key].Outturns[year] {
		out = append(out, o.Value)
	}
	return out
}

// A late fact and a backdated correction over HTTP: Hartlepool's agreement
// runs into 2010; an outturn dated May 2009 and a correction of NI 152's
// 2008 agreed value, dated when it was agreed, are both accepted. The view
// as now known at 1 June 2009 shows them; the view as recorded before they
// were recorded shows the originals; the timeline links correction and
// original both ways.
func TestLateFactAndCorrectionAreFoldedAsNowKnownAndNotAsRecorded(t *testing.T) {
	h, tokenOf := demoHarness(t)
	runDemoOverHTTP(t, h, tokenOf, false)

	// NI 152's agreement event, the one the correction corrects (NI 112's
	// agreed values are restated whole by its 2010 refresh revision).
	r := h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?type=laa.TargetAgreed&limit=100", token: tokAuditor})
	var agreed projections.TimelinePage
	r.decode(t, &agreed)
	var orig projections.Entry
	var origBody laa.TargetAgreed
	for _, e := range agreed.Entries {
		var b laa.TargetAgreed
		if err := json.Unmarshal(e.Data, &b); err != nil {
			t.Fatal(err)
		}
		if b.Target == "NI 152" {
			orig, origBody = e, b
		}
	}
	if orig.EventID == "" {
		t.Fatalf("no agreement of NI 152 in %s", r.Body)
	}
	was := origBody.Values["2008/09"]

	before := agreementAt(t, h, "")
	if before.LastAt.Before(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("the demo agreement's acts end at %s, want 2010", before.LastAt)
	}
	recordedBefore := time.Now().UTC()

	// The late outturn: dated before the agreement's latest act.
	r = h.do(req{method: "POST", path: "/v1/commands/laa.RecordOutturn", token: tokLA, header: map[string]string{"Idempotency-Key": "late-outturn"},
		body: mustJSON(t, map[string]any{"occurred_at": "2009-05-15T10:00:00Z", "reason": "early return found in the archive",
			"command": laa.RecordOutturn{Agreement: "00EB/2008-11", Target: "NI 112", Year: "2008/09", Value: 61.5, Source: "illustrative: early estimate"}})})
	if r.Status != 201 {
		t.Fatalf("late outturn: %d %s", r.Status, r.Body)
	}

	// The correction of the 2008 agreed value, dated at the original's time.
	corrected := origBody
	corrected.Values = laa.Values{}
	for y, v := range origBody.Values {
		corrected.Values[y] = v
	}
	corrected.Values["2008/09"] = was - 2
	r = h.do(req{method: "POST", path: "/v1/commands/laa.RecordCorrection", token: tokLA, header: map[string]string{"Idempotency-Key": "correct-ni112"},
		body: mustJSON(t, map[string]any{"occurred_at": orig.OccurredAt.Format(time.RFC3339Nano), "reason": "typing error in the agreed 2008/09 value",
			"command": laa.RecordCorrection{Agreement: "00EB/2008-11", CorrectsEventID: orig.EventID, Reason: "typing error in the agreed 2008/09 value",
				CorrectedType: "laa.TargetAgreed", Corrected: mustJSON(t, corrected)}})})
	if r.Status != 201 {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	var res CommandResult
	r.decode(t, &res)
	correctionID := res.Events[0].EventID

	// As now known at 1 June 2009: the corrected value and the late outturn.
	known := agreementAt(t, h, fmt.Sprintf("known_at=2009-06-01T00:00:00Z&min_sequence=%d", res.Sequence))
	if got := known.Targets["NI 152"].Values["2008/09"]; got != was-2 {
		t.Errorf("known_at 2009-06-01: NI 152 2008/09 = %v, want the corrected %v", got, was-2)
	}
	if got := outturnValues(known, "NI 112", "2008/09"); fmt.Sprint(got) != "[61.5]" {
		t.Errorf("known_at 2009-06-01: outturns %v, want the late [61.5]", got)
	}

	// As recorded before the two were recorded: the originals.
	asOf := agreementAt(t, h, "as_of="+url.QueryEscape(recordedBefore.Format(time.RFC3339Nano)))
	if got := asOf.Targets["NI 152"].Values["2008/09"]; got != was {
		t.Errorf("as_of before the correction: NI 152 2008/09 = %v, want the original %v", got, was)
	}
	if got, want := outturnValues(asOf, "NI 112", "2008/09"), outturnValues(before, "NI 112", "2008/09"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("as_of before the late outturn: outturns %v, want %v", got, want)
	}

	// The current state: corrected, and the late outturn in business-time
	// order before the later ones.
	now := agreementAt(t, h, "")
	if got := now.Targets["NI 152"].Values["2008/09"]; got != was-2 {
		t.Errorf("current: NI 152 2008/09 = %v, want the corrected %v", got, was-2)
	}
	if got, want := outturnValues(now, "NI 112", "2008/09"), append([]float64{61.5}, outturnValues(before, "NI 112", "2008/09")...); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("current outturns %v, want %v", got, want)
	}
	if !now.LastAt.Equal(before.LastAt) {
		t.Errorf("facts moved the time-order anchor: %s, was %s", now.LastAt, before.LastAt)
	}
	if n := len(now.Corrections); n == 0 || now.Corrections[n-1].CorrectsEventID != orig.EventID || now.Corrections[n-1].Type != "laa.TargetAgreed" {
		t.Errorf("corrections: %+v", now.Corrections)
	}

	// The timeline links them both ways.
	r = h.do(req{method: "GET", path: "/v1/agreements/00EB/2008-11/timeline?limit=500", token: tokAuditor})
	var page projections.TimelinePage
	r.decode(t, &page)
	if got := page.Corrects[correctionID]; got != orig.EventID {
		t.Errorf("timeline: correction %s corrects %q, want %s", correctionID, got, orig.EventID)
	}
	if got := page.CorrectedBy[orig.EventID]; len(got) != 1 || got[0] != correctionID {
		t.Errorf("timeline: %s corrected by %v, want [%s]", orig.EventID, got, correctionID)
	}
}
