package caa

import (
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

func TestAreaAssessmentRules(t *testing.T) {
	amend := func(c DecideReview) DecideReview {
		c.CAAKey, c.RequestID, c.Outcome, c.Reasons = caaK, "RR1", ReviewAmended, "reasons"
		return c
	}
	tests := []struct {
		desc  string
		state func(*testing.T) AreaAssessment
		actor domain.Actor
		cmd   domain.Command
		rule  string
	}{
		{"unknown area", func(*testing.T) AreaAssessment { return AreaAssessment{} }, caaAC,
			OpenAssessment{CAAKey: CAAKey{Area: "99ZZ", Year: 2009}}, RuleCAAUnknownArea},
		{"year before CAA", func(*testing.T) AreaAssessment { return AreaAssessment{} }, caaAC,
			OpenAssessment{CAAKey: CAAKey{Area: "00EB", Year: 2008}}, RuleCAAYear},
		{"opened twice", caaOpened, caaAC, OpenAssessment{CAAKey: caaK}, RuleCAAAlreadyOpened},
		{"flag before opening", func(*testing.T) AreaAssessment { return AreaAssessment{} }, caaAC, caaR1, RuleCAANotOpened},
		{"command for another assessment", caaOpened, caaAC,
			ProposeFlag{CAAKey: CAAKey{Area: "00AG", Year: 2009}, FlagID: "R1", Colour: FlagRed, Theme: "x", Indicators: []int{1}, Rationale: "r", LeadInspectorate: "AC"},
			RuleCAAWrongAggregate},
		{"unknown colour", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Colour = "amber"; return c }(), RuleCAAFlagColour},
		{"bad flag id", caaOpened, caaAC, func() domain.Command { c := caaR1; c.FlagID = "R 1"; return c }(), RuleCAAFlagID},
		{"NI 31 does not exist", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Indicators = []int{31}; return c }(), RuleCAAIndicator},
		{"NI 200 does not exist", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Indicators = []int{200}; return c }(), RuleCAAIndicator},
		{"NI 0 does not exist", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Indicators = []int{0}; return c }(), RuleCAAIndicator},
		{"no indicators", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Indicators = nil; return c }(), RuleCAAIndicator},
		{"indicator twice", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Indicators = []int{112, 112}; return c }(), RuleCAAIndicator},
		{"missing theme", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Theme = " "; return c }(), RuleCAARequired},
		{"missing rationale", caaOpened, caaAC, func() domain.Command { c := caaR1; c.Rationale = ""; return c }(), RuleCAARequired},
		{"flag id reused", caaDrafted, caaAC, func() domain.Command { c := caaR1; c.Theme = "Other"; return c }(), RuleCAAFlagExists},
		{"dropped flag id reused", func(t *testing.T) AreaAssessment {
			return decideCAA(t, caaDrafted(t), caaAC, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "weak"})
		}, caaAC, caaG1, RuleCAAFlagExists},
		{"green on a red theme", caaDrafted, caaAC, func() domain.Command {
			c := caaG1
			c.FlagID, c.Theme = "G2", "  TEENAGE   pregnancy "
			return c
		}(), RuleCAAThemeConflict},
		{"red flag changed onto a green flag's theme", caaDrafted, caaAC,
			ChangeFlag{CAAKey: caaK, FlagID: "R1", Colour: FlagRed, Theme: "Community safety", Indicators: []int{15}, Rationale: "r"},
			RuleCAAThemeConflict},
		{"change unknown flag", caaDrafted, caaAC,
			ChangeFlag{CAAKey: caaK, FlagID: "R9", Colour: FlagRed, Theme: "x", Indicators: []int{15}, Rationale: "r"}, RuleCAAFlagNotFound},
		{"drop a dropped flag", func(t *testing.T) AreaAssessment {
			return decideCAA(t, caaDrafted(t), caaAC, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "weak"})
		}, caaAC, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "again"}, RuleCAAFlagNotStanding},
		{"new flag after pre-publication", caaPrePublished, caaAC, func() domain.Command { c := caaG1; c.FlagID, c.Theme = "G2", "Waste"; return c }(), RuleCAAFlagAfterPrePub},
		{"pre-publication twice", caaPrePublished, caaAC, IssuePrePublicationReport{CAAKey: caaK}, RuleCAAPrePubIssued},
		{"comment before pre-publication", caaDrafted, caaLA, SubmitLocalityComment{CAAKey: caaK, Comment: "c"}, RuleCAACommentWindow},
		{"review before pre-publication", caaDrafted, caaLSP, caaRR, RuleCAACommentWindow},
		{"comment after publication", caaPublished, caaLA, SubmitLocalityComment{CAAKey: caaK, Comment: "c"}, RuleCAACommentWindow},
		{"review after publication", caaPublished, caaLA, caaRR, RuleCAACommentWindow},
		{"comment on unknown flag", caaPrePublished, caaLA, SubmitLocalityComment{CAAKey: caaK, FlagID: "X1", Comment: "c"}, RuleCAAFlagNotFound},
		{"review of unknown flag", caaPrePublished, caaLA, RequestReview{CAAKey: caaK, RequestID: "RR1", FlagID: "X1", Grounds: "g"}, RuleCAAFlagNotFound},
		{"review request id reused", caaUnderReview, caaLA, RequestReview{CAAKey: caaK, RequestID: "RR1", FlagID: "G1", Grounds: "g"}, RuleCAAReviewExists},
		{"second pending review of a flag", caaUnderReview, caaLA, RequestReview{CAAKey: caaK, RequestID: "RR2", FlagID: "R1", Grounds: "g"}, RuleCAAReviewPending},
		{"bad request id", caaPrePublished, caaLA, RequestReview{CAAKey: caaK, RequestID: "", FlagID: "R1", Grounds: "g"}, RuleCAARequestID},
		{"change a flag under review", caaUnderReview, caaAC,
			ChangeFlag{CAAKey: caaK, FlagID: "R1", Colour: FlagRed, Theme: "Teenage pregnancy", Indicators: []int{112}, Rationale: "r2"}, RuleCAAUnderReview},
		{"drop a flag under review", caaUnderReview, caaAC, DropFlag{CAAKey: caaK, FlagID: "R1", Reason: "r"}, RuleCAAUnderReview},
		{"decide unknown review", caaUnderReview, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR9", Outcome: ReviewUpheld, Reasons: "r"}, RuleCAAReviewNotFound},
		{"decide a decided review", func(t *testing.T) AreaAssessment {
			return decideCAA(t, caaUnderReview(t), caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"})
		}, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewWithdrawn, Reasons: "r"}, RuleCAAReviewDecided},
		{"unknown outcome", caaUnderReview, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: "quashed", Reasons: "r"}, RuleCAAReviewOutcome},
		{"upheld with new wording", caaUnderReview, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r", Rationale: "new"}, RuleCAAReviewOutcome},
		{"amended without indicators", caaUnderReview, caaAC, amend(DecideReview{Colour: FlagRed, Theme: "t", Rationale: "r"}), RuleCAAIndicator},
		{"amended onto a theme of the other colour", caaUnderReview, caaAC,
			amend(DecideReview{Colour: FlagRed, Theme: "community safety", Indicators: []int{15}, Rationale: "r"}), RuleCAAThemeConflict},
		{"decision without reasons", caaUnderReview, caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld}, RuleCAARequired},
		{"publish before pre-publication", caaDrafted, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"}, RuleCAAPrePubRequired},
		{"publish with a pending review", caaUnderReview, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"}, RuleCAAReviewPending},
		{"publish on a non-date", caaPrePublished, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "10/12/2009"}, RuleCAAPublicationDate},
		{"publish twice", caaPublished, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-11"}, RuleCAAPublished},
		{"change after publication", caaPublished, caaAC,
			ChangeFlag{CAAKey: caaK, FlagID: "G1", Colour: FlagGreen, Theme: "Community safety", Indicators: []int{15}, Rationale: "r"}, RuleCAAPublished},
		{"drop after publication", caaPublished, caaAC, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "r"}, RuleCAAPublished},
		{"correction without a reference", caaPublished, caaAC, RecordCorrection{CAAKey: caaK, Reason: "r", Correction: "c"}, RuleCAARequired},
		{"an OA command", caaOpened, caaAC, OAOpenAssessment{OAKey: oaK}, RuleCAAUnknownCommand},
		{"no command", caaOpened, caaAC, nil, RuleCAAUnknownCommand},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkRefused(t, DecideAreaAssessment, tt.state(t), tt.actor, tt.cmd, tt.rule)
		})
	}
}

