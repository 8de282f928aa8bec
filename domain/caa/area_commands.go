package caa

import (
	"encoding/json"

	"github.com/laaledger/laaledger/domain"
)

// Commands of the area assessment aggregate (kind "caa"). Each names its
// assessment by area and year; Validate checks the shape of the command
// only, and DecideAreaAssessment checks it against the assessment.

// CAAKey names an area assessment: the area's 2008 SNAC code and the year.
type CAAKey struct {
	Area string `json:"area"`
	Year int    `json:"year"`
}

// Aggregate returns the area assessment the key names.
func (k CAAKey) Aggregate() domain.AggregateRef { return AreaAssessmentRef(k.Area, k.Year) }

// Validate checks the area is given and the year is one CAA ran.
func (k CAAKey) Validate() error {
	if err := caaRequired("area", k.Area); err != nil {
		return err
	}
	return caaCheckYear(k.Year)
}

// OpenAssessment opens the area assessment of an area for a year.
type OpenAssessment struct {
	CAAKey
}

// ProposeFlag proposes a draft red or green flag. FlagID is chosen by the
// caller ("R1", "G1") and is never reused within the assessment.
type ProposeFlag struct {
	CAAKey
	FlagID           string `json:"flag_id"`
	Colour           string `json:"colour"`
	Theme            string `json:"theme"`
	Indicators       []int  `json:"indicators"`
	Rationale        string `json:"rationale"`
	LeadInspectorate string `json:"lead_inspectorate"`
}

// ChangeFlag replaces a draft flag's colour, theme, indicators and
// rationale before publication.
type ChangeFlag struct {
	CAAKey
	FlagID     string `json:"flag_id"`
	Colour     string `json:"colour"`
	Theme      string `json:"theme"`
	Indicators []int  `json:"indicators"`
	Rationale  string `json:"rationale"`
}

// DropFlag drops a draft flag before publication.
type DropFlag struct {
	CAAKey
	FlagID string `json:"flag_id"`
	Reason string `json:"reason"`
}

// IssuePrePublicationReport sends the draft judgements to the locality.
type IssuePrePublicationReport struct {
	CAAKey
	Note string `json:"note,omitempty"`
}

// SubmitLocalityComment is the locality's comment on its pre-publication
// report; FlagID is empty for a comment on the report as a whole.
type SubmitLocalityComment struct {
	CAAKey
	FlagID  string `json:"flag_id,omitempty"`
	Comment string `json:"comment"`
}

// RequestReview is the locality's request for review of one flag.
type RequestReview struct {
	CAAKey
	RequestID string `json:"request_id"`
	FlagID    string `json:"flag_id"`
	Grounds   string `json:"grounds"`
}

// DecideReview decides a review request. An amended outcome gives the
// flag as amended, whole (colour, theme, indicators, rationale).
type DecideReview struct {
	CAAKey
	RequestID  string `json:"request_id"`
	Outcome    string `json:"outcome"`
	Reasons    string `json:"reasons"`
	Colour     string `json:"colour,omitempty"`
	Theme      string `json:"theme,omitempty"`
	Indicators []int  `json:"indicators,omitempty"`
	Rationale  string `json:"rationale,omitempty"`
}

// PublishAssessment publishes the assessment on a date ("2009-12-10").
type PublishAssessment struct {
	CAAKey
	PublishedOn string `json:"published_on"`
}

// RecordCorrection records a correction to an earlier event of the
// assessment, named by its ledger event id or "<command id>#<index>".
// Correction says in words what was wrong; to change what the event said,
// CorrectedType (the original's event type) and Corrected (its whole
// corrected body) give the event as it should have read (see
// [CorrectionRecorded]). A correction with a corrected body may leave
// Correction empty.
type RecordCorrection struct {
	CAAKey
	CorrectsEventID string          `json:"corrects_event_id"`
	Reason          string          `json:"reason"`
	Correction      string          `json:"correction,omitempty"`
	CorrectedType   string          `json:"corrected_type,omitempty"`
	Corrected       json.RawMessage `json:"corrected,omitempty"`
}

