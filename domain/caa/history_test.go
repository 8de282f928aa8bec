package caa

import (
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// past is a history of one event per command id, each a day after the
// last, ending on the day caaMeta dates its commands.
func past(ids ...string) domain.Past {
	end := caaMeta(caaAC).OccurredAt
	p := make(domain.Past, len(ids))
	for i, id := range ids {
		p[i] = domain.Recorded{EventID: "ev-" + id, CommandID: id, OccurredAt: end.AddDate(0, 0, i+1-len(ids))}
	}
	return p
}

func TestAssessmentCommandDatedBeforeLatestEventIsRefusedAfterWhoMayAct(t *testing.T) {
	h := past("open", "flag")
	late := h[len(h)-1].OccurredAt.Add(time.Hour)
	flag := ProposeFlag{CAAKey: caaK, FlagID: "R9", Colour: FlagRed, Theme: "t", Indicators: []int{112}, Rationale: "r", LeadInspectorate: "Audit Commission"}

	m := caaMeta(caaAC)
	m.OccurredAt = late
	h[len(h)-1].OccurredAt = late.Add(time.Minute)
	_, err := DecideAreaAssessment(caaOpened(t), m, flag, h)
	caaWantRule(t, err, domain.RuleCAATimeOrder)

	m.Actor = caaLA
	_, err = DecideAreaAssessment(caaOpened(t), m, flag, h)
	caaWantRule(t, err, RuleCAAJudgeRole)

	m = caaMeta(caaAC)
	m.OccurredAt = late
	_, err = DecideOrgAssessment(oaOpened(t), m, OAProposeScores{OAKey: oaK, OrgScores: OrgScores{ManagingPerformance: 2, UseOfResources: 2, Overall: 2}, Rationale: "r"}, h)
	caaWantRule(t, err, domain.RuleOATimeOrder)

	m.OccurredAt = late.Add(time.Minute)
	if _, err := DecideAreaAssessment(caaOpened(t), m, flag, h); err != nil {
		t.Fatalf("a command dated with the latest event: %v", err)
	}
}

func TestCorrectionMustNameAnEventOfItsAggregate(t *testing.T) {
	h := past("open", "flags", "flags", "report", "publish")
	h[2].EventID = "ev-flags-2"
	for _, tc := range []struct {
		desc, ref string
		ok        bool
	}{
		{"by event id", "ev-report", true},
		{"by command id and index", "flags#1", true},
		{"index beyond the command's events", "flags#2", false},
		{"unknown event id", "ev-other", false},
		{"unknown command", "other#0", false},
		{"malformed index", "flags#x", false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			cmds := []domain.Command{
				RecordCorrection{CAAKey: caaK, CorrectsEventID: tc.ref, Reason: "r", Correction: "c"},
				OARecordCorrection{OAKey: oaK, CorrectsEventID: tc.ref, Reason: "r", Correction: "c"},
			}
			for _, cmd := range cmds {
				var err error
				switch cmd.(type) {
				case RecordCorrection:
					_, err = DecideAreaAssessment(caaPublished(t), caaMeta(caaAC), cmd, h)
				default:
					_, err = DecideOrgAssessment(oaPublished(t), caaMeta(caaAC), cmd, h)
				}
				if tc.ok && err != nil {
					t.Fatalf("%s: %v", cmd.CommandType(), err)
				}
				if !tc.ok {
					caaWantRule(t, err, domain.RuleCorrectionUnknownEvent)
				}
			}
		})
	}
}

// A publication date before the assessment was opened is refused: the LAA
// reopening rule trusts it, so a flag must not count as published before it
// existed.
func TestPublicationDatedBeforeTheAssessmentWasOpenedIsRefused(t *testing.T) {
	h := past("open", "flag", "report")
	opened := h[0].OccurredAt.Format(time.DateOnly)
	m := caaMeta(caaAC)
	_, err := DecideAreaAssessment(caaPrePublished(t), m, PublishAssessment{CAAKey: caaK, PublishedOn: "2008-01-01"}, h)
	caaWantRule(t, err, RuleCAAPublicationDate)
	if err == nil || !strings.Contains(err.Error(), "before the assessment") || !strings.Contains(err.Error(), opened) {
		t.Fatalf("error %v does not name the opening date %s", err, opened)
	}
	if _, err := DecideAreaAssessment(caaPrePublished(t), m, PublishAssessment{CAAKey: caaK, PublishedOn: opened}, h); err != nil {
		t.Fatalf("publication on the opening day: %v", err)
	}
}