func TestAreaAssessmentRefusesIncompleteMeta(t *testing.T) {
	_, err := DecideAreaAssessment(AreaAssessment{}, domain.Meta{Actor: caaAC}, OpenAssessment{CAAKey: caaK}, nil)
	caaWantRule(t, err, "meta.missing_command_id")
	m := caaMeta(caaAC)
	m.OccurredAt = time.Time{}
	_, err = DecideAreaAssessment(AreaAssessment{}, m, OpenAssessment{CAAKey: caaK}, nil)
	caaWantRule(t, err, "meta.missing_occurred_at")
}

func TestAreaAssessmentJudgeRoles(t *testing.T) {
	judged := []struct {
		name  string
		state func(*testing.T) AreaAssessment
		cmd   domain.Command
	}{
		{"open", func(*testing.T) AreaAssessment { return AreaAssessment{} }, OpenAssessment{CAAKey: caaK}},
		{"propose", caaOpened, caaR1},
		{"change", caaDrafted, ChangeFlag{CAAKey: caaK, FlagID: "R1", Colour: FlagRed, Theme: "Teenage pregnancy", Indicators: []int{112, 116}, Rationale: "r"}},
		{"drop", caaDrafted, DropFlag{CAAKey: caaK, FlagID: "G1", Reason: "r"}},
		{"pre-publication", caaDrafted, IssuePrePublicationReport{CAAKey: caaK}},
		{"decide review", caaUnderReview, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"}},
		{"publish", caaPrePublished, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"}},
		{"correct", caaPublished, RecordCorrection{CAAKey: caaK, CorrectsEventID: "e1", Reason: "r", Correction: "c"}},
	}
	for _, j := range judged {
		checkJudgeRoles(t, DecideAreaAssessment, j.name, j.state(t), j.cmd)
	}
}

func TestAreaAssessmentLocalityRoles(t *testing.T) {
	cmds := []domain.Command{
		SubmitLocalityComment{CAAKey: caaK, FlagID: "R1", Comment: "c"},
		caaRR,
	}
	for _, cmd := range cmds {
		for _, role := range domain.Roles {
			for _, org := range []string{"00EB", "00AG", "North East"} {
				a := domain.Actor{ID: "someone", Role: role, Organisation: org}
				_, err := DecideAreaAssessment(caaPrePublished(t), caaMeta(a), cmd, nil)
				if role.LocalSide() && org == "00EB" {
					if err != nil {
						t.Errorf("%s by %s: %v", cmd.CommandType(), a, err)
					}
					continue
				}
				if domain.ErrorRule(err) != RuleCAALocalityRole || domain.ErrorCode(err) != domain.EFORBIDDEN {
					t.Errorf("%s by %s: got %v, want %s", cmd.CommandType(), a, err, RuleCAALocalityRole)
				}
			}
		}
	}
}

func TestAreaAssessmentReviewOutcomes(t *testing.T) {
	t.Run("amended replaces the flag", func(t *testing.T) {
		s := decideCAA(t, caaUnderReview(t), caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r",
			Colour: FlagGreen, Theme: "Teenage pregnancy", Indicators: []int{112, 53}, Rationale: "turned round"})
		f := s.Flags["R1"]
		if f.Colour != FlagGreen || !reflect.DeepEqual(f.Indicators, []int{112, 53}) || f.Rationale != "turned round" || f.Status != StatusStanding {
			t.Errorf("amended flag: %+v", f)
		}
		if r := s.Reviews["RR1"]; r.Outcome != ReviewAmended {
			t.Errorf("review: %+v", r)
		}
	})
	t.Run("withdrawn leaves the flag standing no more", func(t *testing.T) {
		s := decideCAA(t, caaUnderReview(t), caaAC, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewWithdrawn, Reasons: "r"})
		if f := s.Flags["R1"]; f.Status != StatusWithdrawn {
			t.Errorf("withdrawn flag: %+v", f)
		}
		if got := len(s.StandingFlags()); got != 1 {
			t.Errorf("standing flags: %d, want 1", got)
		}
		// With the red flag gone, a green flag may now stand on its theme
		// only through a change before publication, never a new flag.
		s = decideCAA(t, s, caaAC, ChangeFlag{CAAKey: caaK, FlagID: "G1", Colour: FlagGreen, Theme: "Teenage pregnancy", Indicators: []int{112}, Rationale: "r"})
		s = decideCAA(t, s, caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"})
		if !s.Published || s.PublishedOn != "2009-12-10" {
			t.Errorf("not published: %+v", s)
		}
	})
	t.Run("upheld changes nothing", func(t *testing.T) {
		s0 := caaUnderReview(t)
		s := decideCAA(t, s0, caaInsp, DecideReview{CAAKey: caaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"})
		if !reflect.DeepEqual(s.Flags, s0.Flags) {
			t.Errorf("upheld changed flags")
		}
	})
}

func TestAreaAssessmentCorrectionAfterPublication(t *testing.T) {
	s := decideCAA(t, caaPublished(t), caaAC, RecordCorrection{CAAKey: caaK, CorrectsEventID: "ev-7", Reason: "typo", Correction: "read x for y"})
	if len(s.Corrections) != 1 || s.Corrections[0].CorrectsEventID != "ev-7" {
		t.Errorf("corrections: %+v", s.Corrections)
	}
}

func TestAreaAssessmentOpenCopiesReferenceData(t *testing.T) {
	s := caaOpened(t)
	if s.AreaName != "Hartlepool" || s.Region != "North East" || s.Year != 2009 || s.Ref() != (domain.AggregateRef{Kind: "caa", ID: "00EB/2009"}) {
		t.Errorf("opened: %+v", s)
	}
}

func TestAreaAssessmentApplyLeavesEarlierStateAlone(t *testing.T) {
	s0 := caaDrafted(t)
	snap := s0.clone()
	_ = s0.Apply(FlagChanged{FlagID: "R1", Colour: FlagRed, Theme: "x", Indicators: []int{1}, Rationale: "r"})
	_ = s0.Apply(FlagProposed{FlagID: "R2", Colour: FlagRed, Theme: "y", Indicators: []int{2}, Rationale: "r"})
	if !reflect.DeepEqual(s0, snap) {
		t.Errorf("Apply changed the state it was given")
	}
}
