package laa

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

// recordedPast is what the ledger would have recorded of the fixture's
// events: ids "e<n>", bodies as stored, business times from the events.
type recordedPast struct {
	past  domain.Past
	stamp []domain.Stamped
}

func (p *recordedPast) add(t testing.TB, evs []domain.Event, at time.Time) {
	t.Helper()
	for i, e := range evs {
		data, err := json.Marshal(e)
		domaintest.NoErr(t, err, "encode")
		id := "e" + string(rune('a'+len(p.past)%26)) + string(rune('a'+len(p.past)/26))
		p.past = append(p.past, domain.Recorded{EventID: id, Type: e.EventType(), Timing: domain.TimingOf(e), OccurredAt: at, Data: data})
		p.stamp = append(p.stamp, domain.Stamped{Event: e, EventID: id, Sequence: uint64(len(p.stamp) + 1), Index: i, OccurredAt: at})
	}
}

// An outturn dated before the agreement's latest act is accepted (it used
// to be refused with laa.time_order), an act so dated is still refused,
// and a fact dated before the agreement was opened is refused.
func TestLateOutturnIsAcceptedAndBackdatedActRefused(t *testing.T) {
	f := newFixture().approved(t)
	f.at = time.Date(2010, 3, 31, 0, 0, 0, 0, time.UTC)
	f.must(t, laHP, HoldAnnualReview{Agreement: hpID, Year: "2009/10"})
	latest := f.a.LastAt

	f.at = time.Date(2009, 5, 14, 0, 0, 0, 0, time.UTC)
	evs := f.must(t, lspHP, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 61.5, Source: "late"})
	domaintest.Equal(t, evs[0].(OutturnRecorded).At, time.Date(2009, 5, 15, 0, 0, 0, 0, time.UTC), "outturn dated")
	domaintest.Equal(t, f.a.LastAt, latest, "a fact moved the time-order anchor")

	f.at = time.Date(2009, 5, 14, 0, 0, 0, 0, time.UTC)
	_, err := f.decide(goNE, HoldAnnualReview{Agreement: hpID, Year: "2008/09"})
	domaintest.WantRule(t, err, "laa.time_order")

	f.at = f.a.OpenedAt.Add(-48 * time.Hour)
	_, err = f.decide(lspHP, RecordCorrection{Agreement: hpID, CorrectsEventID: "x", Reason: "r"})
	domaintest.WantRule(t, err, "laa.time_order")

	f.at = time.Date(2008, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err = f.decide(lspHP, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2009/10", Value: 1, Source: "s"})
	domaintest.WantRule(t, err, "laa.outturn_before_year")
}

// A correction with a corrected body changes the fold: the corrected
// value shows wherever the correction counts (it used to change nothing
// but the corrections list). Its type must be the original's and its
// business time the original's.
func TestCorrectionReplacesTheCorrectedBodyInTheFold(t *testing.T) {
	f := newFixture().approved(t).outturnsDue()
	rec := &recordedPast{}
	f.ctx.History = nil
	at := f.at.Add(24 * time.Hour)
	before := f.a
	evs := f.must(t, lspHP, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 61.5, Source: "s"})
	rec.add(t, evs, at)
	orig := rec.past[0]
	f.ctx.History = rec.past

	fix := OutturnRecorded{Target: "NI 112", Year: "2008/09", Value: 59.5, Source: "s"}
	body, _ := json.Marshal(fix)
	cmd := RecordCorrection{Agreement: hpID, CorrectsEventID: orig.EventID, Reason: "typo", CorrectedType: "laa.OutturnRecorded", Corrected: body}

	wrong := cmd
	wrong.CorrectedType = "laa.TargetAgreed"
	_, err := f.decide(goNE, wrong)
	domaintest.WantRule(t, err, "laa.correction_type")

	moved := fix
	moved.At = at.AddDate(0, 1, 0)
	wrongTime := cmd
	wrongTime.Corrected, _ = json.Marshal(moved)
	_, err = f.decide(goNE, wrongTime)
	domaintest.WantRule(t, err, "laa.correction_time")

	other := fix
	other.Target = "NI 4"
	wrongTarget := cmd
	wrongTarget.Corrected, _ = json.Marshal(other)
	_, err = f.decide(goNE, wrongTarget)
	domaintest.WantRule(t, err, "laa.correction_payload")

	// The corrected body is held to the input rules of the command that
	// recorded the original: no number left out, none out of range, no
	// text no field may hold; the refusal names the field under corrected.
	for _, tc := range []struct{ body, rule, field string }{
		{`{"target":"NI 112","year":"2008/09","value":-1e300,"source":"s"}`, "command.value_out_of_range", "corrected.value"},
		{`{"target":"NI 112","year":"2008/09","source":"s"}`, "command.missing_field", "corrected.value"},
		{`{"target":"NI 112","year":"2008/09","value":59.5,"source":"bad\u0007text"}`, domain.RuleBadText, "corrected.source"},
	} {
		bad := cmd
		bad.Corrected = json.RawMessage(tc.body)
		_, err = f.decide(goNE, bad)
		domaintest.WantRule(t, err, tc.rule)
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want it to name %s", tc.body, err, tc.field)
		}
	}

	f.at = at.Add(-24 * time.Hour) // the decision dates it a day on: the original's time
	evs = f.must(t, goNE, cmd)
	rec.add(t, evs, at)
	c := evs[0].(CorrectionRecorded)
	domaintest.Equal(t, c.At, at, "correction dated at the original's time")

	// The fold of the two events in the canonical order shows 59.5.
	s := domain.FoldCanonical(before, Agreement.Apply, rec.stamp)
	outs := s.Targets["NI 112"].Outturns["2008/09"]
	if len(outs) != 1 || outs[0].Value != 59.5 {
		t.Fatalf("outturns after the correction: %+v, want one of 59.5", outs)
	}
	if len(s.Corrections) != 1 || s.Corrections[0].Type != "laa.OutturnRecorded" {
		t.Errorf("corrections: %+v", s.Corrections)
	}
}
