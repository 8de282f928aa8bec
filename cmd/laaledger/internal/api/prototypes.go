package api

import "github.com/laaledger/laaledger/domain"

// commandPrototypes maps each command type to a zero value of its Go type,
// from which the OpenAPI document derives the command's body schema. The
// domain's registry does not expose Go types, so they are listed here;
// TestEveryCommandHasASchema fails when the domain registers a command
// this list lacks.
func commandPrototypes() map[string]domain.Command {
	m := map[string]domain.Command{}
	for _, c := range append(prototypeList, testPrototypes...) {
		m[c.CommandType()] = c
	}
	return m
}

// testPrototypes lets tests add the commands they register.
var testPrototypes []domain.Command

var prototypeList = []domain.Command{
	domain.OpenAgreement{}, domain.ProposeTarget{}, domain.CounterProposeTarget{}, domain.AcceptProposal{},
	domain.WithdrawTarget{}, domain.AdoptAgreement{}, domain.SubmitAgreement{}, domain.ApproveAgreement{},
	domain.SubmitSelfAssessment{}, domain.HoldAnnualReview{}, domain.SendAnnualReviewReport{},
	domain.OpenRefresh{}, domain.ProposeRevision{}, domain.CounterProposeRevision{}, domain.AgreeRevision{},
	domain.AdoptRefresh{}, domain.ConcludeRefresh{}, domain.ApproveRefresh{},
	domain.RecordOutturn{}, domain.RecordCorrection{},

	domain.ImportIndicators{},

	domain.CAAOpenAssessment{}, domain.CAAProposeFlag{}, domain.CAAChangeFlag{}, domain.CAADropFlag{},
	domain.CAAIssuePrePublicationReport{}, domain.CAASubmitLocalityComment{}, domain.CAARequestReview{},
	domain.CAADecideReview{}, domain.CAAPublishAssessment{}, domain.CAARecordCorrection{},

	domain.OAOpenAssessment{}, domain.OAProposeScores{}, domain.OAIssuePrePublicationReport{},
	domain.OASubmitComment{}, domain.OARequestReview{}, domain.OADecideReview{},
	domain.OAPublishAssessment{}, domain.OARecordCorrection{},
}
