package caa

import (
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// A correction is a fact: dated before the assessment's latest act it is
// accepted (it used to be refused with caa.time_order), but not before the
// assessment was opened.
func TestCorrectionDatedBeforeLaterActsIsAccepted(t *testing.T) {
	h := past("open", "flag", "prepub", "publish")
	for i := range h {
		h[i].Timing = domain.Act
	}
	m := caaMeta(caaAC)
	m.OccurredAt = h[1].OccurredAt // the day the flag was proposed
	fix := RecordCorrection{CAAKey: caaK, CorrectsEventID: "ev-flag", Reason: "wrong theme", Correction: "theme is housing"}
	evs, err := DecideAreaAssessment(caaPublished(t), m, fix, h)
	if err != nil || len(evs) != 1 {
		t.Fatalf("backdated correction: %v %v", evs, err)
	}
	m.OccurredAt = h[0].OccurredAt.Add(-time.Hour)
	_, err = DecideAreaAssessment(caaPublished(t), m, fix, h)
	caaWantRule(t, err, domain.RuleCAATimeOrder)
	// An act dated before the latest act is still refused.
	m.OccurredAt = h[1].OccurredAt
	_, err = DecideAreaAssessment(caaPrePublished(t), m, PublishAssessment{CAAKey: caaK, PublishedOn: m.OccurredAt.Format(time.DateOnly)}, h)
	caaWantRule(t, err, domain.RuleCAATimeOrder)
}

// A publication date after the ledger records the publication is refused.
func TestPublicationDateAfterTheRecordedTimeIsRefused(t *testing.T) {
	m := caaMeta(caaAC)
	m.RecordedAt = m.OccurredAt
	on := m.OccurredAt.AddDate(0, 0, 2).Format(time.DateOnly)
	_, err := DecideAreaAssessment(caaPrePublished(t), m, PublishAssessment{CAAKey: caaK, PublishedOn: on}, nil)
	caaWantRule(t, err, RuleCAAPublicationDate)
	_, err = DecideAreaAssessment(caaPrePublished(t), m, PublishAssessment{CAAKey: caaK, PublishedOn: m.OccurredAt.Format(time.DateOnly)}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// Every registered assessment event type declares its timing.
func TestEveryAssessmentEventDeclaresItsTiming(t *testing.T) {
	r := domain.NewRegistry(Register)
	for _, typ := range r.EventTypes() {
		e, _ := r.NewEvent(typ)
		if domain.TimingOf(e) == 0 {
			t.Errorf("%s declares no timing", typ)
		}
	}
}
