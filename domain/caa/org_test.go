package caa

import (
	"testing"

	"github.com/laaledger/laaledger/domain"
)

func TestOrgAssessmentRules(t *testing.T) {
	scores := func(mp, uor, ov int) OAProposeScores {
		c := oaTestScores
		c.ManagingPerformance, c.UseOfResources, c.Overall = mp, uor, ov
		return c
	}
	decide := func(outcome string, score int, dot string) OADecideReview {
		return OADecideReview{OAKey: oaK, RequestID: "RR1", Outcome: outcome, Reasons: "r", Score: score, DirectionOfTravel: dot}
	}
	dotReview := func(t *testing.T) OrgAssessment {
		return decideOA(t, oaPrePublished(t), caaLA, OARequestReview{OAKey: oaK, RequestID: "RR1", Element: ScoreDirectionOfTravel, Grounds: "g"})
	}
	zero := func(*testing.T) OrgAssessment { return OrgAssessment{} }
	tests := []struct {
		desc  string
		state func(*testing.T) OrgAssessment
		actor domain.Actor
		cmd   domain.Command
		rule  string
	}{
		{"unknown council", zero, caaAC, OAOpenAssessment{OAKey: OAKey{Org: "99ZZ", Year: 2009}}, RuleCAAOrgID},
		{"malformed body id", zero, caaAC, OAOpenAssessment{OAKey: OAKey{Org: "body:Fire Authority", Year: 2009}}, RuleCAAOrgID},
		{"empty body slug", zero, caaAC, OAOpenAssessment{OAKey: OAKey{Org: "body:", Year: 2009}}, RuleCAAOrgID},
		{"year after CAA", zero, caaAC, OAOpenAssessment{OAKey: OAKey{Org: "00EB", Year: 2011}}, RuleCAAYear},
		{"opened twice", oaOpened, caaAC, OAOpenAssessment{OAKey: oaK}, RuleCAAAlreadyOpened},
		{"scores before opening", zero, caaAC, oaTestScores, RuleCAANotOpened},
		{"another assessment", oaOpened, caaAC, func() domain.Command { c := oaTestScores; c.Org = "00AG"; return c }(), RuleCAAWrongAggregate},
		{"score 0", oaOpened, caaAC, scores(0, 2, 3), RuleCAAScoreRange},
		{"score 5", oaOpened, caaAC, scores(3, 5, 3), RuleCAAScoreRange},
		{"negative score", oaOpened, caaAC, scores(3, 2, -1), RuleCAAScoreRange},
		{"missing rationale", oaOpened, caaAC, func() domain.Command { c := oaTestScores; c.Rationale = ""; return c }(), RuleCAARequired},
		{"pre-publication without scores", oaOpened, caaAC, OAIssuePrePublicationReport{OAKey: oaK}, RuleCAANoScores},
		{"pre-publication twice", oaPrePublished, caaAC, OAIssuePrePublicationReport{OAKey: oaK}, RuleCAAPrePubIssued},
		{"comment before pre-publication", oaScored, caaLA, OASubmitComment{OAKey: oaK, Comment: "c"}, RuleCAACommentWindow},
		{"comment after publication", oaPublished, caaLA, OASubmitComment{OAKey: oaK, Comment: "c"}, RuleCAACommentWindow},
		{"comment on unknown element", oaPrePublished, caaLA, OASubmitComment{OAKey: oaK, Element: "leadership", Comment: "c"}, RuleCAAScoreElement},
		{"review of unknown element", oaPrePublished, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR1", Element: "x", Grounds: "g"}, RuleCAAScoreElement},
		{"review request id reused", oaUnderReview, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR1", Element: ScoreOverall, Grounds: "g"}, RuleCAAReviewExists},
		{"second pending review of an element", oaUnderReview, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR2", Element: ScoreUseOfResources, Grounds: "g"}, RuleCAAReviewPending},
		{"review of a withdrawn element", func(t *testing.T) OrgAssessment {
			return decideOA(t, oaUnderReview(t), caaAC, decide(ReviewWithdrawn, 0, ""))
		}, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR2", Element: ScoreUseOfResources, Grounds: "g"}, RuleCAAScoreElement},
		{"rescore while under review", oaUnderReview, caaAC, oaTestScores, RuleCAAUnderReview},
		{"decide unknown review", oaUnderReview, caaAC, OADecideReview{OAKey: oaK, RequestID: "RR9", Outcome: ReviewUpheld, Reasons: "r"}, RuleCAAReviewNotFound},
		{"decide twice", func(t *testing.T) OrgAssessment {
			return decideOA(t, oaUnderReview(t), caaAC, decide(ReviewUpheld, 0, ""))
		}, caaAC, decide(ReviewUpheld, 0, ""), RuleCAAReviewDecided},
		{"amended score out of range", oaUnderReview, caaAC, decide(ReviewAmended, 7, ""), RuleCAAScoreRange},
		{"amended without a score", oaUnderReview, caaAC, decide(ReviewAmended, 0, ""), RuleCAAReviewOutcome},
		{"amended score given wording", oaUnderReview, caaAC, decide(ReviewAmended, 0, "improving well"), RuleCAAReviewOutcome},
		{"amended wording given a score", dotReview, caaAC, decide(ReviewAmended, 3, ""), RuleCAAReviewOutcome},
		{"amended with both", oaUnderReview, caaAC, decide(ReviewAmended, 3, "x"), RuleCAAReviewOutcome},
		{"upheld with a score", oaUnderReview, caaAC, decide(ReviewUpheld, 3, ""), RuleCAAReviewOutcome},
		{"unknown outcome", oaUnderReview, caaAC, decide("partly", 0, ""), RuleCAAReviewOutcome},
		{"publish before pre-publication", oaScored, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"}, RuleCAAPrePubRequired},
		{"publish with a pending review", oaUnderReview, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"}, RuleCAAReviewPending},
		{"publish on a non-date", oaPrePublished, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-13-10"}, RuleCAAPublicationDate},
		{"rescore after publication", oaPublished, caaAC, oaTestScores, RuleCAAPublished},
		{"publish twice", oaPublished, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"}, RuleCAAPublished},
		{"a CAA command", oaOpened, caaAC, caaR1, RuleCAAUnknownCommand},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			checkRefused(t, DecideOrgAssessment, tt.state(t), tt.actor, tt.cmd, tt.rule)
		})
	}
}

func TestOrgAssessmentJudgeRoles(t *testing.T) {
	judged := []struct {
		name  string
		state func(*testing.T) OrgAssessment
		cmd   domain.Command
	}{
		{"open", func(*testing.T) OrgAssessment { return OrgAssessment{} }, OAOpenAssessment{OAKey: oaK}},
		{"scores", oaOpened, oaTestScores},
		{"pre-publication", oaScored, OAIssuePrePublicationReport{OAKey: oaK}},
		{"decide review", oaUnderReview, OADecideReview{OAKey: oaK, RequestID: "RR1", Outcome: ReviewUpheld, Reasons: "r"}},
		{"publish", oaPrePublished, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"}},
		{"correct", oaPublished, OARecordCorrection{OAKey: oaK, CorrectsEventID: "e", Reason: "r", Correction: "c"}},
	}
	for _, j := range judged {
		checkJudgeRoles(t, DecideOrgAssessment, j.name, j.state(t), j.cmd)
	}
}

func TestOrgAssessmentOnlyTheOrganisationResponds(t *testing.T) {
	body := OAKey{Org: "body:example-fire-authority", Year: 2009}
	bodyAt := func(t *testing.T) OrgAssessment {
		s := decideOA(t, OrgAssessment{}, caaAC, OAOpenAssessment{OAKey: body})
		c := oaTestScores
		c.OAKey = body
		s = decideOA(t, s, caaAC, c)
		return decideOA(t, s, caaAC, OAIssuePrePublicationReport{OAKey: body})
	}
	tests := []struct {
		desc  string
		state func(*testing.T) OrgAssessment
		key   OAKey
		ok    domain.Actor // the one actor allowed
	}{
		{"council", oaPrePublished, oaK, caaLA},
		{"other body", bodyAt, body, domain.Actor{ID: "x", Role: domain.RoleLSP, Organisation: body.Org}},
	}
	for _, tt := range tests {
		for _, role := range domain.Roles {
			for _, org := range []string{tt.key.Org, "00AG", "body:someone-else"} {
				a := domain.Actor{ID: "x", Role: role, Organisation: org}
				cmds := []domain.Command{
					OASubmitComment{OAKey: tt.key, Comment: "c"},
					OARequestReview{OAKey: tt.key, RequestID: "RR1", Element: ScoreOverall, Grounds: "g"},
				}
				for _, cmd := range cmds {
					_, err := DecideOrgAssessment(tt.state(t), caaMeta(a), cmd, nil)
					if a.Role == tt.ok.Role && a.Organisation == tt.ok.Organisation {
						if err != nil {
							t.Errorf("%s: %s by %s: %v", tt.desc, cmd.CommandType(), a, err)
						}
					} else if domain.ErrorRule(err) != RuleCAALocalityRole {
						t.Errorf("%s: %s by %s: got %v, want %s", tt.desc, cmd.CommandType(), a, err, RuleCAALocalityRole)
					}
				}
			}
		}
	}
}

func TestOrgAssessmentReviewOutcomes(t *testing.T) {
	s := decideOA(t, oaUnderReview(t), caaAC, OADecideReview{OAKey: oaK, RequestID: "RR1", Outcome: ReviewAmended, Reasons: "r", Score: 3})
	if s.Scores.UseOfResources != 3 || s.Scores.Overall != 3 || s.Scores.ManagingPerformance != 3 {
		t.Errorf("amended: %+v", s.Scores)
	}
	s = decideOA(t, s, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR2", Element: ScoreDirectionOfTravel, Grounds: "g"})
	s = decideOA(t, s, caaAC, OADecideReview{OAKey: oaK, RequestID: "RR2", Outcome: ReviewAmended, Reasons: "r", DirectionOfTravel: "improving well"})
	if s.Scores.DirectionOfTravel != "improving well" {
		t.Errorf("direction of travel: %q", s.Scores.DirectionOfTravel)
	}
	s = decideOA(t, s, caaLA, OARequestReview{OAKey: oaK, RequestID: "RR3", Element: ScoreManagingPerformance, Grounds: "g"})
	s = decideOA(t, s, caaAC, OADecideReview{OAKey: oaK, RequestID: "RR3", Outcome: ReviewWithdrawn, Reasons: "r"})
	if s.Scores.ManagingPerformance != 0 {
		t.Errorf("withdrawn: %+v", s.Scores)
	}
	s = decideOA(t, s, caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"})
	s = decideOA(t, s, caaAC, OARecordCorrection{OAKey: oaK, CorrectsEventID: "e", Reason: "r", Correction: "c"})
	if !s.Published || len(s.Corrections) != 1 || s.Name != "Hartlepool" {
		t.Errorf("published: %+v", s)
	}
}
