package domain

// Commands of the area assessment aggregate (kind "caa"). Each names its
// assessment by area and year; Validate checks the shape of the command
// only, and DecideAreaAssessment checks it against the assessment.

// CAAKey names an area assessment: the area's 2008 SNAC code and the year.
type CAAKey struct {
	Area string `json:"area"`
	Year int    `json:"year"`
}

// Aggregate returns the area assessment the key names.
func (k CAAKey) Aggregate() AggregateRef { return AreaAssessmentRef(k.Area, k.Year) }

// Validate checks the area is given and the year is one CAA ran.
func (k CAAKey) Validate() error {
	if err := caaRequired("area", k.Area); err != nil {
		return err
	}
	return caaCheckYear(k.Year)
}

// CAAOpenAssessment opens the area assessment of an area for a year.
type CAAOpenAssessment struct {
	CAAKey
}

// CAAProposeFlag proposes a draft red or green flag. FlagID is chosen by the
// caller ("R1", "G1") and is never reused within the assessment.
type CAAProposeFlag struct {
	CAAKey
	FlagID           string `json:"flag_id"`
	Colour           string `json:"colour"`
	Theme            string `json:"theme"`
	Indicators       []int  `json:"indicators"`
	Rationale        string `json:"rationale"`
	LeadInspectorate string `json:"lead_inspectorate"`
}

// CAAChangeFlag replaces a draft flag's colour, theme, indicators and
// rationale before publication.
type CAAChangeFlag struct {
	CAAKey
	FlagID     string `json:"flag_id"`
	Colour     string `json:"colour"`
	Theme      string `json:"theme"`
	Indicators []int  `json:"indicators"`
	Rationale  string `json:"rationale"`
}

// CAADropFlag drops a draft flag before publication.
type CAADropFlag struct {
	CAAKey
	FlagID string `json:"flag_id"`
	Reason string `json:"reason"`
}

// CAAIssuePrePublicationReport sends the draft judgements to the locality.
type CAAIssuePrePublicationReport struct {
	CAAKey
	Note string `json:"note,omitempty"`
}

// CAASubmitLocalityComment is the locality's comment on its pre-publication
// report; FlagID is empty for a comment on the report as a whole.
type CAASubmitLocalityComment struct {
	CAAKey
	FlagID  string `json:"flag_id,omitempty"`
	Comment string `json:"comment"`
}

// CAARequestReview is the locality's request for review of one flag.
type CAARequestReview struct {
	CAAKey
	RequestID string `json:"request_id"`
	FlagID    string `json:"flag_id"`
	Grounds   string `json:"grounds"`
}

// CAADecideReview decides a review request. An amended outcome gives the
// flag as amended, whole (colour, theme, indicators, rationale).
type CAADecideReview struct {
	CAAKey
	RequestID  string `json:"request_id"`
	Outcome    string `json:"outcome"`
	Reasons    string `json:"reasons"`
	Colour     string `json:"colour,omitempty"`
	Theme      string `json:"theme,omitempty"`
	Indicators []int  `json:"indicators,omitempty"`
	Rationale  string `json:"rationale,omitempty"`
}

// CAAPublishAssessment publishes the assessment on a date ("2009-12-10").
type CAAPublishAssessment struct {
	CAAKey
	PublishedOn string `json:"published_on"`
}

// CAARecordCorrection records a correction to an earlier event of the
// assessment, named by its ledger event id.
type CAARecordCorrection struct {
	CAAKey
	CorrectsEventID string `json:"corrects_event_id"`
	Reason          string `json:"reason"`
	Correction      string `json:"correction"`
}

func (CAAOpenAssessment) CommandType() string            { return "caa.OpenAssessment" }
func (CAAProposeFlag) CommandType() string               { return "caa.ProposeFlag" }
func (CAAChangeFlag) CommandType() string                { return "caa.ChangeFlag" }
func (CAADropFlag) CommandType() string                  { return "caa.DropFlag" }
func (CAAIssuePrePublicationReport) CommandType() string { return "caa.IssuePrePublicationReport" }
func (CAASubmitLocalityComment) CommandType() string     { return "caa.SubmitLocalityComment" }
func (CAARequestReview) CommandType() string             { return "caa.RequestReview" }
func (CAADecideReview) CommandType() string              { return "caa.DecideReview" }
func (CAAPublishAssessment) CommandType() string         { return "caa.PublishAssessment" }
func (CAARecordCorrection) CommandType() string          { return "caa.RecordCorrection" }

// Validate checks the command's shape.
func (c CAAOpenAssessment) Validate() error { return c.CAAKey.Validate() }

// Validate checks the command's shape.
func (c CAAProposeFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaCheckColour(c.Colour),
		caaRequired("theme", c.Theme), caaCheckIndicators(c.Indicators),
		caaRequired("rationale", c.Rationale), caaRequired("lead_inspectorate", c.LeadInspectorate))
}

// Validate checks the command's shape.
func (c CAAChangeFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaCheckColour(c.Colour),
		caaRequired("theme", c.Theme), caaCheckIndicators(c.Indicators), caaRequired("rationale", c.Rationale))
}

// Validate checks the command's shape.
func (c CAADropFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaRequired("reason", c.Reason))
}

// Validate checks the command's shape.
func (c CAAIssuePrePublicationReport) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaOptional("note", c.Note))
}

// Validate checks the command's shape.
func (c CAASubmitLocalityComment) Validate() error {
	var flag error
	if c.FlagID != "" {
		flag = caaCheckFlagID(c.FlagID)
	}
	return caaFirstErr(c.CAAKey.Validate(), flag, caaRequired("comment", c.Comment))
}

// Validate checks the command's shape.
func (c CAARequestReview) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckRequestID(c.RequestID), caaCheckFlagID(c.FlagID),
		caaRequired("grounds", c.Grounds))
}

// Validate checks the command's shape: an amended outcome carries the flag
// as amended; the others carry none of it.
func (c CAADecideReview) Validate() error {
	if err := caaFirstErr(c.CAAKey.Validate(), caaCheckRequestID(c.RequestID), caaRequired("reasons", c.Reasons)); err != nil {
		return err
	}
	switch c.Outcome {
	case ReviewAmended:
		return caaFirstErr(caaCheckColour(c.Colour), caaRequired("theme", c.Theme),
			caaCheckIndicators(c.Indicators), caaRequired("rationale", c.Rationale))
	case ReviewUpheld, ReviewWithdrawn:
		if c.Colour != "" || c.Theme != "" || c.Indicators != nil || c.Rationale != "" {
			return Errorf(EINVALID, RuleCAAReviewOutcome, "a review that is %s changes no wording, colour or indicators; use %q", c.Outcome, ReviewAmended)
		}
		return nil
	default:
		return Errorf(EINVALID, RuleCAAReviewOutcome, "review outcome %q must be %q, %q or %q", c.Outcome, ReviewUpheld, ReviewAmended, ReviewWithdrawn)
	}
}

// Validate checks the command's shape.
func (c CAAPublishAssessment) Validate() error {
	if err := c.CAAKey.Validate(); err != nil {
		return err
	}
	_, err := caaParseDate(c.PublishedOn)
	return err
}

// Validate checks the command's shape.
func (c CAARecordCorrection) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaRequired("corrects_event_id", c.CorrectsEventID),
		caaRequired("reason", c.Reason), caaRequired("correction", c.Correction))
}

// caaFirstErr returns the first non-nil error, so a Validate reads as a list.
func caaFirstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
