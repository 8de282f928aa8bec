package laa

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
)

// Period2008 is the only LAA period the ledger knows: April 2008 to March
// 2011.
const Period2008 = "2008-11"

// periodYears are the financial years of each period, the only keys a
// target's values may have.
var periodYears = map[string][]string{Period2008: {"2008/09", "2009/10", "2010/11"}}

// yearThree is the last year of the 2008-11 period, the one a
// year_three_target revision may set.
const yearThree = "2010/11"

// PeriodYears returns the years of a period ("2008/09", ...), nil if the
// period is unknown.
func PeriodYears(period string) []string { return append([]string(nil), periodYears[period]...) }

// AgreementID returns the aggregate id of the agreement of an area for a
// period: "00EB/2008-11".
func AgreementID(area, period string) string { return area + "/" + period }

// ParseAgreementID splits an agreement id and checks that the area is one of
// the reference areas and the period a known one.
func ParseAgreementID(id string) (area, period string, err error) {
	area, period, ok := strings.Cut(id, "/")
	if !ok || area == "" || period == "" {
		return "", "", domain.Errorf(domain.EINVALID, "laa.bad_agreement_id", "agreement id %q is not <area code>/<period>, for example 00EB/2008-11", id)
	}
	if _, ok := domain.LookupArea(area); !ok {
		return "", "", domain.Errorf(domain.EINVALID, "laa.unknown_area", "agreement %q: %q is not the 2008 ONS/SNAC code of an LAA area", id, area)
	}
	if _, ok := periodYears[period]; !ok {
		return "", "", domain.Errorf(domain.EINVALID, "laa.unknown_period", "agreement %q: period %q is not known; the ledger holds the %s agreements", id, period, Period2008)
	}
	return area, period, nil
}

// TargetKey returns the key of a target within an agreement: "NI 112" for a
// target on a national indicator, "LOCAL <code>" for a local target outside
// the National Indicator Set.
func TargetKey(ni int, localCode string) string {
	if ni > 0 {
		return "NI " + strconv.Itoa(ni)
	}
	return "LOCAL " + localCode
}

