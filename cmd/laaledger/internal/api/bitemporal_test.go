package api

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/projections"
)

// agreementAt reads Hartlepool's agreement over HTTP with the given query
// (known_at=…, as_of=… or none for the current state).
func agreementAt(t *testing.T, h *harness, query string) laa.Agreement {
	t.Helper()
	return stateAt[laa.Agreement](t, h, "/v1/agreements/00EB/2008-11", query)
}

// assessmentAt reads Hartlepool's 2009 area assessment over HTTP with the
// given query.
func assessmentAt(t *testing.T, h *harness, query string) caa.AreaAssessment {
	t.Helper()
	return stateAt[caa.AreaAssessment](t, h, "/v1/assessments/00EB/2009", query)
}

// stateAt reads the state of the aggregate at path over HTTP with the
// given query.
func stateAt[S any](t *testing.T, h *harness, path, query string) S {
	t.Helper()
	r := h.do(req{method: "GET", path: path + "?" + query, token: tokAuditor})
	if r.Status != 200 {
		t.Fatalf("GET %s?%s: %d %s", path, query, r.Status, r.Body)
	}
	var v struct {
		State S `json:"state"`
	}
	r.decode(t, &v)
	return v.State
}

// requireCorrectionLinks reads the timeline at path and requires it to
// link each correction to orig, and orig to the corrections in order.
func requireCorrectionLinks(t *testing.T, h *harness, path, orig string, corrections ...string) {
	t.Helper()
	page := timelinePage(t, h, path, tokAuditor)
	for _, c := range corrections {
		if got := page.Corrects[c]; got != orig {
			t.Errorf("timeline: correction %s corrects %q, want %s", c, got, orig)
		}
	}
	if got := page.CorrectedBy[orig]; fmt.Sprint(got) != fmt.Sprint(corrections) {
		t.Errorf("timeline: %s corrected by %v, want %v", orig, got, corrections)
	}
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
	agreed := timelinePage(t, h, "/v1/agreements/00EB/2008-11/timeline?type=laa.TargetAgreed&limit=100", tokAuditor)
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
		t.Fatalf("no agreement of NI 152 in %+v", agreed.Entries)
	}
	was := origBody.Values["2008/09"]

	before := agreementAt(t, h, "")
	if before.LastAt.Before(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("the demo agreement's acts end at %s, want 2010", before.LastAt)
	}
	recordedBefore := time.Now().UTC()

	// The late outturn: dated before the agreement's latest act.
	r := h.do(req{method: "POST", path: "/v1/commands/laa.RecordOutturn", token: tokLA, header: map[string]string{"Idempotency-Key": "late-outturn"},
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
	requireCorrectionLinks(t, h, "/v1/agreements/00EB/2008-11/timeline?limit=500", orig.EventID, correctionID)

	// A second correction names the original as "<command id>#<index>";
	// the links give event ids, both corrections in the canonical order.
	corrected.Values["2008/09"] = was - 1
	r = h.do(req{method: "POST", path: "/v1/commands/laa.RecordCorrection", token: tokLA, header: map[string]string{"Idempotency-Key": "correct-ni112-again"},
		body: mustJSON(t, map[string]any{"occurred_at": orig.OccurredAt.Add(time.Second).Format(time.RFC3339Nano), "reason": "the typing error was one, not two",
			"command": laa.RecordCorrection{Agreement: "00EB/2008-11", CorrectsEventID: fmt.Sprintf("%s#%d", orig.CommandID, orig.Index),
				Reason: "the typing error was one, not two", CorrectedType: "laa.TargetAgreed", Corrected: mustJSON(t, corrected)}})})
	if r.Status != 201 {
		t.Fatalf("second correction: %d %s", r.Status, r.Body)
	}
	r.decode(t, &res)
	secondID := res.Events[0].EventID
	requireCorrectionLinks(t, h, fmt.Sprintf("/v1/agreements/00EB/2008-11/timeline?limit=500&min_sequence=%d", res.Sequence),
		orig.EventID, correctionID, secondID)
}

// For random late outturns and corrections, the write side's state after
// each command (the service's, from its cache and refolds) equals the read
// side's current state and the state as now known at the end of time.
func TestWriteSideStateEqualsReadSideAfterLateFactsAndCorrections(t *testing.T) {
	h, tokenOf := demoHarness(t)
	runDemoOverHTTP(t, h, tokenOf, false)
	rng := rand.New(rand.NewSource(1132009))
	ref := domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"}
	type outturn struct {
		id   string
		body laa.OutturnRecorded
	}
	var outturns []outturn
	for i := range 25 {
		day := time.Date(2009, 4, 2, 10, 0, 0, 0, time.UTC).AddDate(0, 0, rng.Intn(360))
		var (
			r    *resp
			sent laa.OutturnRecorded
		)
		if len(outturns) == 0 || rng.Intn(2) == 0 {
			sent = laa.OutturnRecorded{Target: "NI 152", Year: "2008/09", Value: float64(rng.Intn(400)) / 10, Source: fmt.Sprintf("return %d", i), At: day}
			r = h.do(req{method: "POST", path: "/v1/commands/laa.RecordOutturn", token: tokLA, header: map[string]string{"Idempotency-Key": fmt.Sprintf("p-%d", i)},
				body: mustJSON(t, map[string]any{"occurred_at": day.Format(time.RFC3339), "reason": "late return",
					"command": laa.RecordOutturn{Agreement: ref.ID, Target: sent.Target, Year: sent.Year, Value: sent.Value, Source: sent.Source}})})
		} else {
			orig := outturns[rng.Intn(len(outturns))]
			body := orig.body
			body.Value = float64(rng.Intn(400)) / 10
			at := body.At.AddDate(0, 0, rng.Intn(30))
			r = h.do(req{method: "POST", path: "/v1/commands/laa.RecordCorrection", token: tokLA, header: map[string]string{"Idempotency-Key": fmt.Sprintf("p-%d", i)},
				body: mustJSON(t, map[string]any{"occurred_at": at.Format(time.RFC3339Nano), "reason": "wrong value",
					"command": laa.RecordCorrection{Agreement: ref.ID, CorrectsEventID: orig.id, Reason: "wrong value",
						CorrectedType: "laa.OutturnRecorded", Corrected: mustJSON(t, body)}})})
		}
		if r.Status != 201 {
			t.Fatalf("command %d: %d %s", i, r.Status, r.Body)
		}
		var res CommandResult
		r.decode(t, &res)
		if res.Events[0].Type == "laa.OutturnRecorded" {
			outturns = append(outturns, outturn{res.Events[0].EventID, sent})
		}
		st, _, err := h.svc.State(t.Context(), ref)
		if err != nil {
			t.Fatal(err)
		}
		write := mustString(t, st)
		read := mustString(t, agreementAt(t, h, fmt.Sprintf("min_sequence=%d", res.Sequence)))
		known := mustString(t, agreementAt(t, h, "known_at=2099-01-01T00:00:00Z"))
		if write != read || read != known {
			t.Fatalf("command %d (%s): the states differ\nwrite %s\n read %s\nknown %s", i, res.Events[0].Type, write, read, known)
		}
	}
}

// A published CAA flag's colour corrected over HTTP: the correction of the
// change that set Hartlepool's green flag G1 says it was red. The current
// state and the view as now known after the change show red; the view as
// recorded before the correction shows green; the timeline links the two
// both ways; and a correction of another kind's event type is refused
// with problem+json naming the rule.
func TestCAACorrectionChangesThePublishedFlag(t *testing.T) {
	h, tokenOf := demoHarness(t)
	runDemoOverHTTP(t, h, tokenOf, false)

	changed := timelinePage(t, h, "/v1/assessments/00EB/2009/timeline?type=caa.FlagChanged&limit=100", tokAuditor)
	if len(changed.Entries) != 1 {
		t.Fatalf("flag changes of 00EB/2009: %+v", changed.Entries)
	}
	orig := changed.Entries[0]
	var body caa.FlagChanged
	if err := json.Unmarshal(orig.Data, &body); err != nil {
		t.Fatal(err)
	}
	before := assessmentAt(t, h, "")
	if f := before.Flags["G1"]; f.Colour != caa.FlagGreen || !before.Published {
		t.Fatalf("G1 before the correction: %+v (published %v)", f, before.Published)
	}
	recordedBefore := time.Now().UTC()

	post := func(key string, cmd caa.RecordCorrection) *resp {
		return h.do(req{method: "POST", path: "/v1/commands/caa.RecordCorrection", token: tokAC, header: map[string]string{"Idempotency-Key": key},
			body: mustJSON(t, map[string]any{"occurred_at": "2009-12-20T10:00:00Z", "reason": cmd.Reason, "command": cmd})})
	}
	wrong := post("caa-correct-wrong", caa.RecordCorrection{CAAKey: caa.CAAKey{Area: "00EB", Year: 2009}, CorrectsEventID: orig.EventID,
		Reason: "wrong kind", CorrectedType: "oa.ScoresProposed", Corrected: json.RawMessage(`{"managing_performance":2}`)})
	if wrong.Status != 422 && wrong.Status != 400 || !strings.Contains(string(wrong.Body), "caa.correction_type") {
		t.Fatalf("correction with another kind's type: %d %s", wrong.Status, wrong.Body)
	}

	fixed := body
	fixed.Colour = caa.FlagRed
	r := post("caa-correct-g1", caa.RecordCorrection{CAAKey: caa.CAAKey{Area: "00EB", Year: 2009}, CorrectsEventID: orig.EventID,
		Reason: "the published flag was red", CorrectedType: "caa.FlagChanged", Corrected: mustJSON(t, fixed)})
	if r.Status != 201 {
		t.Fatalf("correction: %d %s", r.Status, r.Body)
	}
	var res CommandResult
	r.decode(t, &res)
	correctionID := res.Events[0].EventID

	if f := assessmentAt(t, h, fmt.Sprintf("min_sequence=%d", res.Sequence)).Flags["G1"]; f.Colour != caa.FlagRed {
		t.Errorf("current: G1 is %s, want the corrected red", f.Colour)
	}
	if f := assessmentAt(t, h, fmt.Sprintf("known_at=2009-12-31T00:00:00Z&min_sequence=%d", res.Sequence)).Flags["G1"]; f.Colour != caa.FlagRed {
		t.Errorf("known_at 2009-12-31: G1 is %s, want the corrected red", f.Colour)
	}
	if f := assessmentAt(t, h, "as_of="+url.QueryEscape(recordedBefore.Format(time.RFC3339Nano))).Flags["G1"]; f.Colour != caa.FlagGreen {
		t.Errorf("as_of before the correction: G1 is %s, want the original green", f.Colour)
	}

	requireCorrectionLinks(t, h, "/v1/assessments/00EB/2009/timeline?limit=500", orig.EventID, correctionID)
}
