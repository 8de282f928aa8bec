package caa

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/laaledger/laaledger/domain"
)

// Organisational assessments (kind "oa") score a council or another body
// for a year. Their id is "<org>/<year>", and org is either
//
//   - a council: the 2008 ONS/SNAC code of one of the 150 LAA areas in the
//     reference data ("00EB"), the area's lead council; or
//   - another body assessed under CAA (a fire and rescue authority, a police
//     authority, a primary care trust and so on): "body:" and a slug of 2-40
//     lower-case letters, digits and hyphens ("body:example-fire-authority").
//     The ledger holds no reference list of such bodies, so the slug is
//     checked only for its shape; whoever registers the body chooses it.
//
// Who speaks for the assessed organisation: for a council, RoleLA with
// Organisation equal to the SNAC code; for another body, which the base has
// no role for, RoleLSP (it is a partner in the LSP) with Organisation equal
// to the body id.

var caaBodySlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// BodyPrefix starts the id of an assessed body that is not a council.
const BodyPrefix = "body:"

// ValidateOrgID checks an organisation id of an organisational assessment.
func ValidateOrgID(org string) error {
	if slug, ok := strings.CutPrefix(org, BodyPrefix); ok {
		if !caaBodySlugPattern.MatchString(slug) {
			return domain.Errorf(domain.EINVALID, RuleCAAOrgID, "body id %q must be %q and 2-40 lower-case letters, digits or hyphens", org, BodyPrefix)
		}
		return nil
	}
	if _, ok := domain.LookupArea(org); !ok {
		return domain.Errorf(domain.ENOTFOUND, RuleCAAOrgID, "organisation %q is neither a council's 2008 SNAC code (for example 00EB) nor a body id like %q", org, BodyPrefix+"example-fire-authority")
	}
	return nil
}

// Score elements of an organisational assessment, as review requests and
// comments name them.
const (
	ScoreManagingPerformance = "managing_performance"
	ScoreUseOfResources      = "use_of_resources"
	ScoreOverall             = "overall"
	ScoreDirectionOfTravel   = "direction_of_travel"
)

// ScoreElements lists the score elements in a stable order.
var ScoreElements = []string{ScoreManagingPerformance, ScoreUseOfResources, ScoreOverall, ScoreDirectionOfTravel}

func caaCheckElement(el string) error {
	for _, k := range ScoreElements {
		if el == k {
			return nil
		}
	}
	return domain.Errorf(domain.EINVALID, RuleCAAScoreElement, "score element %q must be one of %v", el, ScoreElements)
}

// OrgScores are the judgements of an organisational assessment. The three
// numeric scores run 1 (lowest) to 4; 0 means none (not proposed, or
// withdrawn on review). The seeds call direction of travel a "scored
// Direction of Travel judgement" but give no scale, so it is kept as the
// wording the inspectorate uses, and "" means none.
type OrgScores struct {
	ManagingPerformance int    `json:"managing_performance"`
	UseOfResources      int    `json:"use_of_resources"`
	Overall             int    `json:"overall"`
	DirectionOfTravel   string `json:"direction_of_travel,omitempty"`
}

// Validate checks each numeric score is 1-4.
func (o OrgScores) Validate() error {
	return caaFirstErr(caaCheckScore("managing performance", o.ManagingPerformance),
		caaCheckScore("use of resources", o.UseOfResources),
		caaCheckScore("overall", o.Overall), caaOptional("direction_of_travel", o.DirectionOfTravel))
}

// has reports whether the element currently has a judgement.
func (o OrgScores) has(el string) bool {
	switch el {
	case ScoreManagingPerformance:
		return o.ManagingPerformance != 0
	case ScoreUseOfResources:
		return o.UseOfResources != 0
	case ScoreOverall:
		return o.Overall != 0
	case ScoreDirectionOfTravel:
		return o.DirectionOfTravel != ""
	}
	return false
}

// set returns the scores with one element replaced; score is used for the
// numeric elements and dot for direction of travel.
func (o OrgScores) set(el string, score int, dot string) OrgScores {
	switch el {
	case ScoreManagingPerformance:
		o.ManagingPerformance = score
	case ScoreUseOfResources:
		o.UseOfResources = score
	case ScoreOverall:
		o.Overall = score
	case ScoreDirectionOfTravel:
		o.DirectionOfTravel = dot
	}
	return o
}

// OAKey names an organisational assessment: organisation and year.
type OAKey struct {
	Org  string `json:"org"`
	Year int    `json:"year"`
}

// Aggregate returns the organisational assessment the key names.
func (k OAKey) Aggregate() domain.AggregateRef { return OrgAssessmentRef(k.Org, k.Year) }