// LAA commands. Each names its agreement by id ("00EB/2008-11") and targets
// by their key (see [TargetKey]).
type (
	// OpenAgreement starts the agreement of an area for a period.
	OpenAgreement struct {
		Agreement string `json:"agreement"`
	}
	// ProposeTarget opens the negotiation of a target; the local side
	// proposes. NI is 0 for a local target outside the National Indicator
	// Set, which then needs a LocalCode and a Title.
	ProposeTarget struct {
		Agreement string     `json:"agreement"`
		NI        int        `json:"ni,omitempty"`
		LocalCode string     `json:"local_code,omitempty"`
		Title     string     `json:"title,omitempty"`
		Kind      TargetKind `json:"kind"`
		Baseline  *Baseline  `json:"baseline,omitempty"`
		Values    Values     `json:"values"`
		Rationale string     `json:"rationale,omitempty"`
	}
	// CounterProposeTarget answers the other side's last proposal with new
	// terms.
	CounterProposeTarget struct {
		Agreement string    `json:"agreement"`
		Target    string    `json:"target"`
		Baseline  *Baseline `json:"baseline,omitempty"`
		Values    Values    `json:"values"`
		Rationale string    `json:"rationale,omitempty"`
	}
	// AcceptProposal accepts the other side's proposal of Round, which
	// agrees the target. Naming the round stops a side from accepting
	// terms that changed under it.
	AcceptProposal struct {
		Agreement string `json:"agreement"`
		Target    string `json:"target"`
		Round     int    `json:"round"`
	}
	// WithdrawTarget takes a target out of the agreement before adoption.
	WithdrawTarget struct {
		Agreement string `json:"agreement"`
		Target    string `json:"target"`
		Reason    string `json:"reason"`
	}
	// AdoptAgreement: the lead local authority adopts the agreement.
	AdoptAgreement struct {
		Agreement string `json:"agreement"`
	}
	// SubmitAgreement: the area submits the adopted agreement to CLG.
	SubmitAgreement struct {
		Agreement string `json:"agreement"`
	}
	// ApproveAgreement: the Minister approves the submitted agreement.
	ApproveAgreement struct {
		Agreement string `json:"agreement"`
	}
	// SubmitSelfAssessment: the LSP sends its optional self-assessment
	// performance report for the review of Year.
	SubmitSelfAssessment struct {
		Agreement string `json:"agreement"`
		Year      string `json:"year"`
	}
	// HoldAnnualReview records the GO/area annual review of Year.
	HoldAnnualReview struct {
		Agreement string `json:"agreement"`
		Year      string `json:"year"`
	}
	// SendAnnualReviewReport: the GO sends its review report to CLG.
	SendAnnualReviewReport struct {
		Agreement string `json:"agreement"`
		Year      string `json:"year"`
	}
	// OpenRefresh opens the refresh that follows the review of Year.
	OpenRefresh struct {
		Agreement string `json:"agreement"`
		Year      string `json:"year"`
	}
	// ProposeRevision proposes, in an open refresh, new values (and
	// baseline) for an agreed target on a Ground. Values need hold only the
	// years that change. Flag is required for caa_reopening.
	ProposeRevision struct {
		Agreement string          `json:"agreement"`
		Target    string          `json:"target"`
		Ground    Ground          `json:"ground"`
		Flag      *domain.FlagRef `json:"flag,omitempty"`
		Baseline  *Baseline       `json:"baseline,omitempty"`
		Values    Values          `json:"values"`
		Rationale string          `json:"rationale,omitempty"`
	}
	// CounterProposeRevision answers the other side's last revision.
	CounterProposeRevision struct {
		Agreement string    `json:"agreement"`
		Target    string    `json:"target"`
		Baseline  *Baseline `json:"baseline,omitempty"`
		Values    Values    `json:"values"`
		Rationale string    `json:"rationale,omitempty"`
	}
	// AgreeRevision accepts the other side's revision of Round.
	AgreeRevision struct {
		Agreement string `json:"agreement"`
		Target    string `json:"target"`
		Round     int    `json:"round"`
	}
	// AdoptRefresh: the lead authority adopts the refreshed agreement.
	AdoptRefresh struct {
		Agreement string `json:"agreement"`
	}
	// ConcludeRefresh concludes the refresh and submits the final
	// agreement to CLG.
	ConcludeRefresh struct {
		Agreement string `json:"agreement"`
	}
	// ApproveRefresh: the Minister approves the refreshed agreement.
	ApproveRefresh struct {
		Agreement string `json:"agreement"`
	}
	// RecordOutturn records the actual value of a target for a year; a
	// second outturn for the same year revises the first.
	RecordOutturn struct {
		Agreement string  `json:"agreement"`
		Target    string  `json:"target"`
		Year      string  `json:"year"`
		Value     float64 `json:"value"`
		Source    string  `json:"source"`
	}
	// RecordCorrection corrects an earlier event of this agreement. The
	// domain cannot see event ids (they live on the envelope), so it
	// requires one and a reason; the application service must check that
	// CorrectsEventID is an event of this agreement's stream before it
	// decides.
	RecordCorrection struct {
		Agreement       string          `json:"agreement"`
		CorrectsEventID string          `json:"corrects_event_id"`
		Reason          string          `json:"reason"`
		CorrectedType   string          `json:"corrected_type,omitempty"`
		Corrected       json.RawMessage `json:"corrected,omitempty"`
	}
)

