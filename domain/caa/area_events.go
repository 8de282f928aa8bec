package caa

import "encoding/json"

// Events of the area assessment aggregate (kind "caa"). Each is stored under
// its EventType name forever; a change of shape bumps the version given to
// the event list in register.go.

// AssessmentOpened starts the area assessment of an area for a year. The
// area's name and region are copied from the reference data so the stored
// fact reads on its own.
type AssessmentOpened struct {
	Area     string `json:"area"`
	AreaName string `json:"area_name"`
	Region   string `json:"region"`
	Year     int    `json:"year"`
}

// FlagProposed records a draft red or green flag.
type FlagProposed struct {
	FlagID           string `json:"flag_id"`
	Colour           string `json:"colour"`
	Theme            string `json:"theme"`
	Indicators       []int  `json:"indicators"`
	Rationale        string `json:"rationale"`
	LeadInspectorate string `json:"lead_inspectorate"`
}

// FlagChanged replaces a draft flag's colour, theme, indicators and
// rationale before publication.
type FlagChanged struct {
	FlagID     string `json:"flag_id"`
	Colour     string `json:"colour"`
	Theme      string `json:"theme"`
	Indicators []int  `json:"indicators"`
	Rationale  string `json:"rationale"`
}

// FlagDropped removes a draft flag before publication.
type FlagDropped struct {
	FlagID string `json:"flag_id"`
	Reason string `json:"reason"`
}

// PrePublicationReportIssued records that the draft judgements went to
// the locality (the area's partnership and council) for comment.
type PrePublicationReportIssued struct {
	Locality string `json:"locality"`
	Note     string `json:"note,omitempty"`
}

// LocalityCommentSubmitted records a comment from the locality on its
// pre-publication report, on the report as a whole or on one flag.
type LocalityCommentSubmitted struct {
	By      string `json:"by"`
	FlagID  string `json:"flag_id,omitempty"`
	Comment string `json:"comment"`
}

// ReviewRequested records the locality's request for review of a flag.
type ReviewRequested struct {
	RequestID string `json:"request_id"`
	FlagID    string `json:"flag_id"`
	By        string `json:"by"`
	Grounds   string `json:"grounds"`
}

// ReviewDecided records the outcome of a review of a flag. For an
// amended flag it carries the flag as amended, whole.
type ReviewDecided struct {
	RequestID  string `json:"request_id"`
	FlagID     string `json:"flag_id"`
	Outcome    string `json:"outcome"`
	Reasons    string `json:"reasons"`
	Colour     string `json:"colour,omitempty"`
	Theme      string `json:"theme,omitempty"`
	Indicators []int  `json:"indicators,omitempty"`
	Rationale  string `json:"rationale,omitempty"`
}

// AssessmentPublished records publication of the area assessment.
type AssessmentPublished struct {
	PublishedOn string `json:"published_on"` // a date, "2009-12-10"
}

// CorrectionRecorded records a correction to an earlier event of the same
// assessment (of either kind: [OACorrectionRecorded] has its shape),
// named by its ledger event id or "<command id>#<index>". The earlier
// event stays as it was. Correction says in words what was wrong;
// Corrected, when present, is the corrected body of that event, of type
// CorrectedType (the original's type): in every fold where the correction
// counts, the original's body is replaced by it ([domain.Canonical]), so
// the corrected judgement is the one that stands. Without it the
// correction is a note.
type CorrectionRecorded struct {
	CorrectsEventID string          `json:"corrects_event_id"`
	Reason          string          `json:"reason"`
	Correction      string          `json:"correction"`
	CorrectedType   string          `json:"corrected_type,omitempty"`
	Corrected       json.RawMessage `json:"corrected,omitempty"`
}

func (AssessmentOpened) EventType() string           { return "caa.AssessmentOpened" }
func (FlagProposed) EventType() string               { return "caa.FlagProposed" }
func (FlagChanged) EventType() string                { return "caa.FlagChanged" }
func (FlagDropped) EventType() string                { return "caa.FlagDropped" }
func (PrePublicationReportIssued) EventType() string { return "caa.PrePublicationReportIssued" }
func (LocalityCommentSubmitted) EventType() string   { return "caa.LocalityCommentSubmitted" }
func (ReviewRequested) EventType() string            { return "caa.ReviewRequested" }
func (ReviewDecided) EventType() string              { return "caa.ReviewDecided" }
func (AssessmentPublished) EventType() string        { return "caa.AssessmentPublished" }
func (CorrectionRecorded) EventType() string         { return "caa.CorrectionRecorded" }
