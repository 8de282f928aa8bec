package laa

import (
	"encoding/json"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// TargetKind says what kind of target an LAA target is.
type TargetKind string

// Target kinds.
const (
	// KindDesignated: one of the up to 35 improvement targets from the
	// National Indicator Set, monitored by the LSP and the GO; reward grant
	// depends on them.
	KindDesignated TargetKind = "designated"
	// KindStatutory: a DCSF statutory early years or education target.
	KindStatutory TargetKind = "statutory"
	// KindLocal: a non-designated local target, from the NIS or not.
	KindLocal TargetKind = "local"
)

// Valid reports whether k is a known kind.
func (k TargetKind) Valid() bool {
	return k == KindDesignated || k == KindStatutory || k == KindLocal
}

// Side is a side of the negotiation.
type Side string

// The two sides: the area (its LSP or lead authority) and its Government
// Office.
const (
	SideLocal Side = "local"
	SideGO    Side = "go"
)

// Other returns the other side.
func (s Side) Other() Side {
	if s == SideLocal {
		return SideGO
	}
	return SideLocal
}

// Ground is why a refresh may change a target under reward lockdown.
type Ground string

// Refresh grounds (seed 004, item 2.4–2.6).
const (
	GroundPlaceSurvey       Ground = "place_survey"
	GroundSourceDataChanged Ground = "source_data_changed"
	GroundDeferredLateData  Ground = "deferred_late_data"
	GroundYearThreeTarget   Ground = "year_three_target"
	GroundCAAReopening      Ground = "caa_reopening"
)

// Grounds lists the refresh grounds in a stable order.
var Grounds = []Ground{GroundPlaceSurvey, GroundSourceDataChanged, GroundDeferredLateData, GroundYearThreeTarget, GroundCAAReopening}

// Valid reports whether g is a known ground.
func (g Ground) Valid() bool {
	for _, k := range Grounds {
		if g == k {
			return true
		}
	}
	return false
}

// Baseline is the starting value a target is measured from.
type Baseline struct {
	Value  float64 `json:"value"`
	Year   string  `json:"year"`
	Source string  `json:"source,omitempty"`
}

// Values maps a year of the agreement ("2008/09") to a target value.
type Values map[string]float64

func (v Values) clone() Values {
	if v == nil {
		return nil
	}
	out := make(Values, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// LAA events. Every event carries At, the business time of the act, so the
// fold alone can say since when a target is locked down.
type (
	// AgreementOpened starts an agreement for an area and period.
	AgreementOpened struct {
		Area     string    `json:"area"`
		AreaName string    `json:"area_name"`
		Region   string    `json:"region"`
		Period   string    `json:"period"`
		At       time.Time `json:"at"`
	}
	// TargetProposed opens the negotiation of a target (round 1).
	TargetProposed struct {
		Target           string     `json:"target"`
		NI               int        `json:"ni,omitempty"`
		LocalCode        string     `json:"local_code,omitempty"`
		Title            string     `json:"title"`
		Kind             TargetKind `json:"kind"`
		Baseline         *Baseline  `json:"baseline,omitempty"`
		Values           Values     `json:"values"`
		Rationale        string     `json:"rationale,omitempty"`
		CatalogueVersion int        `json:"catalogue_version"`
		Round            int        `json:"round"`
		Side             Side       `json:"side"`
		ProposedBy       string     `json:"proposed_by"`
		At               time.Time  `json:"at"`
	}
	// TargetCounterProposed is the other side's answer to the last
	// proposal: new terms, next round.
	TargetCounterProposed struct {
		Target           string    `json:"target"`
		Baseline         *Baseline `json:"baseline,omitempty"`
		Values           Values    `json:"values"`
		Rationale        string    `json:"rationale,omitempty"`
		CatalogueVersion int       `json:"catalogue_version"`
		Round            int       `json:"round"`
		Side             Side      `json:"side"`
		ProposedBy       string    `json:"proposed_by"`
		At               time.Time `json:"at"`
	}
	// TargetAgreed records that the other side accepted the proposal of
	// the given round: both sides' acceptance, the proposer's by proposing.
	TargetAgreed struct {
		Target         string    `json:"target"`
		Round          int       `json:"round"`
		ProposedBy     string    `json:"proposed_by"`
		ProposedBySide Side      `json:"proposed_by_side"`
		AcceptedBy     string    `json:"accepted_by"`
		AcceptedBySide Side      `json:"accepted_by_side"`
		Baseline       *Baseline `json:"baseline,omitempty"`
		Values         Values    `json:"values"`
		At             time.Time `json:"at"`
	}
	// TargetWithdrawn takes a target out of the agreement before adoption.
	TargetWithdrawn struct {
		Target string    `json:"target"`
		Reason string    `json:"reason"`
		Side   Side      `json:"side"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
	// AgreementAdopted: the lead local authority adopted the agreement.
	AgreementAdopted struct {
		Designated int       `json:"designated"`
		Statutory  int       `json:"statutory"`
		Local      int       `json:"local"`
		At         time.Time `json:"at"`
	}
	// AgreementSubmitted: the adopted agreement was submitted to CLG.
	AgreementSubmitted struct {
		By string    `json:"by"`
		At time.Time `json:"at"`
	}
	// AgreementApproved: the Minister approved; reward lockdown of the
	// agreed targets starts on LockdownFrom.
	AgreementApproved struct {
		LockdownFrom time.Time `json:"lockdown_from"`
		At           time.Time `json:"at"`
	}
	// SelfAssessmentSubmitted: the LSP sent its (optional) self-assessment
	// performance report to the GO for the review of Year.
	SelfAssessmentSubmitted struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// AnnualReviewHeld: the GO and the area held the annual review of Year.
	AnnualReviewHeld struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// AnnualReviewReportSent: the GO sent its annual review report to CLG.
	AnnualReviewReportSent struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// RefreshOpened starts the refresh that follows the review of Year.
	RefreshOpened struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// RefreshRevisionProposed opens the revision of an agreed target in a
	// refresh, on a ground; Flag names the CAA flag for caa_reopening.
	RefreshRevisionProposed struct {
		Target           string          `json:"target"`
		Ground           Ground          `json:"ground"`
		Flag             *domain.FlagRef `json:"flag,omitempty"`
		Baseline         *Baseline       `json:"baseline,omitempty"`
		Values           Values          `json:"values"`
		Rationale        string          `json:"rationale,omitempty"`
		CatalogueVersion int             `json:"catalogue_version"`
		Round            int             `json:"round"`
		Side             Side            `json:"side"`
		ProposedBy       string          `json:"proposed_by"`
		At               time.Time       `json:"at"`
	}
	// RefreshRevisionCountered is the other side's answer to a revision.
	RefreshRevisionCountered struct {
		Target           string    `json:"target"`
		Ground           Ground    `json:"ground"`
		Baseline         *Baseline `json:"baseline,omitempty"`
		Values           Values    `json:"values"`
		Rationale        string    `json:"rationale,omitempty"`
		CatalogueVersion int       `json:"catalogue_version"`
		Round            int       `json:"round"`
		Side             Side      `json:"side"`
		ProposedBy       string    `json:"proposed_by"`
		At               time.Time `json:"at"`
	}
	// RefreshRevisionAgreed: both sides accepted a revision. Values holds
	// the target's full values after the revision; Changed the years it
	// changed.
	RefreshRevisionAgreed struct {
		Target         string          `json:"target"`
		Ground         Ground          `json:"ground"`
		Flag           *domain.FlagRef `json:"flag,omitempty"`
		Round          int             `json:"round"`
		ProposedBy     string          `json:"proposed_by"`
		ProposedBySide Side            `json:"proposed_by_side"`
		AcceptedBy     string          `json:"accepted_by"`
		AcceptedBySide Side            `json:"accepted_by_side"`
		Baseline       *Baseline       `json:"baseline,omitempty"`
		Values         Values          `json:"values"`
		Changed        Values          `json:"changed"`
		At             time.Time       `json:"at"`
	}
	// RefreshAdopted: the lead authority adopted the refreshed agreement.
	RefreshAdopted struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// RefreshConcluded: the refresh concluded and the final agreement was
	// submitted to CLG.
	RefreshConcluded struct {
		Year string    `json:"year"`
		By   string    `json:"by"`
		At   time.Time `json:"at"`
	}
	// RefreshApproved: the Minister approved the refreshed agreement.
	RefreshApproved struct {
		Year string    `json:"year"`
		At   time.Time `json:"at"`
	}
	// OutturnRecorded: the actual value of a target's indicator for a
	// year. Revision is 0 for the first outturn of that year; a later one
	// revises it and carries the value and source it replaces.
	OutturnRecorded struct {
		Target         string    `json:"target"`
		Year           string    `json:"year"`
		Value          float64   `json:"value"`
		Source         string    `json:"source"`
		Revision       int       `json:"revision"`
		PreviousValue  *float64  `json:"previous_value,omitempty"`
		PreviousSource string    `json:"previous_source,omitempty"`
		At             time.Time `json:"at"`
	}
	// CorrectionRecorded corrects an earlier event of this agreement,
	// named by its envelope id (or "<command id>#<index>"), without
	// changing the stored event. Corrected, when present, is the corrected
	// body of that event, of type CorrectedType (the original's type): in
	// every fold where the correction counts, the original's body is
	// replaced by it ([domain.Canonical]); without it the correction is a
	// note. Readers show both, linked.
	CorrectionRecorded struct {
		CorrectsEventID string          `json:"corrects_event_id"`
		Reason          string          `json:"reason"`
		CorrectedType   string          `json:"corrected_type,omitempty"`
		Corrected       json.RawMessage `json:"corrected,omitempty"`
		By              string          `json:"by"`
		At              time.Time       `json:"at"`
	}
)

func (AgreementOpened) EventType() string          { return "laa.AgreementOpened" }
func (TargetProposed) EventType() string           { return "laa.TargetProposed" }
func (TargetCounterProposed) EventType() string    { return "laa.TargetCounterProposed" }
func (TargetAgreed) EventType() string             { return "laa.TargetAgreed" }
func (TargetWithdrawn) EventType() string          { return "laa.TargetWithdrawn" }
func (AgreementAdopted) EventType() string         { return "laa.AgreementAdopted" }
func (AgreementSubmitted) EventType() string       { return "laa.AgreementSubmitted" }
func (AgreementApproved) EventType() string        { return "laa.AgreementApproved" }
func (SelfAssessmentSubmitted) EventType() string  { return "laa.SelfAssessmentSubmitted" }
func (AnnualReviewHeld) EventType() string         { return "laa.AnnualReviewHeld" }
func (AnnualReviewReportSent) EventType() string   { return "laa.AnnualReviewReportSent" }
func (RefreshOpened) EventType() string            { return "laa.RefreshOpened" }
func (RefreshRevisionProposed) EventType() string  { return "laa.RefreshRevisionProposed" }
func (RefreshRevisionCountered) EventType() string { return "laa.RefreshRevisionCountered" }
func (RefreshRevisionAgreed) EventType() string    { return "laa.RefreshRevisionAgreed" }
func (RefreshAdopted) EventType() string           { return "laa.RefreshAdopted" }
func (RefreshConcluded) EventType() string         { return "laa.RefreshConcluded" }
func (RefreshApproved) EventType() string          { return "laa.RefreshApproved" }
func (OutturnRecorded) EventType() string          { return "laa.OutturnRecorded" }
func (CorrectionRecorded) EventType() string       { return "laa.CorrectionRecorded" }

// Timing: which agreement events are acts in a sequence and which are
// facts about the past (see [domain.Timing]). This table is the one place
// that says so; the decision keeps business-time order for acts only, and
// the folds order facts by the business time they describe.
//
// Acts, each a step that later steps depend on: the opening; proposals,
// counter-proposals, agreement and withdrawal of a target (alternation
// and rounds are a sequence); adoption, submission and approval (the
// sign-off sequence, approval starting reward lockdown); the annual
// review's steps (self-assessment before the review, the report after
// it); every step of a refresh (opening, revisions, adoption,
// conclusion, approval).
//
// Facts, which describe a past the ledger may learn of late: an outturn
// (and an outturn revision) is the measured value of a year, reported
// when the data arrive, often after later acts; a correction states what
// an earlier event should have said, dated when that event happened or
// when the error was found.
var timings = map[string]domain.Timing{
	AgreementOpened{}.EventType():          domain.Act,
	TargetProposed{}.EventType():           domain.Act,
	TargetCounterProposed{}.EventType():    domain.Act,
	TargetAgreed{}.EventType():             domain.Act,
	TargetWithdrawn{}.EventType():          domain.Act,
	AgreementAdopted{}.EventType():         domain.Act,
	AgreementSubmitted{}.EventType():       domain.Act,
	AgreementApproved{}.EventType():        domain.Act,
	SelfAssessmentSubmitted{}.EventType():  domain.Act,
	AnnualReviewHeld{}.EventType():         domain.Act,
	AnnualReviewReportSent{}.EventType():   domain.Act,
	RefreshOpened{}.EventType():            domain.Act,
	RefreshRevisionProposed{}.EventType():  domain.Act,
	RefreshRevisionCountered{}.EventType(): domain.Act,
	RefreshRevisionAgreed{}.EventType():    domain.Act,
	RefreshAdopted{}.EventType():           domain.Act,
	RefreshConcluded{}.EventType():         domain.Act,
	RefreshApproved{}.EventType():          domain.Act,
	OutturnRecorded{}.EventType():          domain.Fact,
	CorrectionRecorded{}.EventType():       domain.Fact,
}

func (e AgreementOpened) Timing() domain.Timing          { return timings[e.EventType()] }
func (e TargetProposed) Timing() domain.Timing           { return timings[e.EventType()] }
func (e TargetCounterProposed) Timing() domain.Timing    { return timings[e.EventType()] }
func (e TargetAgreed) Timing() domain.Timing             { return timings[e.EventType()] }
func (e TargetWithdrawn) Timing() domain.Timing          { return timings[e.EventType()] }
func (e AgreementAdopted) Timing() domain.Timing         { return timings[e.EventType()] }
func (e AgreementSubmitted) Timing() domain.Timing       { return timings[e.EventType()] }
func (e AgreementApproved) Timing() domain.Timing        { return timings[e.EventType()] }
func (e SelfAssessmentSubmitted) Timing() domain.Timing  { return timings[e.EventType()] }
func (e AnnualReviewHeld) Timing() domain.Timing         { return timings[e.EventType()] }
func (e AnnualReviewReportSent) Timing() domain.Timing   { return timings[e.EventType()] }
func (e RefreshOpened) Timing() domain.Timing            { return timings[e.EventType()] }
func (e RefreshRevisionProposed) Timing() domain.Timing  { return timings[e.EventType()] }
func (e RefreshRevisionCountered) Timing() domain.Timing { return timings[e.EventType()] }
func (e RefreshRevisionAgreed) Timing() domain.Timing    { return timings[e.EventType()] }
func (e RefreshAdopted) Timing() domain.Timing           { return timings[e.EventType()] }
func (e RefreshConcluded) Timing() domain.Timing         { return timings[e.EventType()] }
func (e RefreshApproved) Timing() domain.Timing          { return timings[e.EventType()] }
func (e OutturnRecorded) Timing() domain.Timing          { return timings[e.EventType()] }
func (e CorrectionRecorded) Timing() domain.Timing       { return timings[e.EventType()] }

// events are the agreement's event types, as registered.
var events = []domain.Event{AgreementOpened{}, TargetProposed{}, TargetCounterProposed{}, TargetAgreed{},
	TargetWithdrawn{}, AgreementAdopted{}, AgreementSubmitted{}, AgreementApproved{},
	SelfAssessmentSubmitted{}, AnnualReviewHeld{}, AnnualReviewReportSent{}, RefreshOpened{},
	RefreshRevisionProposed{}, RefreshRevisionCountered{}, RefreshRevisionAgreed{}, RefreshAdopted{},
	RefreshConcluded{}, RefreshApproved{}, OutturnRecorded{}, CorrectionRecorded{}}

// Corrects implements [domain.Correcting].
func (e CorrectionRecorded) Corrects() string { return e.CorrectsEventID }

// CorrectedBody implements [domain.Correcting]: the corrected body, decoded
// as CorrectedType; false for a correction that carries none (or one the
// decision would have refused).
func (e CorrectionRecorded) CorrectedBody() (domain.Event, bool) {
	return domain.CorrectedBody(events, e.CorrectedType, e.Corrected)
}