// Validate checks the organisation id and the year.
func (k OAKey) Validate() error { return caaFirstErr(ValidateOrgID(k.Org), caaCheckYear(k.Year)) }

// Events of the organisational assessment aggregate.

// OAAssessmentOpened starts the organisational assessment of a council or
// body for a year. Name and region are copied from the reference data for
// a council and empty for another body.
type OAAssessmentOpened struct {
	Org    string `json:"org"`
	Name   string `json:"name,omitempty"`
	Region string `json:"region,omitempty"`
	Year   int    `json:"year"`
}

// OAScoresProposed records draft scores, replacing any earlier draft.
type OAScoresProposed struct {
	OrgScores
	Rationale string `json:"rationale"`
}

// OAPrePublicationReportIssued records that the draft scores went to the
// organisation for comment.
type OAPrePublicationReportIssued struct {
	Organisation string `json:"organisation"`
	Note         string `json:"note,omitempty"`
}

// OACommentSubmitted records the organisation's comment on its report, on
// the whole or on one score element.
type OACommentSubmitted struct {
	By      string `json:"by"`
	Element string `json:"element,omitempty"`
	Comment string `json:"comment"`
}

// OAReviewRequested records the organisation's request for review of one
// score element.
type OAReviewRequested struct {
	RequestID string `json:"request_id"`
	Element   string `json:"element"`
	By        string `json:"by"`
	Grounds   string `json:"grounds"`
}

// OAReviewDecided records a review's outcome. An amended numeric score
// carries Score; an amended direction of travel carries DirectionOfTravel;
// a withdrawn one leaves the element without a judgement.
type OAReviewDecided struct {
	RequestID         string `json:"request_id"`
	Element           string `json:"element"`
	Outcome           string `json:"outcome"`
	Reasons           string `json:"reasons"`
	Score             int    `json:"score,omitempty"`
	DirectionOfTravel string `json:"direction_of_travel,omitempty"`
}

// OAAssessmentPublished records publication on a date ("2009-12-10").
type OAAssessmentPublished struct {
	PublishedOn string `json:"published_on"`
}

// OACorrectionRecorded records a correction to an earlier event of the
// organisational assessment; it is a [CorrectionRecorded] of kind "oa".
type OACorrectionRecorded CorrectionRecorded

func (OAAssessmentOpened) EventType() string           { return "oa.AssessmentOpened" }
func (OAScoresProposed) EventType() string             { return "oa.ScoresProposed" }
func (OAPrePublicationReportIssued) EventType() string { return "oa.PrePublicationReportIssued" }
func (OACommentSubmitted) EventType() string           { return "oa.CommentSubmitted" }
func (OAReviewRequested) EventType() string            { return "oa.ReviewRequested" }
func (OAReviewDecided) EventType() string              { return "oa.ReviewDecided" }
func (OAAssessmentPublished) EventType() string        { return "oa.AssessmentPublished" }
func (OACorrectionRecorded) EventType() string         { return "oa.CorrectionRecorded" }

// Commands of the organisational assessment aggregate.

// OAOpenAssessment opens the organisational assessment.
type OAOpenAssessment struct {
	OAKey
}

// OAProposeScores proposes the draft scores, replacing any earlier draft.
type OAProposeScores struct {
	OAKey
	OrgScores
	Rationale string `json:"rationale"`
}

// OAIssuePrePublicationReport sends the draft scores to the organisation.
type OAIssuePrePublicationReport struct {
	OAKey
	Note string `json:"note,omitempty"`
}

// OASubmitComment is the organisation's comment on its report; Element is
// empty for a comment on the whole.
type OASubmitComment struct {
	OAKey
	Element string `json:"element,omitempty"`
	Comment string `json:"comment"`
}

// OARequestReview is the organisation's request for review of one score.
type OARequestReview struct {
	OAKey
	RequestID string `json:"request_id"`
	Element   string `json:"element"`
	Grounds   string `json:"grounds"`
}

// OADecideReview decides a review request. Amending a numeric score gives
// Score (1-4); amending direction of travel gives DirectionOfTravel.
type OADecideReview struct {
	OAKey
	RequestID         string `json:"request_id"`
	Outcome           string `json:"outcome"`
	Reasons           string `json:"reasons"`
	Score             int    `json:"score,omitempty"`
	DirectionOfTravel string `json:"direction_of_travel,omitempty"`
}

// OAPublishAssessment publishes the assessment on a date ("2009-12-10").
type OAPublishAssessment struct {
	OAKey
	PublishedOn string `json:"published_on"`
}