func (OpenAgreement) CommandType() string          { return "laa.OpenAgreement" }
func (ProposeTarget) CommandType() string          { return "laa.ProposeTarget" }
func (CounterProposeTarget) CommandType() string   { return "laa.CounterProposeTarget" }
func (AcceptProposal) CommandType() string         { return "laa.AcceptProposal" }
func (WithdrawTarget) CommandType() string         { return "laa.WithdrawTarget" }
func (AdoptAgreement) CommandType() string         { return "laa.AdoptAgreement" }
func (SubmitAgreement) CommandType() string        { return "laa.SubmitAgreement" }
func (ApproveAgreement) CommandType() string       { return "laa.ApproveAgreement" }
func (SubmitSelfAssessment) CommandType() string   { return "laa.SubmitSelfAssessment" }
func (HoldAnnualReview) CommandType() string       { return "laa.HoldAnnualReview" }
func (SendAnnualReviewReport) CommandType() string { return "laa.SendAnnualReviewReport" }
func (OpenRefresh) CommandType() string            { return "laa.OpenRefresh" }
func (ProposeRevision) CommandType() string        { return "laa.ProposeRevision" }
func (CounterProposeRevision) CommandType() string { return "laa.CounterProposeRevision" }
func (AgreeRevision) CommandType() string          { return "laa.AgreeRevision" }
func (AdoptRefresh) CommandType() string           { return "laa.AdoptRefresh" }
func (ConcludeRefresh) CommandType() string        { return "laa.ConcludeRefresh" }
func (ApproveRefresh) CommandType() string         { return "laa.ApproveRefresh" }
func (RecordOutturn) CommandType() string          { return "laa.RecordOutturn" }
func (RecordCorrection) CommandType() string       { return "laa.RecordCorrection" }

func laaRef(id string) domain.AggregateRef {
	return domain.AggregateRef{Kind: domain.KindAgreement, ID: id}
}

func (c OpenAgreement) Aggregate() domain.AggregateRef          { return laaRef(c.Agreement) }
func (c ProposeTarget) Aggregate() domain.AggregateRef          { return laaRef(c.Agreement) }
func (c CounterProposeTarget) Aggregate() domain.AggregateRef   { return laaRef(c.Agreement) }
func (c AcceptProposal) Aggregate() domain.AggregateRef         { return laaRef(c.Agreement) }
func (c WithdrawTarget) Aggregate() domain.AggregateRef         { return laaRef(c.Agreement) }
func (c AdoptAgreement) Aggregate() domain.AggregateRef         { return laaRef(c.Agreement) }
func (c SubmitAgreement) Aggregate() domain.AggregateRef        { return laaRef(c.Agreement) }
func (c ApproveAgreement) Aggregate() domain.AggregateRef       { return laaRef(c.Agreement) }
func (c SubmitSelfAssessment) Aggregate() domain.AggregateRef   { return laaRef(c.Agreement) }
func (c HoldAnnualReview) Aggregate() domain.AggregateRef       { return laaRef(c.Agreement) }
func (c SendAnnualReviewReport) Aggregate() domain.AggregateRef { return laaRef(c.Agreement) }
func (c OpenRefresh) Aggregate() domain.AggregateRef            { return laaRef(c.Agreement) }
func (c ProposeRevision) Aggregate() domain.AggregateRef        { return laaRef(c.Agreement) }
func (c CounterProposeRevision) Aggregate() domain.AggregateRef { return laaRef(c.Agreement) }
func (c AgreeRevision) Aggregate() domain.AggregateRef          { return laaRef(c.Agreement) }
func (c AdoptRefresh) Aggregate() domain.AggregateRef           { return laaRef(c.Agreement) }
func (c ConcludeRefresh) Aggregate() domain.AggregateRef        { return laaRef(c.Agreement) }
func (c ApproveRefresh) Aggregate() domain.AggregateRef         { return laaRef(c.Agreement) }
func (c RecordOutturn) Aggregate() domain.AggregateRef          { return laaRef(c.Agreement) }
func (c RecordCorrection) Aggregate() domain.AggregateRef       { return laaRef(c.Agreement) }

// Shape checks. They need no state; the decision re-runs them.

func validAgreement(id string) (period string, err error) {
	_, period, err = ParseAgreementID(id)
	return period, err
}

