package domain

import (
	"reflect"
	"testing"
)

func TestOrgAssessmentRules(t *testing.T) {
	scores := func(mp, uor, ov int) OAProposeScores {
		c := tScores
		c.ManagingPerformance, c.UseOfResources, c.Overall = mp, uor, ov
		return c
	}
	decide := func(outcome string, score int, dot string) OADecideReview {
		return OADecideReview{OAKey: tOK, RequestID: "RR1", Outcome: outcome, Reasons: "r", Score: score, DirectionOfTravel: dot}
	}
	dotReview := func(t *testing.T) OrgAssessment {
		return decideOA(t, oaPrePublished(t), tLA, OARequestReview{OAKey: tOK, RequestID: "RR1", Element: ScoreDirectionOfTravel, Grounds: "g"})
	}
	zero := func(*testing.T) OrgAssessment { return OrgAssessment{} }
	tests := []struct {
		desc  string
		state func(*testing.T) OrgAssessment
		actor Actor
		cmd   Command
		rule  string
	}{
		{"unknown council", zero, tAC, OAOpenAssessment{OAKey: OAKey{Org: "99ZZ", Year: 2009}}, RuleCAAOrgID},
		{"malformed body id", zero, tAC, OAOpenAssessment{OAKey: OAKey{Org: "body:Fire Authority", Year: 2009}}, RuleCAAOrgID},
		{"empty body slug", zero, tAC, OAOpenAssessment{OAKey: OAKey{Org: "body:", Year: 2009}}, RuleCAAOrgID},
		{"year after CAA", zero, tAC, OAOpenAssessment{OAKey: OAKey{Org: "00EB", Year: 2011}}, RuleCAAYear},
		{"opened twice", oaOpened, tAC, OAOpenAssessment{OAKey: tOK}, RuleCAAAlreadyOpened},
		{"scores before opening", zero, tAC, tScores, RuleCAANotOpened},
		{"another assessment", oaOpened, tAC, func() Command { c := tScores; c.Org = "00AG"; return c }(), RuleCAAWrongAggregate},
		{"score 0", oaOpened, tAC, scores(0, 2, 3), RuleCAAScoreRange},
		{"score 5", oaOpened, tAC, scores(3, 5, 3), RuleCAAScoreRange},
		{"negative score", oaOpened, tAC, scores(3, 2, -1), RuleCAAScoreRange},
		{"missing rationale", oaOpened, tAC, func() Command { c := tScores; c.Rationale = ""; return c }(), RuleCAARequired},
		{"pre-publication without scores", oaOpened, tAC, OAIssuePrePublicationReport{OAKey: tOK}, RuleCAANoScores},
		{"pre-publication twice", oaPrePublished, tAC, OAIssuePrePublicationReport{OAKey: tOK}, RuleCAAPrePubIssued},
		{"comment before pre-publication", oaScored, tLA, OASubmitComment{OAKey: tOK, Comment: "c"}, RuleCAACommentWindow},
		{"comment after publication", oaPublished, tLA, OASubmitComment{OAKey: tOK, Comment: "c"}, RuleCAACommentWindow},
		{"comment on unknown element", oaPrePublished, tLA, OASubmitComment{OAKey: tOK, Element: "leadership", Comment: "c"}, RuleCAAScoreElement},
		{"review of unknown element", oaPrePublished, tLA, OARequestReview{OAKey: tOK, RequestID: "RR1", Element: "x", Grounds: "g"}, RuleCAAScoreElement},
		{"review request id reused", oaUnderReview, tLA, OARequestReview{OAKey: tOK, RequestID: "RR1", Element: ScoreOverall, Grounds: "g"}, RuleCAAReviewExists},
		{"second pending review of an element", oaUnderReview, tLA, OARequestReview{OAKey: tOK, RequestID: "RR2", Element: ScoreUseOfResources, Grounds: "g"}, RuleCAAReviewPending},
		{"review of a withdrawn element", func(t *testing.T) OrgAssessment {
			return decideOA(t, oaUnderReview(t), tAC, decide(ReviewWithdrawn, 0, ""))
		}, tLA, OARequestReview{OAKey: tOK, RequestID: "RR2", Element: ScoreUseOfResources, Grounds: "g"}, RuleCAAScoreElement},
		{"rescore while under review", oaUnderReview, tAC, tScores, RuleCAAUnderReview},
		{"decide unknown review", oaUnderReview, tAC, OADecideReview{OAKey: tOK, RequestID: "RR9", Outcome: ReviewUpheld, Reasons: "r"}, RuleCAAReviewNotFound},
		{"decide twice", func(t *testing.T) OrgAssessment {
			return decideOA(t, oaUnderReview(t), tAC, decide(ReviewUpheld, 0, ""))
		}, tAC, decide(ReviewUpheld, 0, ""), RuleCAAReviewDecided},
		{"amended score out of range", oaUnderReview, tAC, decide(ReviewAmended, 7, ""), RuleCAAScoreRange},
		{"amended without a score", oaUnderReview, tAC, decide(ReviewAmended, 0, ""), RuleCAAReviewOutcome},
		{"amended score given wording", oaUnderReview, tAC, decide(ReviewAmended, 0, "improving well"), RuleCAAReviewOutcome},
		{"amended wording given a score", dotReview, tAC, decide(ReviewAmended, 3, ""), RuleCAAReviewOutcome},
		{"amended with both", oaUnderReview, tAC, decide(ReviewAmended, 3, "x"), RuleCAAReviewOutcome},
		{"upheld with a score", oaUnderReview, tAC, decide(ReviewUpheld, 3, ""), RuleCAAReviewOutcome},
		{"unknown outcome", oaUnderReview, tAC, decide("partly", 0, ""), RuleCAAReviewOutcome},
		{"publish before pre-publication", oaScored, tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"}, RuleCAAPrePubRequired},
		{"publish with a pending review", oaUnderReview, tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"}, RuleCAAReviewPending},
		{"publish on a non-date", oaPrePublished, tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-13-10"}, RuleCAAPublicationDate},
		{"rescore after publication", oaPublished, tAC, tScores, RuleCAAPublished},
		{"publish twice", oaPublished, tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"}, RuleCAAPublished},
		{"a CAA command", oaOpened, tAC, tR1, RuleCAAUnknownCommand},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			s := tt.state(t)
			before := s.clone()
			evs, err := DecideOrgAssessment(s, meta(tt.actor), tt.cmd)
			wantRule(t, err, tt.rule)
			if evs != nil {
				t.Errorf("refused command returned events %v", evs)
			}
			if !reflect.DeepEqual(before, s) {
				t.Errorf("Decide changed the state it was given")
			}
		})
	}
}

func TestOrgAssessmentJudgeRoles(t *testing.T) {
	judged := []struct {
		name  string
		state func(*testing.T) OrgAssessment
		cmd   Command
	}{
		{"open", func(*testing.T) OrgAssessment { return OrgAssessment{} }, OAOpenAssessment{OAKey: tOK}},
		{"scores", oaOpened, tScores},
		{"pre-publication", oaScored, OAIssuePrePublicationReport{OAKey: tOK}},
		{"decide review", oaUnderReview, OADecideReview{OAKey: tOK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"}},
		{"publish", oaPrePublished, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"}},
		{"correct", oaPublished, OARecordCorrection{OAKey: tOK, CorrectsEventID: "e", Reason: "r", Correction: "c"}},
	}
	for _, j := range judged {
		for _, role := range Roles {
			a := Actor{ID: "someone", Role: role, Organisation: "00EB"}
			_, err := DecideOrgAssessment(j.state(t), meta(a), j.cmd)
			if role == RoleAuditCommission || role == RoleInspectorate {
				if err != nil {
					t.Errorf("%s by %s: %v", j.name, role, err)
				}
				continue
			}
			if ErrorRule(err) != RuleCAAJudgeRole {
				t.Errorf("%s by %s: got %v, want %s", j.name, role, err, RuleCAAJudgeRole)
			}
		}
	}
}

func TestOrgAssessmentOnlyTheOrganisationResponds(t *testing.T) {
	body := OAKey{Org: "body:example-fire-authority", Year: 2009}
	bodyAt := func(t *testing.T) OrgAssessment {
		s := decideOA(t, OrgAssessment{}, tAC, OAOpenAssessment{OAKey: body})
		c := tScores
		c.OAKey = body
		s = decideOA(t, s, tAC, c)
		return decideOA(t, s, tAC, OAIssuePrePublicationReport{OAKey: body})
	}
	tests := []struct {
		desc  string
		state func(*testing.T) OrgAssessment
		key   OAKey
		ok    Actor // the one actor allowed
	}{
		{"council", oaPrePublished, tOK, tLA},
		{"other body", bodyAt, body, Actor{ID: "x", Role: RoleLSP, Organisation: body.Org}},
	}
	for _, tt := range tests {
		for _, role := range Roles {
			for _, org := range []string{tt.key.Org, "00AG", "body:someone-else"} {
				a := Actor{ID: "x", Role: role, Organisation: org}
				cmds := []Command{
					OASubmitComment{OAKey: tt.key, Comment: "c"},
					OARequestReview{OAKey: tt.key, RequestID: "RR1", Element: ScoreOverall, Grounds: "g"},
				}
				for _, cmd := range cmds {
					_, err := DecideOrgAssessment(tt.state(t), meta(a), cmd)
					if a.Role == tt.ok.Role && a.Organisation == tt.ok.Organisation {
						if err != nil {
							t.Errorf("%s: %s by %s: %v", tt.desc, cmd.CommandType(), a, err)
						}
					} else if ErrorRule(err) != RuleCAALocalityRole {
						t.Errorf("%s: %s by %s: got %v, want %s", tt.desc, cmd.CommandType(), a, err, RuleCAALocalityRole)
					}
				}
			}
		}
	}
}

func TestOrgAssessmentReviewOutcomes(t *testing.T) {
	s := decideOA(t, oaUnderReview(t), tAC, OADecideReview{OAKey: tOK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r", Score: 3})
	if s.Scores.UseOfResources != 3 || s.Scores.Overall != 3 || s.Scores.ManagingPerformance != 3 {
		t.Errorf("amended: %+v", s.Scores)
	}
	s = decideOA(t, s, tLA, OARequestReview{OAKey: tOK, RequestID: "RR2", Element: ScoreDirectionOfTravel, Grounds: "g"})
	s = decideOA(t, s, tAC, OADecideReview{OAKey: tOK, RequestID: "RR2", Outcome: ReviewAmended, Reasons: "r", DirectionOfTravel: "improving well"})
	if s.Scores.DirectionOfTravel != "improving well" {
		t.Errorf("direction of travel: %q", s.Scores.DirectionOfTravel)
	}
	s = decideOA(t, s, tLA, OARequestReview{OAKey: tOK, RequestID: "RR3", Element: ScoreManagingPerformance, Grounds: "g"})
	s = decideOA(t, s, tAC, OADecideReview{OAKey: tOK, RequestID: "RR3", Outcome: ReviewWithdrawn, Reasons: "r"})
	if s.Scores.ManagingPerformance != 0 {
		t.Errorf("withdrawn: %+v", s.Scores)
	}
	s = decideOA(t, s, tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"})
	s = decideOA(t, s, tAC, OARecordCorrection{OAKey: tOK, CorrectsEventID: "e", Reason: "r", Correction: "c"})
	if !s.Published || len(s.Corrections) != 1 || s.Name != "Hartlepool" {
		t.Errorf("published: %+v", s)
	}
}
