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
	// named by its envelope id, without changing it. Corrected, when
	// present, is the corrected body of an event of type CorrectedType;
	// the fold does not reinterpret the history, readers show both.
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