func validTargetKey(key string) error {
	if strings.TrimSpace(key) == "" {
		return domain.Errorf(domain.EINVALID, "laa.missing_target", "no target named (give its key, for example \"NI 112\")")
	}
	return nil
}

func validYear(period, year string) error {
	for _, y := range periodYears[period] {
		if y == year {
			return nil
		}
	}
	return domain.Errorf(domain.EINVALID, "laa.unknown_year", "year %q is not a year of the %s agreement (%s)", year, period, strings.Join(periodYears[period], ", "))
}

func validValues(period string, v Values, atLeastOne bool) error {
	if atLeastOne && len(v) == 0 {
		return domain.Errorf(domain.EINVALID, "laa.missing_values", "a target needs a value for at least one year (%s)", strings.Join(periodYears[period], ", "))
	}
	for y, x := range v {
		if err := validYear(period, y); err != nil {
			return err
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return domain.Errorf(domain.EINVALID, "laa.bad_value", "value for %s is not a number", y)
		}
	}
	return nil
}

func validBaseline(b *Baseline) error {
	if b == nil {
		return nil
	}
	if strings.TrimSpace(b.Year) == "" {
		return domain.Errorf(domain.EINVALID, "laa.bad_baseline", "baseline has no year")
	}
	if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) {
		return domain.Errorf(domain.EINVALID, "laa.bad_baseline", "baseline value is not a number")
	}
	return nil
}

func validTerms(agreement string, b *Baseline, v Values) error {
	period, err := validAgreement(agreement)
	if err != nil {
		return err
	}
	if err := validBaseline(b); err != nil {
		return err
	}
	return validValues(period, v, true)
}

// validCounter checks a counter-proposal, of a target or of a revision:
// the target it answers on and the new terms.
func validCounter(agreement, target string, b *Baseline, v Values) error {
	if err := validTargetKey(target); err != nil {
		return err
	}
	return validTerms(agreement, b, v)
}

// validAcceptance checks the acceptance of a proposal, of a target or of
// a revision: the agreement, the target and the round accepted.
func validAcceptance(agreement, target string, round int) error {
	if _, err := validAgreement(agreement); err != nil {
		return err
	}
	if err := validTargetKey(target); err != nil {
		return err
	}
	return validRound(round)
}

func validRound(r int) error {
	if r < 1 {
		return domain.Errorf(domain.EINVALID, "laa.bad_round", "round %d: rounds are numbered from 1", r)
	}
	return nil
}

func validYearCmd(agreement, year string) error {
	period, err := validAgreement(agreement)
	if err != nil {
		return err
	}
	return validYear(period, year)
}

// Validate checks the command's shape.
func (c OpenAgreement) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c ProposeTarget) Validate() error {
	if err := validTerms(c.Agreement, c.Baseline, c.Values); err != nil {
		return err
	}
	if !c.Kind.Valid() {
		return domain.Errorf(domain.EINVALID, "laa.bad_kind", "target kind %q is not designated, statutory or local", c.Kind)
	}
	switch {
	case c.NI < 0 || c.NI > catalogue.MaxNI || c.NI == catalogue.DroppedNI:
		return domain.Errorf(domain.EINVALID, "laa.bad_ni", "NI %d is not a National Indicator number (1 to 199, not 31)", c.NI)
	case c.NI == 0 && c.Kind != KindLocal:
		return domain.Errorf(domain.EINVALID, "laa.bad_ni", "a %s target needs a National Indicator (ni)", c.Kind)
	case c.NI == 0 && (strings.TrimSpace(c.LocalCode) == "" || strings.TrimSpace(c.Title) == ""):
		return domain.Errorf(domain.EINVALID, "laa.local_target_needs_title", "a local target outside the National Indicator Set needs a local_code and a title")
	case c.NI > 0 && c.LocalCode != "":
		return domain.Errorf(domain.EINVALID, "laa.bad_ni", "a target on NI %d takes no local_code", c.NI)
	}
	return nil
}

