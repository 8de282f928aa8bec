package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

var (
	tAC     = Actor{ID: "ac-1", Role: RoleAuditCommission, Organisation: "Audit Commission"}
	tInsp   = Actor{ID: "insp-1", Role: RoleInspectorate, Organisation: "Ofsted"}
	tLA     = Actor{ID: "la-1", Role: RoleLA, Organisation: "00EB"}
	tLSP    = Actor{ID: "lsp-1", Role: RoleLSP, Organisation: "00EB"}
	tOtherL = Actor{ID: "la-2", Role: RoleLA, Organisation: "00AG"}
	tGO     = Actor{ID: "go-1", Role: RoleGO, Organisation: "North East"}
	tK      = CAAKey{Area: "00EB", Year: 2009}
	tOK     = OAKey{Org: "00EB", Year: 2009}
)

var metaSeq int

func meta(a Actor) Meta {
	metaSeq++
	return Meta{CommandID: fmt.Sprintf("t-%d", metaSeq), Actor: a,
		OccurredAt: time.Date(2009, 11, 1, 10, 0, 0, 0, time.UTC)}
}

// decideCAA decides and folds a command into s, failing the test on a refusal.
func decideCAA(t *testing.T, s AreaAssessment, a Actor, cmd Command) AreaAssessment {
	t.Helper()
	evs, err := DecideAreaAssessment(s, meta(a), cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	for _, e := range evs {
		s = s.Apply(e)
	}
	return s
}

func decideOA(t *testing.T, s OrgAssessment, a Actor, cmd Command) OrgAssessment {
	t.Helper()
	evs, err := DecideOrgAssessment(s, meta(a), cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	for _, e := range evs {
		s = s.Apply(e)
	}
	return s
}

func wantRule(t *testing.T, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want rule %s", rule)
	}
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("got %T %v, want *Error with rule %s", err, err, rule)
	}
	if de.Rule != rule {
		t.Fatalf("got rule %s (%s), want %s", de.Rule, de.Message, rule)
	}
	if de.Message == "" {
		t.Fatalf("rule %s has no message", rule)
	}
}

// Fixture states of the Hartlepool 2009 assessment.

var (
	tR1 = CAAProposeFlag{CAAKey: tK, FlagID: "R1", Colour: FlagRed, Theme: "Teenage pregnancy",
		Indicators: []int{112}, Rationale: "concern", LeadInspectorate: "Ofsted"}
	tG1 = CAAProposeFlag{CAAKey: tK, FlagID: "G1", Colour: FlagGreen, Theme: "Community safety",
		Indicators: []int{15, 16}, Rationale: "exceptional", LeadInspectorate: "Audit Commission"}
	tRR = CAARequestReview{CAAKey: tK, RequestID: "RR1", FlagID: "R1", Grounds: "new strategy"}
)

func caaOpened(t *testing.T) AreaAssessment {
	return decideCAA(t, AreaAssessment{}, tAC, CAAOpenAssessment{CAAKey: tK})
}

func caaDrafted(t *testing.T) AreaAssessment {
	s := caaOpened(t)
	s = decideCAA(t, s, tInsp, tR1)
	return decideCAA(t, s, tAC, tG1)
}

func caaPrePublished(t *testing.T) AreaAssessment {
	return decideCAA(t, caaDrafted(t), tAC, CAAIssuePrePublicationReport{CAAKey: tK})
}

func caaUnderReview(t *testing.T) AreaAssessment {
	return decideCAA(t, caaPrePublished(t), tLSP, tRR)
}

func caaPublished(t *testing.T) AreaAssessment {
	return decideCAA(t, caaPrePublished(t), tAC, CAAPublishAssessment{CAAKey: tK, PublishedOn: "2009-12-10"})
}

var tScores = OAProposeScores{OAKey: tOK, OrgScores: OrgScores{ManagingPerformance: 3, UseOfResources: 2, Overall: 3, DirectionOfTravel: "improving"}, Rationale: "r"}

func oaOpened(t *testing.T) OrgAssessment {
	return decideOA(t, OrgAssessment{}, tAC, OAOpenAssessment{OAKey: tOK})
}

func oaScored(t *testing.T) OrgAssessment { return decideOA(t, oaOpened(t), tAC, tScores) }

func oaPrePublished(t *testing.T) OrgAssessment {
	return decideOA(t, oaScored(t), tAC, OAIssuePrePublicationReport{OAKey: tOK})
}

func oaUnderReview(t *testing.T) OrgAssessment {
	return decideOA(t, oaPrePublished(t), tLA, OARequestReview{OAKey: tOK, RequestID: "RR1", Element: ScoreUseOfResources, Grounds: "g"})
}

func oaPublished(t *testing.T) OrgAssessment {
	return decideOA(t, oaPrePublished(t), tAC, OAPublishAssessment{OAKey: tOK, PublishedOn: "2009-12-10"})
}