func (OpenAssessment) CommandType() string            { return "caa.OpenAssessment" }
func (ProposeFlag) CommandType() string               { return "caa.ProposeFlag" }
func (ChangeFlag) CommandType() string                { return "caa.ChangeFlag" }
func (DropFlag) CommandType() string                  { return "caa.DropFlag" }
func (IssuePrePublicationReport) CommandType() string { return "caa.IssuePrePublicationReport" }
func (SubmitLocalityComment) CommandType() string     { return "caa.SubmitLocalityComment" }
func (RequestReview) CommandType() string             { return "caa.RequestReview" }
func (DecideReview) CommandType() string              { return "caa.DecideReview" }
func (PublishAssessment) CommandType() string         { return "caa.PublishAssessment" }
func (RecordCorrection) CommandType() string          { return "caa.RecordCorrection" }

// Validate checks the command's shape.
func (c OpenAssessment) Validate() error { return c.CAAKey.Validate() }

// Validate checks the command's shape.
func (c ProposeFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaCheckColour(c.Colour),
		caaRequired("theme", c.Theme), caaCheckIndicators(c.Indicators),
		caaRequired("rationale", c.Rationale), caaRequired("lead_inspectorate", c.LeadInspectorate))
}

// Validate checks the command's shape.
func (c ChangeFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaCheckColour(c.Colour),
		caaRequired("theme", c.Theme), caaCheckIndicators(c.Indicators), caaRequired("rationale", c.Rationale))
}

// Validate checks the command's shape.
func (c DropFlag) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckFlagID(c.FlagID), caaRequired("reason", c.Reason))
}

// Validate checks the command's shape.
func (c IssuePrePublicationReport) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaOptional("note", c.Note))
}

// Validate checks the command's shape.
func (c SubmitLocalityComment) Validate() error {
	var flag error
	if c.FlagID != "" {
		flag = caaCheckFlagID(c.FlagID)
	}
	return caaFirstErr(c.CAAKey.Validate(), flag, caaRequired("comment", c.Comment))
}

// Validate checks the command's shape.
func (c RequestReview) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), caaCheckRequestID(c.RequestID), caaCheckFlagID(c.FlagID),
		caaRequired("grounds", c.Grounds))
}

// Validate checks the command's shape: an amended outcome carries the flag
// as amended; the others carry none of it.
func (c DecideReview) Validate() error {
	if err := caaFirstErr(c.CAAKey.Validate(), caaCheckRequestID(c.RequestID), caaRequired("reasons", c.Reasons)); err != nil {
		return err
	}
	switch c.Outcome {
	case ReviewAmended:
		return caaFirstErr(caaCheckColour(c.Colour), caaRequired("theme", c.Theme),
			caaCheckIndicators(c.Indicators), caaRequired("rationale", c.Rationale))
	case ReviewUpheld, ReviewWithdrawn:
		if c.Colour != "" || c.Theme != "" || c.Indicators != nil || c.Rationale != "" {
			return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "a review that is %s changes no wording, colour or indicators; use %q", c.Outcome, ReviewAmended)
		}
		return nil
	default:
		return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review outcome %q must be %q, %q or %q", c.Outcome, ReviewUpheld, ReviewAmended, ReviewWithdrawn)
	}
}

// Validate checks the command's shape.
func (c PublishAssessment) Validate() error {
	if err := c.CAAKey.Validate(); err != nil {
		return err
	}
	_, err := caaParseDate(c.PublishedOn)
	return err
}

// Validate checks the command's shape.
func (c RecordCorrection) Validate() error {
	return caaFirstErr(c.CAAKey.Validate(), c.correction().validate())
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

// The steps of the shared process the commands ask for (see process.go).

func (OpenAssessment) step() step            { return step{op: opOpen} }
func (ProposeFlag) step() step               { return step{op: opDraft} }
func (ChangeFlag) step() step                { return step{op: opDraft} }
func (DropFlag) step() step                  { return step{op: opDraft} }
func (IssuePrePublicationReport) step() step { return step{op: opReport} }
func (c SubmitLocalityComment) step() step   { return step{op: opComment, target: c.FlagID} }
func (c RequestReview) step() step {
	return step{op: opRequestReview, target: c.FlagID, requestID: c.RequestID}
}
func (c DecideReview) step() step {
	return step{op: opDecideReview, requestID: c.RequestID, outcome: c.Outcome}
}
func (PublishAssessment) step() step { return step{op: opPublish} }
func (RecordCorrection) step() step  { return step{op: opCorrect} }
func (c RecordCorrection) correction() Correction {
	return Correction{CorrectsEventID: c.CorrectsEventID, Reason: c.Reason, Correction: c.Correction,
		CorrectedType: c.CorrectedType, Corrected: c.Corrected}
}

func (c PublishAssessment) publishedOn() string { return c.PublishedOn }