// OARecordCorrection records a correction to an earlier event of the
// organisational assessment, as [RecordCorrection] does for an area's.
type OARecordCorrection struct {
	OAKey
	CorrectsEventID string          `json:"corrects_event_id"`
	Reason          string          `json:"reason"`
	Correction      string          `json:"correction,omitempty"`
	CorrectedType   string          `json:"corrected_type,omitempty"`
	Corrected       json.RawMessage `json:"corrected,omitempty"`
}

func (OAOpenAssessment) CommandType() string            { return "oa.OpenAssessment" }
func (OAProposeScores) CommandType() string             { return "oa.ProposeScores" }
func (OAIssuePrePublicationReport) CommandType() string { return "oa.IssuePrePublicationReport" }
func (OASubmitComment) CommandType() string             { return "oa.SubmitComment" }
func (OARequestReview) CommandType() string             { return "oa.RequestReview" }
func (OADecideReview) CommandType() string              { return "oa.DecideReview" }
func (OAPublishAssessment) CommandType() string         { return "oa.PublishAssessment" }
func (OARecordCorrection) CommandType() string          { return "oa.RecordCorrection" }

// Validate checks the command's shape.
func (c OAOpenAssessment) Validate() error { return c.OAKey.Validate() }

// Validate checks the command's shape.
func (c OAProposeScores) Validate() error {
	return caaFirstErr(c.OAKey.Validate(), c.OrgScores.Validate(), caaRequired("rationale", c.Rationale))
}

// Validate checks the command's shape.
func (c OAIssuePrePublicationReport) Validate() error {
	return caaFirstErr(c.OAKey.Validate(), caaOptional("note", c.Note))
}

// Validate checks the command's shape.
func (c OASubmitComment) Validate() error {
	var el error
	if c.Element != "" {
		el = caaCheckElement(c.Element)
	}
	return caaFirstErr(c.OAKey.Validate(), el, caaRequired("comment", c.Comment))
}

// Validate checks the command's shape.
func (c OARequestReview) Validate() error {
	return caaFirstErr(c.OAKey.Validate(), caaCheckRequestID(c.RequestID), caaCheckElement(c.Element), caaRequired("grounds", c.Grounds))
}

// Validate checks the command's shape; which amendment fits depends on the
// element under review, which Decide checks.
func (c OADecideReview) Validate() error {
	if err := caaFirstErr(c.OAKey.Validate(), caaCheckRequestID(c.RequestID), caaRequired("reasons", c.Reasons)); err != nil {
		return err
	}
	switch c.Outcome {
	case ReviewAmended:
		if c.Score == 0 && c.DirectionOfTravel == "" {
			return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "an amended review gives the new score or direction of travel")
		}
		if c.Score != 0 && c.DirectionOfTravel != "" {
			return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "a review amends one element: give a score or a direction of travel, not both")
		}
		if c.Score != 0 {
			return caaCheckScore("amended", c.Score)
		}
		return caaOptional("direction_of_travel", c.DirectionOfTravel)
	case ReviewUpheld, ReviewWithdrawn:
		if c.Score != 0 || c.DirectionOfTravel != "" {
			return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "a review that is %s gives no new score; use %q", c.Outcome, ReviewAmended)
		}
		return nil
	default:
		return domain.Errorf(domain.EINVALID, RuleCAAReviewOutcome, "review outcome %q must be %q, %q or %q", c.Outcome, ReviewUpheld, ReviewAmended, ReviewWithdrawn)
	}
}

// Validate checks the command's shape.
func (c OAPublishAssessment) Validate() error {
	if err := c.OAKey.Validate(); err != nil {
		return err
	}
	_, err := caaParseDate(c.PublishedOn)
	return err
}

// Validate checks the command's shape.
func (c OARecordCorrection) Validate() error {
	return caaFirstErr(c.OAKey.Validate(), c.correction().validate())
}

// The steps of the shared process the commands ask for (see process.go).

func (OAOpenAssessment) step() step            { return step{op: opOpen} }
func (OAProposeScores) step() step             { return step{op: opDraft} }
func (OAIssuePrePublicationReport) step() step { return step{op: opReport} }
func (c OASubmitComment) step() step           { return step{op: opComment, target: c.Element} }
func (c OARequestReview) step() step {
	return step{op: opRequestReview, target: c.Element, requestID: c.RequestID}
}
func (c OADecideReview) step() step {
	return step{op: opDecideReview, requestID: c.RequestID, outcome: c.Outcome}
}
func (OAPublishAssessment) step() step { return step{op: opPublish} }
func (OARecordCorrection) step() step  { return step{op: opCorrect} }
func (c OARecordCorrection) correction() Correction {
	return Correction{CorrectsEventID: c.CorrectsEventID, Reason: c.Reason, Correction: c.Correction,
		CorrectedType: c.CorrectedType, Corrected: c.Corrected}
}

func (c OAPublishAssessment) publishedOn() string { return c.PublishedOn }
