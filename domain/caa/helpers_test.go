package caa

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

var (
	caaAC   = domain.Actor{ID: "ac-1", Role: domain.RoleAuditCommission, Organisation: "Audit Commission"}
	caaInsp = domain.Actor{ID: "insp-1", Role: domain.RoleInspectorate, Organisation: "Ofsted"}
	caaLA   = domain.Actor{ID: "la-1", Role: domain.RoleLA, Organisation: "00EB"}
	caaLSP  = domain.Actor{ID: "lsp-1", Role: domain.RoleLSP, Organisation: "00EB"}
	caaK    = CAAKey{Area: "00EB", Year: 2009}
	oaK     = OAKey{Org: "00EB", Year: 2009}
)

var caaMetaSeq int

func caaMeta(a domain.Actor) domain.Meta {
	caaMetaSeq++
	return domain.Meta{CommandID: fmt.Sprintf("t-%d", caaMetaSeq), Actor: a,
		OccurredAt: time.Date(2009, 11, 1, 10, 0, 0, 0, time.UTC)}
}

// decideCAA decides and folds a command into s, failing the test on a refusal.
func decideCAA(t *testing.T, s AreaAssessment, a domain.Actor, cmd domain.Command) AreaAssessment {
	t.Helper()
	return decideFold(t, DecideAreaAssessment, s, a, cmd)
}

func decideOA(t *testing.T, s OrgAssessment, a domain.Actor, cmd domain.Command) OrgAssessment {
	t.Helper()
	return decideFold(t, DecideOrgAssessment, s, a, cmd)
}

// assessmentState is the state of either kind of assessment, and decider
// its decision.
type (
	assessmentState[S any] interface {
		Apply(domain.Event) S
		clone() S
	}
	decider[S any] func(S, domain.Meta, domain.Command, domain.History) ([]domain.Event, error)
)

// decideFold decides cmd by a for s and folds its events into s, failing
// the test on a refusal.
func decideFold[S assessmentState[S]](t *testing.T, decide decider[S], s S, a domain.Actor, cmd domain.Command) S {
	t.Helper()
	evs, err := decide(s, caaMeta(a), cmd, nil)
	if err != nil {
		t.Fatalf("%s: %v", cmd.CommandType(), err)
	}
	for _, e := range evs {
		s = s.Apply(e)
	}
	return s
}

// checkRefused checks that cmd by a is refused for s by rule, with no
// events and without changing s.
func checkRefused[S assessmentState[S]](t *testing.T, decide decider[S], s S, a domain.Actor, cmd domain.Command, rule string) {
	t.Helper()
	before := s.clone()
	evs, err := decide(s, caaMeta(a), cmd, nil)
	caaWantRule(t, err, rule)
	if evs != nil {
		t.Errorf("refused command returned events %v", evs)
	}
	if !reflect.DeepEqual(before, s) {
		t.Errorf("Decide changed the state it was given")
	}
}

// checkJudgeRoles checks that the judges, and only they, may give cmd
// for s: every other role is refused by caa.judge_role.
func checkJudgeRoles[S assessmentState[S]](t *testing.T, decide decider[S], name string, s S, cmd domain.Command) {
	t.Helper()
	for _, role := range domain.Roles {
		a := domain.Actor{ID: "someone", Role: role, Organisation: "00EB"}
		_, err := decide(s, caaMeta(a), cmd, nil)
		if role == domain.RoleAuditCommission || role == domain.RoleInspectorate {
			if err != nil {
				t.Errorf("%s by %s: %v", name, role, err)
			}
			continue
		}
		if domain.ErrorRule(err) != RuleCAAJudgeRole || domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("%s by %s: got %v (%s), want %s", name, role, err, domain.ErrorRule(err), RuleCAAJudgeRole)
		}
	}
}

func caaWantRule(t *testing.T, err error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want rule %s", rule)
	}
	var de *domain.Error
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
	caaR1 = ProposeFlag{CAAKey: caaK, FlagID: "R1", Colour: FlagRed, Theme: "Teenage pregnancy",
		Indicators: []int{112}, Rationale: "concern", LeadInspectorate: "Ofsted"}
	caaG1 = ProposeFlag{CAAKey: caaK, FlagID: "G1", Colour: FlagGreen, Theme: "Community safety",
		Indicators: []int{15, 16}, Rationale: "exceptional", LeadInspectorate: "Audit Commission"}
	caaRR = RequestReview{CAAKey: caaK, RequestID: "RR1", FlagID: "R1", Grounds: "new strategy"}
)

func caaOpened(t *testing.T) AreaAssessment {
	return decideCAA(t, AreaAssessment{}, caaAC, OpenAssessment{CAAKey: caaK})
}

func caaDrafted(t *testing.T) AreaAssessment {
	s := caaOpened(t)
	s = decideCAA(t, s, caaInsp, caaR1)
	return decideCAA(t, s, caaAC, caaG1)
}

func caaPrePublished(t *testing.T) AreaAssessment {
	return decideCAA(t, caaDrafted(t), caaAC, IssuePrePublicationReport{CAAKey: caaK})
}

func caaUnderReview(t *testing.T) AreaAssessment {
	return decideCAA(t, caaPrePublished(t), caaLSP, caaRR)
}

func caaPublished(t *testing.T) AreaAssessment {
	return decideCAA(t, caaPrePublished(t), caaAC, PublishAssessment{CAAKey: caaK, PublishedOn: "2009-12-10"})
}

var oaTestScores = OAProposeScores{OAKey: oaK, OrgScores: OrgScores{ManagingPerformance: 3, UseOfResources: 2, Overall: 3, DirectionOfTravel: "improving"}, Rationale: "r"}

func oaOpened(t *testing.T) OrgAssessment {
	return decideOA(t, OrgAssessment{}, caaAC, OAOpenAssessment{OAKey: oaK})
}

func oaScored(t *testing.T) OrgAssessment { return decideOA(t, oaOpened(t), caaAC, oaTestScores) }

func oaPrePublished(t *testing.T) OrgAssessment {
	return decideOA(t, oaScored(t), caaAC, OAIssuePrePublicationReport{OAKey: oaK})
}

func oaUnderReview(t *testing.T) OrgAssessment {
	return decideOA(t, oaPrePublished(t), caaLA, OARequestReview{OAKey: oaK, RequestID: "RR1", Element: ScoreUseOfResources, Grounds: "g"})
}

func oaPublished(t *testing.T) OrgAssessment {
	return decideOA(t, oaPrePublished(t), caaAC, OAPublishAssessment{OAKey: oaK, PublishedOn: "2009-12-10"})
}

// kindTypes is a registry of this package's types, for the tests that
// encode and decode them (domain/registry imports this package, so its
// tests cannot use that one).
var kindTypes = domain.NewRegistry(Register)
