package domain

// Events of the area assessment aggregate (kind "caa"). Each is stored under
// its EventType name forever; a change of shape bumps the version given to
// the event list in registry.go.

// CAAAssessmentOpened starts the area assessment of an area for a year. The
// area's name and region are copied from the reference data so the stored
// fact reads on its own.
type CAAAssessmentOpened struct {
	Area     string `json:"area"`
	AreaName string `json:"area_name"`
	Region   string `json:"region"`
	Year     int    `json:"year"`
}

// CAAFlagProposed records a draft red or green flag.
type CAAFlagProposed struct {
	FlagID           string `json:"flag_id"`
	Colour           string `json:"colour"`
	Theme            string `json:"theme"`
	Indicators       []int  `json:"indicators"`
	Rationale        string `json:"rationale"`
	LeadInspectorate string `json:"lead_inspectorate"`
}

// CAAFlagChanged replaces a draft flag's colour, theme, indicators and
// rationale before publication.
type CAAFlagChanged struct {
	FlagID     string `json:"flag_id"`
	Colour     string `json:"colour"`
	Theme      string `json:"theme"`
	Indicators []int  `json:"indicators"`
	Rationale  string `json:"rationale"`
}

// CAAFlagDropped removes a draft flag before publication.
type CAAFlagDropped struct {
	FlagID string `json:"flag_id"`
	Reason string `json:"reason"`
}

// CAAPrePublicationReportIssued records that the draft judgements went to
// the locality (the area's partnership and council) for comment.
type CAAPrePublicationReportIssued struct {
	Locality string `json:"locality"`
	Note     string `json:"note,omitempty"`
}

// CAALocalityCommentSubmitted records a comment from the locality on its
// pre-publication report, on the report as a whole or on one flag.
type CAALocalityCommentSubmitted struct {
	By      string `json:"by"`
	FlagID  string `json:"flag_id,omitempty"`
	Comment string `json:"comment"`
}

// CAAReviewRequested records the locality's request for review of a flag.
type CAAReviewRequested struct {
	RequestID string `json:"request_id"`
	FlagID    string `json:"flag_id"`
	By        string `json:"by"`
	Grounds   string `json:"grounds"`
}

// CAAReviewDecided records the outcome of a review of a flag. For an
// amended flag it carries the flag as amended, whole.
type CAAReviewDecided struct {
	RequestID  string `json:"request_id"`
	FlagID     string `json:"flag_id"`
	Outcome    string `json:"outcome"`
	Reasons    string `json:"reasons"`
	Colour     string `json:"colour,omitempty"`
	Theme      string `json:"theme,omitempty"`
	Indicators []int  `json:"indicators,omitempty"`
	Rationale  string `json:"rationale,omitempty"`
}

// CAAAssessmentPublished records publication of the area assessment.
type CAAAssessmentPublished struct {
	PublishedOn string `json:"published_on"` // a date, "2009-12-10"
}

// CAACorrectionRecorded records a correction to an earlier event of the same
// assessment. The earlier event stays as it was; the ledger knows event ids,
// the domain does not, so the event store checks the reference.
type CAACorrectionRecorded struct {
	CorrectsEventID string `json:"corrects_event_id"`
	Reason          string `json:"reason"`
	Correction      string `json:"correction"`
}

func (CAAAssessmentOpened) EventType() string           { return "caa.AssessmentOpened" }
func (CAAFlagProposed) EventType() string               { return "caa.FlagProposed" }
func (CAAFlagChanged) EventType() string                { return "caa.FlagChanged" }
func (CAAFlagDropped) EventType() string                { return "caa.FlagDropped" }
func (CAAPrePublicationReportIssued) EventType() string { return "caa.PrePublicationReportIssued" }
func (CAALocalityCommentSubmitted) EventType() string   { return "caa.LocalityCommentSubmitted" }
func (CAAReviewRequested) EventType() string            { return "caa.ReviewRequested" }
func (CAAReviewDecided) EventType() string              { return "caa.ReviewDecided" }
func (CAAAssessmentPublished) EventType() string        { return "caa.AssessmentPublished" }
func (CAACorrectionRecorded) EventType() string         { return "caa.CorrectionRecorded" }
