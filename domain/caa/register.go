package caa

import "github.com/laaledger/laaledger/domain"

// Register records the area and organisational assessments' event and
// command types in r.
func Register(r *domain.Registry) {
	// Area assessments.
	r.RegisterEvents(1, nil, areaEvents...)
	r.RegisterCommands(OpenAssessment{}, ProposeFlag{}, ChangeFlag{}, DropFlag{},
		IssuePrePublicationReport{}, SubmitLocalityComment{}, RequestReview{},
		DecideReview{}, PublishAssessment{}, RecordCorrection{})
	// Organisational assessments.
	r.RegisterEvents(1, nil, orgEvents...)
	r.RegisterCommands(OAOpenAssessment{}, OAProposeScores{}, OAIssuePrePublicationReport{},
		OASubmitComment{}, OARequestReview{}, OADecideReview{},
		OAPublishAssessment{}, OARecordCorrection{})
}

// areaEvents and orgEvents are the event types of the two kinds, as
// registered; a corrected body decodes as one of its kind's.
var (
	areaEvents = []domain.Event{AssessmentOpened{}, FlagProposed{}, FlagChanged{}, FlagDropped{},
		PrePublicationReportIssued{}, LocalityCommentSubmitted{},
		ReviewRequested{}, ReviewDecided{}, AssessmentPublished{},
		CorrectionRecorded{}}
	orgEvents = []domain.Event{OAAssessmentOpened{}, OAScoresProposed{}, OAPrePublicationReportIssued{},
		OACommentSubmitted{}, OAReviewRequested{}, OAReviewDecided{},
		OAAssessmentPublished{}, OACorrectionRecorded{}}
)

// Timing: which assessment events are acts in a sequence and which are
// facts about the past (see [domain.Timing]). This table is the one place
// that says so; caa.time_order and oa.time_order keep business-time order
// for acts only.
//
// Acts: the opening; drafting flags and scores (proposing, changing,
// dropping: each draft replaces the one before); the pre-publication
// report, which opens the comment window; comments and review requests,
// which the rules admit only inside that window; review decisions; and
// publication, which closes the assessment. Each depends on the ones
// before it, so their order is the assessment's sequence.
//
// Facts: a correction, which records what an earlier event should have
// said and may be dated at that event's time. A correction carrying a
// corrected body changes the judgement in every fold where it counts
// ([domain.Canonical]); one without is a note.
var timings = map[string]domain.Timing{
	AssessmentOpened{}.EventType():             domain.Act,
	FlagProposed{}.EventType():                 domain.Act,
	FlagChanged{}.EventType():                  domain.Act,
	FlagDropped{}.EventType():                  domain.Act,
	PrePublicationReportIssued{}.EventType():   domain.Act,
	LocalityCommentSubmitted{}.EventType():     domain.Act,
	ReviewRequested{}.EventType():              domain.Act,
	ReviewDecided{}.EventType():                domain.Act,
	AssessmentPublished{}.EventType():          domain.Act,
	CorrectionRecorded{}.EventType():           domain.Fact,
	OAAssessmentOpened{}.EventType():           domain.Act,
	OAScoresProposed{}.EventType():             domain.Act,
	OAPrePublicationReportIssued{}.EventType(): domain.Act,
	OACommentSubmitted{}.EventType():           domain.Act,
	OAReviewRequested{}.EventType():            domain.Act,
	OAReviewDecided{}.EventType():              domain.Act,
	OAAssessmentPublished{}.EventType():        domain.Act,
	OACorrectionRecorded{}.EventType():         domain.Fact,
}

// timingOf is the timing of a decision's events: a fact only if every
// event is one.
func timingOf(events []domain.Event) domain.Timing {
	for _, e := range events {
		if domain.TimingOf(e) != domain.Fact {
			return domain.Act
		}
	}
	return domain.Fact
}

func (e AssessmentOpened) Timing() domain.Timing             { return timings[e.EventType()] }
func (e FlagProposed) Timing() domain.Timing                 { return timings[e.EventType()] }
func (e FlagChanged) Timing() domain.Timing                  { return timings[e.EventType()] }
func (e FlagDropped) Timing() domain.Timing                  { return timings[e.EventType()] }
func (e PrePublicationReportIssued) Timing() domain.Timing   { return timings[e.EventType()] }
func (e LocalityCommentSubmitted) Timing() domain.Timing     { return timings[e.EventType()] }
func (e ReviewRequested) Timing() domain.Timing              { return timings[e.EventType()] }
func (e ReviewDecided) Timing() domain.Timing                { return timings[e.EventType()] }
func (e AssessmentPublished) Timing() domain.Timing          { return timings[e.EventType()] }
func (e CorrectionRecorded) Timing() domain.Timing           { return timings[e.EventType()] }
func (e OAAssessmentOpened) Timing() domain.Timing           { return timings[e.EventType()] }
func (e OAScoresProposed) Timing() domain.Timing             { return timings[e.EventType()] }
func (e OAPrePublicationReportIssued) Timing() domain.Timing { return timings[e.EventType()] }
func (e OACommentSubmitted) Timing() domain.Timing           { return timings[e.EventType()] }
func (e OAReviewRequested) Timing() domain.Timing            { return timings[e.EventType()] }
func (e OAReviewDecided) Timing() domain.Timing              { return timings[e.EventType()] }
func (e OAAssessmentPublished) Timing() domain.Timing        { return timings[e.EventType()] }
func (e OACorrectionRecorded) Timing() domain.Timing         { return timings[e.EventType()] }

// Corrects implements [domain.Correcting].
func (e CorrectionRecorded) Corrects() string { return e.CorrectsEventID }

// CorrectedBody implements [domain.Correcting]: the corrected body, decoded
// as CorrectedType, an area assessment event; false for a correction that
// carries none (a note).
func (e CorrectionRecorded) CorrectedBody() (domain.Event, bool) { return correctedBody(areaEvents, e) }

// Corrects implements [domain.Correcting].
func (e OACorrectionRecorded) Corrects() string { return e.CorrectsEventID }

// CorrectedBody implements [domain.Correcting], for an organisational
// assessment's event.
func (e OACorrectionRecorded) CorrectedBody() (domain.Event, bool) {
	return correctedBody(orgEvents, CorrectionRecorded(e))
}

func correctedBody(events []domain.Event, e CorrectionRecorded) (domain.Event, bool) {
	return domain.CorrectedBody(events, e.CorrectedType, e.Corrected)
}
