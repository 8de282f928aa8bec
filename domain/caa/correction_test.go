package caa

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// ledger decides commands against the state folded in the canonical
// order and records their events as the ledger would, one day apart.
type ledger struct {
	t       *testing.T
	past    domain.Past
	stamped []domain.Stamped
	day     time.Time
}

func newLedger(t *testing.T) *ledger {
	return &ledger{t: t, day: time.Date(2009, 9, 1, 10, 0, 0, 0, time.UTC)}
}

func (l *ledger) area() AreaAssessment {
	return domain.FoldCanonical(AreaAssessment{}, AreaAssessment.Apply, l.stamped)
}

func (l *ledger) org() OrgAssessment {
	return domain.FoldCanonical(OrgAssessment{}, OrgAssessment.Apply, l.stamped)
}

// decide decides cmd and, if it is accepted, records its events; it
// returns the id of the first one.
func (l *ledger) decide(a domain.Actor, cmd domain.Command) (string, error) {
	l.t.Helper()
	l.day = l.day.AddDate(0, 0, 1)
	m := domain.Meta{CommandID: fmt.Sprintf("c%d", len(l.past)), Actor: a, OccurredAt: l.day}
	var (
		evs []domain.Event
		err error
	)
	if cmd.Aggregate().Kind == domain.KindOrgAssessment {
		evs, err = DecideOrgAssessment(l.org(), m, cmd, l.past)
	} else {
		evs, err = DecideAreaAssessment(l.area(), m, cmd, l.past)
	}
	if err != nil {
		return "", err
	}
	first := ""
	for i, e := range evs {
		data, _ := json.Marshal(e)
		id := fmt.Sprintf("ev-%d", len(l.past))
		if i == 0 {
			first = id
		}
		l.past = append(l.past, domain.Recorded{EventID: id, CommandID: m.CommandID, Type: e.EventType(), Timing: domain.TimingOf(e), OccurredAt: m.OccurredAt, Data: data})
		l.stamped = append(l.stamped, domain.Stamped{Event: e, EventID: id, CommandID: m.CommandID, Sequence: uint64(len(l.stamped) + 1), Index: i, OccurredAt: m.OccurredAt})
	}
	return first, nil
}

