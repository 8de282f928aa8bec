package caa

import "github.com/laaledger/laaledger/domain"

// Register records the area and organisational assessments' event and
// command types in r.
func Register(r *domain.Registry) {
	// Area assessments.
	r.RegisterEvents(1, nil, AssessmentOpened{}, FlagProposed{}, FlagChanged{}, FlagDropped{},
		PrePublicationReportIssued{}, LocalityCommentSubmitted{},
		ReviewRequested{}, ReviewDecided{}, AssessmentPublished{},
		CorrectionRecorded{})
	r.RegisterCommands(OpenAssessment{}, ProposeFlag{}, ChangeFlag{}, DropFlag{},
		IssuePrePublicationReport{}, SubmitLocalityComment{}, RequestReview{},
		DecideReview{}, PublishAssessment{}, RecordCorrection{})
	// Organisational assessments.
	r.RegisterEvents(1, nil, OAAssessmentOpened{}, OAScoresProposed{}, OAPrePublicationReportIssued{},
		OACommentSubmitted{}, OAReviewRequested{}, OAReviewDecided{},
		OAAssessmentPublished{}, OACorrectionRecorded{})
	r.RegisterCommands(OAOpenAssessment{}, OAProposeScores{}, OAIssuePrePublicationReport{},
		OASubmitComment{}, OARequestReview{}, OADecideReview{},
		OAPublishAssessment{}, OARecordCorrection{})
}
