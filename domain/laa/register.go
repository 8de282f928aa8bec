package laa

import "github.com/laaledger/laaledger/domain"

// Register records the agreement's event and command types in r. The
// commonest events are decoded by [DecodeFast] before encoding/json.
func Register(r *domain.Registry) {
	r.RegisterEvents(1, DecodeFast, events...)
	r.RegisterCommands(OpenAgreement{}, ProposeTarget{}, CounterProposeTarget{}, AcceptProposal{},
		WithdrawTarget{}, AdoptAgreement{}, SubmitAgreement{}, ApproveAgreement{}, SubmitSelfAssessment{},
		HoldAnnualReview{}, SendAnnualReviewReport{}, OpenRefresh{}, ProposeRevision{}, CounterProposeRevision{},
		AgreeRevision{}, AdoptRefresh{}, ConcludeRefresh{}, ApproveRefresh{}, RecordOutturn{}, RecordCorrection{})
}