// Validate checks the command's shape.
func (c CounterProposeTarget) Validate() error {
	return validCounter(c.Agreement, c.Target, c.Baseline, c.Values)
}

// Validate checks the command's shape.
func (c AcceptProposal) Validate() error { return validAcceptance(c.Agreement, c.Target, c.Round) }

// Validate checks the command's shape.
func (c WithdrawTarget) Validate() error {
	if _, err := validAgreement(c.Agreement); err != nil {
		return err
	}
	if err := validTargetKey(c.Target); err != nil {
		return err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return domain.Errorf(domain.EINVALID, "laa.missing_reason", "withdrawing target %s needs a reason", c.Target)
	}
	return nil
}

// Validate checks the command's shape.
func (c AdoptAgreement) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c SubmitAgreement) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c ApproveAgreement) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c SubmitSelfAssessment) Validate() error { return validYearCmd(c.Agreement, c.Year) }

// Validate checks the command's shape.
func (c HoldAnnualReview) Validate() error { return validYearCmd(c.Agreement, c.Year) }

// Validate checks the command's shape.
func (c SendAnnualReviewReport) Validate() error { return validYearCmd(c.Agreement, c.Year) }

// Validate checks the command's shape.
func (c OpenRefresh) Validate() error { return validYearCmd(c.Agreement, c.Year) }

// Validate checks the command's shape.
func (c ProposeRevision) Validate() error {
	if err := validTargetKey(c.Target); err != nil {
		return err
	}
	if err := validTerms(c.Agreement, c.Baseline, c.Values); err != nil {
		return err
	}
	if !c.Ground.Valid() {
		return domain.Errorf(domain.EINVALID, "laa.bad_ground", "refresh ground %q is not one of place_survey, source_data_changed, deferred_late_data, year_three_target, caa_reopening", c.Ground)
	}
	if c.Ground == GroundCAAReopening && (c.Flag == nil || c.Flag.FlagID == "") {
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_missing", "reopening target %s on CAA grounds needs the published red flag that merits it (flag area, year and id)", c.Target)
	}
	if c.Ground != GroundCAAReopening && c.Flag != nil {
		return domain.Errorf(domain.EINVALID, "laa.bad_ground", "a CAA flag is named only with the caa_reopening ground, not %s", c.Ground)
	}
	return nil
}

// Validate checks the command's shape.
func (c CounterProposeRevision) Validate() error {
	return validCounter(c.Agreement, c.Target, c.Baseline, c.Values)
}

// Validate checks the command's shape.
func (c AgreeRevision) Validate() error { return validAcceptance(c.Agreement, c.Target, c.Round) }

// Validate checks the command's shape.
func (c AdoptRefresh) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c ConcludeRefresh) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c ApproveRefresh) Validate() error { _, err := validAgreement(c.Agreement); return err }

// Validate checks the command's shape.
func (c RecordOutturn) Validate() error {
	if err := validTargetKey(c.Target); err != nil {
		return err
	}
	if err := validYearCmd(c.Agreement, c.Year); err != nil {
		return err
	}
	if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
		return domain.Errorf(domain.EINVALID, "laa.bad_value", "outturn value is not a number")
	}
	if strings.TrimSpace(c.Source) == "" {
		return domain.Errorf(domain.EINVALID, "laa.outturn_source", "an outturn needs its source (where the figure was published)")
	}
	return nil
}

// Validate checks the command's shape.
func (c RecordCorrection) Validate() error {
	if _, err := validAgreement(c.Agreement); err != nil {
		return err
	}
	if strings.TrimSpace(c.CorrectsEventID) == "" {
		return domain.Errorf(domain.EINVALID, "laa.correction_target", "a correction must name the id of the event it corrects")
	}
	if strings.TrimSpace(c.Reason) == "" {
		return domain.Errorf(domain.EINVALID, "laa.correction_reason", "a correction of event %s needs a reason", c.CorrectsEventID)
	}
	return domain.CheckCorrectionPayload("laa", c.CorrectsEventID, c.CorrectedType, c.Corrected)
}