func (l *ledger) must(a domain.Actor, cmd domain.Command) string {
	l.t.Helper()
	id, err := l.decide(a, cmd)
	if err != nil {
		l.t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	return id
}

func body(t *testing.T, e domain.Event) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A published flag's colour corrected: the canonical fold, and the flag
// the LAA reopening rule reads, show the corrected colour; the fold of
// the events before the correction shows the original.
func TestAreaCorrectionChangesTheFlagInTheFold(t *testing.T) {
	l := newLedger(t)
	l.must(caaAC, OpenAssessment{CAAKey: caaK})
	r1 := l.must(caaInsp, caaR1)
	l.must(caaAC, IssuePrePublicationReport{CAAKey: caaK})
	l.must(caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-09-05"})
	before := len(l.stamped)

	fixed := FlagProposed{FlagID: "R1", Colour: FlagGreen, Theme: caaR1.Theme, Indicators: []int{112, 113}, Rationale: "progress", LeadInspectorate: "Ofsted"}
	l.must(caaAC, RecordCorrection{CAAKey: caaK, CorrectsEventID: r1, Reason: "the flag was green", CorrectedType: "caa.FlagProposed", Corrected: body(t, fixed)})

	s := l.area()
	if f := s.Flags["R1"]; f.Colour != FlagGreen || len(f.Indicators) != 2 || f.Rationale != "progress" || f.Status != StatusStanding {
		t.Fatalf("corrected flag: %+v", f)
	}
	info, ok := s.FlagInfo("R1")
	if !ok || info.Colour != FlagGreen || !info.Published {
		t.Fatalf("flag info after the correction: %+v %v", info, ok)
	}
	if n := len(s.Corrections); n != 1 || s.Corrections[0].CorrectedType != "caa.FlagProposed" || s.Corrections[0].CorrectsEventID != r1 {
		t.Fatalf("corrections: %+v", s.Corrections)
	}
	old := domain.FoldCanonical(AreaAssessment{}, AreaAssessment.Apply, l.stamped[:before])
	if f := old.Flags["R1"]; f.Colour != FlagRed {
		t.Fatalf("flag as recorded before the correction: %+v", f)
	}

	// A correction of the correction: its body replaces the first one's.
	again := fixed
	again.Rationale = "progress on NI 112 and NI 113"
	c1 := l.stamped[len(l.stamped)-1].EventID
	first := CorrectionRecorded{CorrectsEventID: r1, Reason: "the flag was green", CorrectedType: "caa.FlagProposed", Corrected: body(t, again)}
	l.must(caaAC, RecordCorrection{CAAKey: caaK, CorrectsEventID: c1, Reason: "wording", CorrectedType: "caa.CorrectionRecorded", Corrected: body(t, first)})
	if f := l.area().Flags["R1"]; f.Rationale != again.Rationale || f.Colour != FlagGreen {
		t.Fatalf("flag after the correction of the correction: %+v", f)
	}
}

// An organisational score corrected after publication.
func TestOrgCorrectionChangesTheScores(t *testing.T) {
	l := newLedger(t)
	l.must(caaAC, OAOpenAssessment{OAKey: oaK})
	sc := l.must(caaAC, oaTestScores)
	l.must(caaAC, OAIssuePrePublicationReport{OAKey: oaK})
	l.must(caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-09-05"})
	fixed := OAScoresProposed{OrgScores: oaTestScores.OrgScores, Rationale: "r"}
	fixed.UseOfResources = 3
	l.must(caaAC, OARecordCorrection{OAKey: oaK, CorrectsEventID: sc, Reason: "typing error", CorrectedType: "oa.ScoresProposed", Corrected: body(t, fixed)})
	if s := l.org(); s.Scores.UseOfResources != 3 || s.Scores.Overall != 3 || len(s.Corrections) != 1 {
		t.Fatalf("scores after the correction: %+v %+v", s.Scores, s.Corrections)
	}
}

// Each correction the rules refuse, with the rule that refuses it.
func TestCorrectionRefusals(t *testing.T) {
	l := newLedger(t)
	l.must(caaAC, OpenAssessment{CAAKey: caaK})
	r1 := l.must(caaInsp, caaR1)
	g1 := l.must(caaAC, caaG1)
	l.must(caaAC, IssuePrePublicationReport{CAAKey: caaK})
	l.must(caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-09-05"})
	ok := FlagProposed{FlagID: "R1", Colour: FlagRed, Theme: caaR1.Theme, Indicators: []int{112}, Rationale: "better wording", LeadInspectorate: "Ofsted"}
	fix := func(ref, typ string, b any) RecordCorrection {
		raw, _ := json.Marshal(b)
		return RecordCorrection{CAAKey: caaK, CorrectsEventID: ref, Reason: "r", CorrectedType: typ, Corrected: raw}
	}
	with := func(f func(*FlagProposed)) FlagProposed { e := ok; f(&e); return e }
	for _, tc := range []struct {
		desc string
		cmd  domain.Command
		rule string
	}{
		{"another type", fix(r1, "caa.FlagChanged", FlagChanged{FlagID: "R1", Colour: FlagRed, Theme: "t", Indicators: []int{112}, Rationale: "r"}), "caa.correction_type"},
		{"unknown field", fix(r1, "caa.FlagProposed", map[string]any{"flag_id": "R1", "colour": "red", "shade": "dark"}), "caa.correction_payload"},
		{"not an object", RecordCorrection{CAAKey: caaK, CorrectsEventID: r1, Reason: "r", CorrectedType: "caa.FlagProposed", Corrected: json.RawMessage(`[1]`)}, "caa.correction_payload"},
		{"no corrected type", RecordCorrection{CAAKey: caaK, CorrectsEventID: r1, Reason: "r", Corrected: body(t, ok)}, "caa.correction_payload"},
		{"another flag id", fix(r1, "caa.FlagProposed", with(func(e *FlagProposed) { e.FlagID = "R2" })), "caa.correction_payload"},
		{"another theme", fix(r1, "caa.FlagProposed", with(func(e *FlagProposed) { e.Theme = "Housing" })), "caa.correction_payload"},
		{"a colour that is none", fix(r1, "caa.FlagProposed", with(func(e *FlagProposed) { e.Colour = "amber" })), "caa.correction_payload"},
		{"no indicator", fix(r1, "caa.FlagProposed", with(func(e *FlagProposed) { e.Indicators = nil })), "caa.correction_payload"},
		{"an event of another aggregate", fix("ev-oa-1", "caa.FlagProposed", ok), domain.RuleCorrectionUnknownEvent},
		{"a type of another kind", fix(g1, "oa.ScoresProposed", OAScoresProposed{OrgScores: oaTestScores.OrgScores, Rationale: "r"}), "caa.correction_type"},
		{"no note and no body", RecordCorrection{CAAKey: caaK, CorrectsEventID: r1, Reason: "r"}, RuleCAARequired},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := l.decide(caaAC, tc.cmd)
			caaWantRule(t, err, tc.rule)
		})
	}

	// Dated before the event it corrects.
	m := caaMeta(caaAC)
	m.OccurredAt = l.past[1].OccurredAt.Add(-time.Minute)
	_, err := DecideAreaAssessment(l.area(), m, fix(g1, "caa.FlagProposed", caaG1), l.past)
	caaWantRule(t, err, "caa.correction_before_original")

	// Without the ledger's record, a type of the other kind does not decode.
	_, err = DecideAreaAssessment(l.area(), caaMeta(caaAC), fix("e", "oa.ScoresProposed", OAScoresProposed{OrgScores: oaTestScores.OrgScores, Rationale: "r"}), nil)
	caaWantRule(t, err, "caa.correction_payload")

	// A score out of range in an organisational correction.
	o := newLedger(t)
	o.must(caaAC, OAOpenAssessment{OAKey: oaK})
	sc := o.must(caaAC, oaTestScores)
	bad := OAScoresProposed{OrgScores: oaTestScores.OrgScores, Rationale: "r"}
	bad.Overall = 5
	_, err = o.decide(caaAC, OARecordCorrection{OAKey: oaK, CorrectsEventID: sc, Reason: "r", CorrectedType: "oa.ScoresProposed", Corrected: body(t, bad)})
	caaWantRule(t, err, "caa.correction_payload")
	other := OAAssessmentOpened{Org: "00AG", Year: 2009}
	_, err = o.decide(caaAC, OARecordCorrection{OAKey: oaK, CorrectsEventID: o.past[0].EventID, Reason: "r", CorrectedType: "oa.AssessmentOpened", Corrected: body(t, other)})
	caaWantRule(t, err, "caa.correction_payload")
}

// A corrected publication or review decision is checked as the command
// that produced it: a publication date must be a date, and an amendment
// must fit the review it decides (a flag's theme, a score's element).
func TestCorrectedDecisionsAreCheckedAsTheirCommands(t *testing.T) {
	l := newLedger(t)
	l.must(caaAC, OpenAssessment{CAAKey: caaK})
	l.must(caaInsp, caaR1)
	l.must(caaAC, caaG1)
	l.must(caaAC, IssuePrePublicationReport{CAAKey: caaK})
	l.must(caaLSP, caaRR)
	rd := l.must(caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r", Colour: FlagGreen,
		Theme: caaG1.Theme, Indicators: []int{112}, Rationale: "amended"})
	pub := l.must(caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-09-06"})
	fix := func(ref, typ string, b domain.Event) RecordCorrection {
		return RecordCorrection{CAAKey: caaK, CorrectsEventID: ref, Reason: "r", CorrectedType: typ, Corrected: body(t, b)}
	}
	amended := ReviewDecided{RequestID: "RR1", FlagID: "R1", Outcome: ReviewAmended, Reasons: "r", Colour: FlagGreen,
		Theme: caaG1.Theme, Indicators: []int{112, 113}, Rationale: "amended again"}
	clash := amended
	clash.Colour = FlagRed
	upheld := amended
	upheld.Outcome = ReviewUpheld
	for _, tc := range []struct {
		desc string
		cmd  RecordCorrection
		rule string
	}{
		{"a publication date that is none", fix(pub, "caa.AssessmentPublished", AssessmentPublished{PublishedOn: "10 December"}), "caa.correction_payload"},
		{"an upheld review that changes the flag", fix(rd, "caa.ReviewDecided", upheld), "caa.correction_payload"},
		{"an amendment on a theme the other colour holds", fix(rd, "caa.ReviewDecided", clash), "caa.correction_payload"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := l.decide(caaAC, tc.cmd)
			caaWantRule(t, err, tc.rule)
		})
	}
	l.must(caaAC, fix(rd, "caa.ReviewDecided", amended))
	l.must(caaAC, fix(pub, "caa.AssessmentPublished", AssessmentPublished{PublishedOn: "2009-09-07"}))

	o := newLedger(t)
	o.must(caaAC, OAOpenAssessment{OAKey: oaK})
	o.must(caaAC, oaTestScores)
	o.must(caaAC, OAIssuePrePublicationReport{OAKey: oaK})
	o.must(caaLA, OARequestReview{OAKey: oaK, RequestID: "RR1", Element: ScoreDirectionOfTravel, Grounds: "g"})
	ord := o.must(caaAC, OADecideReview{OAKey: oaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"})
	opub := o.must(caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-09-06"})
	ofix := func(ref, typ string, b domain.Event) OARecordCorrection {
		return OARecordCorrection{OAKey: oaK, CorrectsEventID: ref, Reason: "r", CorrectedType: typ, Corrected: body(t, b)}
	}
	for _, tc := range []struct {
		desc string
		cmd  OARecordCorrection
	}{
		{"a publication date that is none", ofix(opub, "oa.AssessmentPublished", OAAssessmentPublished{PublishedOn: "2009-13-01"})},
		{"a score for direction of travel", ofix(ord, "oa.ReviewDecided", OAReviewDecided{RequestID: "RR1", Element: ScoreDirectionOfTravel, Outcome: ReviewAmended, Reasons: "r", Score: 2})},
	} {
		t.Run("oa "+tc.desc, func(t *testing.T) {
			_, err := o.decide(caaAC, tc.cmd)
			caaWantRule(t, err, "caa.correction_payload")
		})
	}
	o.must(caaAC, ofix(ord, "oa.ReviewDecided", OAReviewDecided{RequestID: "RR1", Element: ScoreDirectionOfTravel, Outcome: ReviewAmended, Reasons: "r", DirectionOfTravel: "improving well"}))
}
