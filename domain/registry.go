package domain

import "reflect"

// The one list of the domain's event and command types. DecodeEvent,
// EncodeEvent, DecodeCommand, EventTypes and CommandTypes answer from the
// registries built here once, when the package is initialised; a new type
// is added here and nowhere else. [RegisterEvent] and [RegisterCommand]
// remain for types defined outside the package (a test's own commands).

// domainEvents is every event type of the domain with its current schema
// version.
func domainEvents() map[string]eventCodec {
	m := map[string]eventCodec{}
	add := func(version int, protos ...Event) {
		for _, p := range protos {
			addEvent(m, p, version)
		}
	}
	// The indicator catalogue.
	add(1, IndicatorAdded{}, IndicatorRetitled{}, IndicatorReclassified{}, IndicatorWithdrawn{})
	// Local Area Agreements.
	add(1, AgreementOpened{}, TargetProposed{}, TargetCounterProposed{}, TargetAgreed{},
		TargetWithdrawn{}, AgreementAdopted{}, AgreementSubmitted{}, AgreementApproved{},
		SelfAssessmentSubmitted{}, AnnualReviewHeld{}, AnnualReviewReportSent{}, RefreshOpened{},
		RefreshRevisionProposed{}, RefreshRevisionCountered{}, RefreshRevisionAgreed{}, RefreshAdopted{},
		RefreshConcluded{}, RefreshApproved{}, OutturnRecorded{}, CorrectionRecorded{})
	// CAA area assessments.
	add(1, CAAAssessmentOpened{}, CAAFlagProposed{}, CAAFlagChanged{}, CAAFlagDropped{},
		CAAPrePublicationReportIssued{}, CAALocalityCommentSubmitted{},
		CAAReviewRequested{}, CAAReviewDecided{}, CAAAssessmentPublished{},
		CAACorrectionRecorded{})
	// CAA organisational assessments.
	add(1, OAAssessmentOpened{}, OAScoresProposed{}, OAPrePublicationReportIssued{},
		OACommentSubmitted{}, OAReviewRequested{}, OAReviewDecided{},
		OAAssessmentPublished{}, OACorrectionRecorded{})
	return m
}

// domainCommands is every command type of the domain.
func domainCommands() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	add := func(protos ...Command) {
		for _, p := range protos {
			addCommand(m, p)
		}
	}
	// The indicator catalogue.
	add(ImportIndicators{})
	// Local Area Agreements.
	add(OpenAgreement{}, ProposeTarget{}, CounterProposeTarget{}, AcceptProposal{},
		WithdrawTarget{}, AdoptAgreement{}, SubmitAgreement{}, ApproveAgreement{}, SubmitSelfAssessment{},
		HoldAnnualReview{}, SendAnnualReviewReport{}, OpenRefresh{}, ProposeRevision{}, CounterProposeRevision{},
		AgreeRevision{}, AdoptRefresh{}, ConcludeRefresh{}, ApproveRefresh{}, RecordOutturn{}, RecordCorrection{})
	// CAA area assessments.
	add(CAAOpenAssessment{}, CAAProposeFlag{}, CAAChangeFlag{}, CAADropFlag{},
		CAAIssuePrePublicationReport{}, CAASubmitLocalityComment{}, CAARequestReview{},
		CAADecideReview{}, CAAPublishAssessment{}, CAARecordCorrection{})
	// CAA organisational assessments.
	add(OAOpenAssessment{}, OAProposeScores{}, OAIssuePrePublicationReport{},
		OASubmitComment{}, OARequestReview{}, OADecideReview{},
		OAPublishAssessment{}, OARecordCorrection{})
	return m
}

// addEvent records an event type in m; a type name twice is a programming
// error.
func addEvent(m map[string]eventCodec, proto Event, version int) {
	name := proto.EventType()
	if _, dup := m[name]; dup {
		panic("domain: event type registered twice: " + name)
	}
	m[name] = eventCodec{version: version, typ: structType(proto)}
}

// addCommand records a command type in m; a type name twice is a
// programming error.
func addCommand(m map[string]reflect.Type, proto Command) {
	name := proto.CommandType()
	if _, dup := m[name]; dup {
		panic("domain: command type registered twice: " + name)
	}
	m[name] = structType(proto)
}

func structType(proto any) reflect.Type {
	t := reflect.TypeOf(proto)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
