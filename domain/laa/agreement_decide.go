package laa

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
)

// MaxDesignated is the most designated targets an agreement may hold.
const MaxDesignated = 35

// AgreementContext is what a decision on an agreement needs from outside the
// agreement's own events. The application service builds it from read
// models; the decision never does I/O.
type AgreementContext struct {
	// Catalogue is the indicator catalogue; decisions query it as of the
	// command's business time.
	Catalogue catalogue.Catalogue
	// Flags answers questions about CAA flags. Nil means no view is
	// available, and a reopening on CAA grounds is refused.
	Flags FlagView
	// History is what the ledger recorded of the agreement's events; a
	// correction must name one of them (correction.unknown_event). See
	// [domain.History] for what nil means.
	History domain.History
}

// laaRoles says who may issue each command, by role. LSP, LA and GO must
// also be parties to the agreement (Organisation the area's SNAC code for
// LSP and LA, the region's name for the GO).
//
// The choices the seeds leave open: CLG receives agreements and review
// reports but does not negotiate; it may open an agreement or a refresh
// (as the GO may) and record a correction. The Minister only approves.
// DCSF's statutory targets are negotiated through the GO, so DCSF issues
// no LAA command itself. The Audit Commission, inspectorates and the
// operator issue none; auditors, scrutiny and integration are read-only.
// Outturns are recorded by either side.
var laaRoles = map[string][]domain.Role{
	"laa.OpenAgreement":          {domain.RoleLSP, domain.RoleLA, domain.RoleGO, domain.RoleCLG},
	"laa.ProposeTarget":          {domain.RoleLSP, domain.RoleLA},
	"laa.CounterProposeTarget":   {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.AcceptProposal":         {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.WithdrawTarget":         {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.AdoptAgreement":         {domain.RoleLA},
	"laa.SubmitAgreement":        {domain.RoleLA, domain.RoleLSP},
	"laa.ApproveAgreement":       {domain.RoleMinister},
	"laa.SubmitSelfAssessment":   {domain.RoleLSP},
	"laa.HoldAnnualReview":       {domain.RoleGO, domain.RoleLA},
	"laa.SendAnnualReviewReport": {domain.RoleGO},
	"laa.OpenRefresh":            {domain.RoleGO, domain.RoleCLG},
	"laa.ProposeRevision":        {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.CounterProposeRevision": {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.AgreeRevision":          {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.AdoptRefresh":           {domain.RoleLA},
	"laa.ConcludeRefresh":        {domain.RoleLA, domain.RoleLSP},
	"laa.ApproveRefresh":         {domain.RoleMinister},
	"laa.RecordOutturn":          {domain.RoleLSP, domain.RoleLA, domain.RoleGO},
	"laa.RecordCorrection":       {domain.RoleLSP, domain.RoleLA, domain.RoleGO, domain.RoleCLG},
}

// Roles returns the roles that may issue an LAA command type, nil for an
// unknown type.
func Roles(commandType string) []domain.Role { return slices.Clone(laaRoles[commandType]) }

// Simplifications, so that readers know what is not enforced:
//   - every kind of target (designated, statutory, local) is negotiated the
//     same way, local side first, then alternating with the GO;
//   - a refresh revises agreed targets only; it adds no target and
//     withdraws none, and a revision cannot be withdrawn, only countered;
//   - the grounds source_data_changed and deferred_late_data have no
//     reference list of indicators, so they are accepted with evidence;
//   - the review of a year and its refresh are not tied to dates; only
//     their order is checked (self-assessment before the review, report
//     after it, refresh after it).

// DecideAgreement decides a command against the agreement's state: it
// returns the events to append, or an *Error naming the rule that refused.
// It checks, in order: meta and command shape, the actor's role and party,
// that the agreement exists (or, for OpenAgreement, does not), that a
// command producing an act is not dated before the agreement's latest act
// and one producing a fact (an outturn, a correction) not before the
// agreement was opened (laa.time_order), then the command's own rules,
// among them that a correction names an event of the agreement
// (correction.unknown_event) and carries a valid corrected body. A CAA flag that cannot be read
// (ctx.Flags returns an error) fails the decision with that error.
func DecideAgreement(a Agreement, m domain.Meta, cmd domain.Command, ctx AgreementContext) ([]domain.Event, error) {
	return decideAgreement(a, m, cmd, ctx)
}

func decideAgreement(a Agreement, m domain.Meta, cmd domain.Command, ctx AgreementContext) ([]domain.Event, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if cmd == nil {
		return nil, domain.Errorf(domain.EINVALID, "laa.unknown_command", "no command")
	}
	allowed, ok := laaRoles[cmd.CommandType()]
	if !ok || cmd.Aggregate().Kind != domain.KindAgreement {
		return nil, domain.Errorf(domain.EINVALID, "laa.unknown_command", "an agreement does not handle %s", cmd.CommandType())
	}
	if v, ok := cmd.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	id := cmd.Aggregate().ID
	area, period, _ := ParseAgreementID(id)
	ar, _ := domain.LookupArea(area)
	side, err := partySide(m.Actor, cmd.CommandType(), allowed, ar)
	if err != nil {
		return nil, err
	}
	if _, open := cmd.(OpenAgreement); open {
		if a.Opened() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.already_opened", "the agreement %s is already open", a.ID)
		}
		return []domain.Event{AgreementOpened{Area: ar.Code, AreaName: ar.Name, Region: ar.Region, Period: period, At: m.OccurredAt}}, nil
	}
	if !a.Opened() {
		return nil, domain.Errorf(domain.ENOTFOUND, "laa.not_opened", "there is no agreement %s; open it first", id)
	}
	if a.ID != id {
		return nil, domain.Errorf(domain.EINVALID, "laa.wrong_agreement", "command for agreement %s was given the state of %s", id, a.ID)
	}
	switch commandTiming(cmd) {
	case domain.Fact:
		if m.OccurredAt.Before(a.OpenedAt) {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.time_order", "%s is dated %s, before the agreement was opened (%s); a fact about the past must fall within the agreement's life",
				cmd.CommandType(), day(m.OccurredAt), day(a.OpenedAt))
		}
	default:
		if m.OccurredAt.Before(a.LastAt) {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.time_order", "%s is dated %s, before the agreement's latest recorded act (%s); the ledger records acts in business-time order (outturns and corrections, facts about the past, may be dated earlier)",
				cmd.CommandType(), day(m.OccurredAt), day(a.LastAt))
		}
	}
	d := decision{a: a, m: m, ctx: ctx, side: side, at: m.OccurredAt}
	switch c := cmd.(type) {
	case ProposeTarget:
		return d.propose(c)
	case CounterProposeTarget:
		return d.counter(c)
	case AcceptProposal:
		return d.accept(c)
	case WithdrawTarget:
		return d.withdraw(c)
	case AdoptAgreement:
		return d.adopt()
	case SubmitAgreement:
		return d.signOff(StatusAdopted, "submitted", "after the lead authority has adopted it", AgreementSubmitted{By: m.Actor.ID, At: d.at})
	case ApproveAgreement:
		return d.signOff(StatusSubmitted, "approved", "after it has been submitted to CLG", AgreementApproved{LockdownFrom: d.at, At: d.at})
	case SubmitSelfAssessment:
		return d.review(c.Year, "self_assessment")
	case HoldAnnualReview:
		return d.review(c.Year, "held")
	case SendAnnualReviewReport:
		return d.review(c.Year, "report")
	case OpenRefresh:
		return d.openRefresh(c)
	case ProposeRevision:
		return d.proposeRevision(c)
	case CounterProposeRevision:
		return d.counterRevision(c)
	case AgreeRevision:
		return d.agreeRevision(c)
	case AdoptRefresh:
		if a.Status != StatusRefreshOpen {
			return nil, d.lifecycle("adopted as refreshed", "while a refresh is open")
		}
		if open := a.openNegotiations(); len(open) > 0 {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.open_negotiations", "the refresh of %s cannot be adopted while revisions are still under negotiation: %s", a.ID, strings.Join(open, ", "))
		}
		r, _ := a.currentRefresh()
		return []domain.Event{RefreshAdopted{Year: r.Year, At: d.at}}, nil
	case ConcludeRefresh:
		r, _ := a.currentRefresh()
		return d.signOff(StatusRefreshAdopted, "concluded (submitted to CLG)", "after the lead authority has adopted the refresh",
			RefreshConcluded{Year: r.Year, By: m.Actor.ID, At: d.at})
	case ApproveRefresh:
		r, _ := a.currentRefresh()
		return d.signOff(StatusRefreshConcluded, "approved as refreshed", "after the refresh has been concluded and submitted to CLG",
			RefreshApproved{Year: r.Year, At: d.at})
	case RecordOutturn:
		return d.outturn(c)
	case RecordCorrection:
		return d.correction(c)
	}
	return nil, domain.Errorf(domain.EINVALID, "laa.unknown_command", "an agreement does not handle %s", cmd.CommandType())
}

// partySide checks the actor's role against the command and, for LSP, LA
// and GO, that they are parties to this area's agreement.
func partySide(act domain.Actor, cmdType string, allowed []domain.Role, ar domain.Area) (Side, error) {
	if act.Role.ReadOnly() {
		return "", domain.Errorf(domain.EFORBIDDEN, "laa.read_only_role", "%s reads the ledger and issues no commands", act)
	}
	if !slices.Contains(allowed, act.Role) {
		names := make([]string, len(allowed))
		for i, r := range allowed {
			names[i] = string(r)
		}
		return "", domain.Errorf(domain.EFORBIDDEN, "laa.role_not_allowed", "%s may not issue %s; only %s may", act, cmdType, strings.Join(names, ", "))
	}
	switch act.Role {
	case domain.RoleLSP, domain.RoleLA:
		if act.Organisation != ar.Code {
			return "", domain.Errorf(domain.EFORBIDDEN, "laa.not_party", "%s acts for %s, not for %s (%s); only the area's own LSP and lead authority negotiate its agreement",
				act, act.Organisation, ar.Name, ar.Code)
		}
		return SideLocal, nil
	case domain.RoleGO:
		if act.Organisation != ar.Region {
			return "", domain.Errorf(domain.EFORBIDDEN, "laa.not_party", "%s is not the Government Office for %s, the region of %s (%s)",
				act, ar.Region, ar.Name, ar.Code)
		}
		return SideGO, nil
	}
	return "", nil
}

type decision struct {
	a    Agreement
	m    domain.Meta
	ctx  AgreementContext
	side Side
	at   time.Time
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func sideName(s Side) string {
	if s == SideGO {
		return "the Government Office"
	}
	return "the local side (LSP or lead authority)"
}

// lifecycle refuses a step taken out of order. After approval the message
// points to the refresh, the only way a target may then change.
func (d decision) lifecycle(what, when string) *domain.Error {
	return domain.Errorf(domain.ECONFLICT, "laa.lifecycle", "agreement %s is %s; it can be %s only %s", d.a.ID, d.a.Status, what, when)
}

// signOff decides a step of the sign-off sequence, which the agreement
// takes only from the status before it: it gives e, or refuses the step
// as out of order (what the agreement can be, and when).
func (d decision) signOff(from AgreementStatus, what, when string, e domain.Event) ([]domain.Event, error) {
	if d.a.Status != from {
		return nil, d.lifecycle(what, when)
	}
	return []domain.Event{e}, nil
}

func (d decision) locked(key string) *domain.Error {
	return domain.Errorf(domain.ECONFLICT, "laa.reward_lockdown", "target %s is under reward lockdown since %s; a refresh may change it only on the grounds place_survey, source_data_changed, deferred_late_data, year_three_target or caa_reopening with a named published red flag",
		key, day(d.a.LockdownFrom))
}

// negotiable refuses changes to original targets once the agreement has
// left negotiation.
func (d decision) negotiable(key string) error {
	switch d.a.Status {
	case StatusNegotiating:
		return nil
	case StatusAdopted, StatusSubmitted:
		return domain.Errorf(domain.ECONFLICT, "laa.lifecycle", "agreement %s has been %s; its targets can no longer be negotiated", d.a.ID, d.a.Status)
	}
	return d.locked(key)
}

func (d decision) target(key string) (Target, error) {
	t, ok := d.a.Targets[key]
	if !ok {
		return Target{}, domain.Errorf(domain.ENOTFOUND, "laa.unknown_target", "agreement %s has no target %s", d.a.ID, key)
	}
	if t.Status == TargetStatusWithdrawn {
		return Target{}, domain.Errorf(domain.ECONFLICT, "laa.target_withdrawn", "target %s of %s was withdrawn", key, d.a.ID)
	}
	return *t, nil
}

// answer checks that the actor's side may answer the open proposal.
func (d decision) answer(t Target, round int) error {
	if t.Open.Side == d.side {
		return domain.Errorf(domain.ECONFLICT, "laa.alternation", "%s made the last proposal on %s (round %d); %s answers next",
			sideName(t.Open.Side), t.Key, t.Open.Round, sideName(t.Open.Side.Other()))
	}
	if round != 0 && round != t.Open.Round {
		return domain.Errorf(domain.ECONFLICT, "laa.stale_round", "round %d of %s is not the open proposal; the open proposal is round %d", round, t.Key, t.Open.Round)
	}
	return nil
}

func (d decision) propose(c ProposeTarget) ([]domain.Event, error) {
	key := TargetKey(c.NI, c.LocalCode)
	if err := d.negotiable(key); err != nil {
		if d.a.Status != StatusNegotiating && d.a.Status != StatusAdopted && d.a.Status != StatusSubmitted {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.reward_lockdown", "agreement %s was approved and is under reward lockdown since %s; no target can be added, and a refresh may change only agreed targets, on the grounds place_survey, source_data_changed, deferred_late_data, year_three_target or caa_reopening",
				d.a.ID, day(d.a.LockdownFrom))
		}
		return nil, err
	}
	if t, ok := d.a.Targets[key]; ok && t.Status != TargetStatusWithdrawn {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.duplicate_target", "agreement %s already has a target on %s (%s); one target per indicator", d.a.ID, key, t.Status)
	}
	title := strings.TrimSpace(c.Title)
	if c.NI > 0 {
		ind, ok := d.ctx.Catalogue.Lookup(c.NI, d.at)
		if !ok {
			return nil, domain.Errorf(domain.ENOTFOUND, "laa.indicator_not_in_catalogue", "NI %d is not in the indicator catalogue as it stood on %s (catalogue version %d); a %s target must be on a catalogued National Indicator",
				c.NI, day(d.at), d.ctx.Catalogue.Version, c.Kind)
		}
		title = ind.Title
		switch c.Kind {
		case KindStatutory:
			if !ind.DCSFStatutory {
				if !d.ctx.Catalogue.HasStatutorySet(d.at) {
					return nil, domain.Errorf(domain.EINVALID, "laa.statutory_set_not_imported", "NI %d cannot be a statutory target: the DCSF statutory set has not been imported into the indicator catalogue, so no indicator is known to be statutory", c.NI)
				}
				return nil, domain.Errorf(domain.EINVALID, "laa.statutory_not_dcsf", "NI %d is not in the DCSF statutory set; statutory targets come only from it", c.NI)
			}
		case KindDesignated:
			if ind.DCSFStatutory {
				return nil, domain.Errorf(domain.EINVALID, "laa.designated_statutory", "NI %d is a DCSF statutory indicator: it is agreed as a statutory target, outside the 35 designated", c.NI)
			}
		}
	}
	if c.Kind == KindDesignated {
		if n := d.a.CountTargets(KindDesignated); n >= MaxDesignated {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.designated_limit", "agreement %s already has %d designated targets (withdrawn ones not counted); at most %d are allowed", d.a.ID, n, MaxDesignated)
		}
	}
	return []domain.Event{TargetProposed{Target: key, NI: c.NI, LocalCode: c.LocalCode, Title: title, Kind: c.Kind, Baseline: c.Baseline,
		Values: c.Values.clone(), Rationale: c.Rationale, CatalogueVersion: d.ctx.Catalogue.Version, Round: 1, Side: d.side,
		ProposedBy: d.m.Actor.ID, At: d.at}}, nil
}

func (d decision) negotiating(key string) (Target, error) {
	if err := d.negotiable(key); err != nil {
		return Target{}, err
	}
	t, err := d.target(key)
	if err != nil {
		return Target{}, err
	}
	if t.Status == TargetStatusAgreed {
		return Target{}, domain.Errorf(domain.ECONFLICT, "laa.target_agreed", "target %s of %s is already agreed", key, d.a.ID)
	}
	return t, nil
}

func (d decision) counter(c CounterProposeTarget) ([]domain.Event, error) {
	t, err := d.negotiating(c.Target)
	if err != nil {
		return nil, err
	}
	if err := d.answer(t, 0); err != nil {
		return nil, err
	}
	return []domain.Event{TargetCounterProposed{Target: t.Key, Baseline: keepBaseline(c.Baseline, t.Open.Baseline), Values: c.Values.clone(), Rationale: c.Rationale,
		CatalogueVersion: d.ctx.Catalogue.Version, Round: t.Open.Round + 1, Side: d.side, ProposedBy: d.m.Actor.ID, At: d.at}}, nil
}

// keepBaseline: a counter-proposal that gives no baseline keeps the one
// on the table.
func keepBaseline(given, open *Baseline) *Baseline {
	if given != nil {
		return given
	}
	return open
}

func (d decision) accept(c AcceptProposal) ([]domain.Event, error) {
	t, err := d.negotiating(c.Target)
	if err != nil {
		return nil, err
	}
	if err := d.answer(t, c.Round); err != nil {
		return nil, err
	}
	return []domain.Event{TargetAgreed{Target: t.Key, Round: t.Open.Round, ProposedBy: t.Open.By, ProposedBySide: t.Open.Side,
		AcceptedBy: d.m.Actor.ID, AcceptedBySide: d.side, Baseline: t.Open.Baseline, Values: t.Open.Values.clone(), At: d.at}}, nil
}

func (d decision) withdraw(c WithdrawTarget) ([]domain.Event, error) {
	if err := d.negotiable(c.Target); err != nil {
		return nil, err
	}
	t, err := d.target(c.Target)
	if err != nil {
		return nil, err
	}
	return []domain.Event{TargetWithdrawn{Target: t.Key, Reason: c.Reason, Side: d.side, By: d.m.Actor.ID, At: d.at}}, nil
}

func (d decision) adopt() ([]domain.Event, error) {
	if d.a.Status != StatusNegotiating {
		return nil, d.lifecycle("adopted", "once, after its targets are agreed")
	}
	if open := d.a.openNegotiations(); len(open) > 0 {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.open_negotiations", "agreement %s cannot be adopted while targets are still under negotiation: %s (agree or withdraw them)", d.a.ID, strings.Join(open, ", "))
	}
	n := map[TargetKind]int{}
	for _, t := range d.a.Targets {
		if t.Status == TargetStatusAgreed {
			n[t.Kind]++
		}
	}
	if n[KindDesignated] == 0 {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.nothing_agreed", "agreement %s has no agreed designated target to adopt", d.a.ID)
	}
	return []domain.Event{AgreementAdopted{Designated: n[KindDesignated], Statutory: n[KindStatutory], Local: n[KindLocal], At: d.at}}, nil
}

func (d decision) approved() bool {
	switch d.a.Status {
	case StatusApproved, StatusRefreshOpen, StatusRefreshAdopted, StatusRefreshConcluded:
		return true
	}
	return false
}

func (d decision) review(year, step string) ([]domain.Event, error) {
	if !d.approved() {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.lifecycle", "agreement %s is %s; annual reviews follow the Minister's approval", d.a.ID, d.a.Status)
	}
	r := d.a.Reviews[year]
	switch step {
	case "self_assessment":
		if !r.SelfAssessmentAt.IsZero() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.review_duplicate", "the self-assessment for the %s review of %s was already sent on %s", year, d.a.ID, day(r.SelfAssessmentAt))
		}
		if !r.HeldAt.IsZero() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.review_order", "the %s annual review of %s was held on %s; a self-assessment is sent before it", year, d.a.ID, day(r.HeldAt))
		}
		return []domain.Event{SelfAssessmentSubmitted{Year: year, At: d.at}}, nil
	case "held":
		if !r.HeldAt.IsZero() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.review_duplicate", "the %s annual review of %s was already held on %s", year, d.a.ID, day(r.HeldAt))
		}
		return []domain.Event{AnnualReviewHeld{Year: year, At: d.at}}, nil
	default:
		if r.HeldAt.IsZero() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.review_order", "the %s annual review of %s has not been held; the report to CLG follows it", year, d.a.ID)
		}
		if !r.ReportSentAt.IsZero() {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.review_duplicate", "the %s annual review report for %s was already sent on %s", year, d.a.ID, day(r.ReportSentAt))
		}
		return []domain.Event{AnnualReviewReportSent{Year: year, At: d.at}}, nil
	}
}

func (d decision) openRefresh(c OpenRefresh) ([]domain.Event, error) {
	switch d.a.Status {
	case StatusApproved:
	case StatusRefreshOpen, StatusRefreshAdopted, StatusRefreshConcluded:
		r, _ := d.a.currentRefresh()
		return nil, domain.Errorf(domain.ECONFLICT, "laa.refresh_open", "the %s refresh of %s is still open; it must be approved before another opens", r.Year, d.a.ID)
	default:
		return nil, d.lifecycle("refreshed", "after the Minister has approved it")
	}
	for _, r := range d.a.Refreshes {
		if r.Year == c.Year {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.refresh_duplicate", "agreement %s already had its %s refresh (opened %s)", d.a.ID, c.Year, day(r.OpenedAt))
		}
	}
	if d.a.Reviews[c.Year].HeldAt.IsZero() {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.review_order", "the %s refresh of %s opens after the %s annual review is held", c.Year, d.a.ID, c.Year)
	}
	return []domain.Event{RefreshOpened{Year: c.Year, At: d.at}}, nil
}

// revisable checks a refresh is open and the target is agreed.
func (d decision) revisable(key string) (Target, error) {
	switch {
	case d.a.Status == StatusApproved:
		return Target{}, domain.Errorf(domain.ECONFLICT, "laa.refresh_not_open", "no refresh of %s is open; target %s is under reward lockdown since %s and may change only in a refresh",
			d.a.ID, key, day(d.a.LockdownFrom))
	case d.a.Status != StatusRefreshOpen:
		return Target{}, domain.Errorf(domain.ECONFLICT, "laa.refresh_not_open", "agreement %s is %s; refresh revisions are made only while a refresh is open", d.a.ID, d.a.Status)
	}
	t, err := d.target(key)
	if err != nil {
		return Target{}, err
	}
	if t.Status != TargetStatusAgreed {
		return Target{}, domain.Errorf(domain.ECONFLICT, "laa.target_not_agreed", "target %s of %s was never agreed; a refresh revises agreed targets only", key, d.a.ID)
	}
	return t, nil
}

// checkGround applies the refresh rules for the ground of a revision.
func (d decision) checkGround(t Target, g Ground, flag *domain.FlagRef, b *Baseline, v Values) error {
	lock := fmt.Sprintf("target %s is under reward lockdown since %s", t.Key, day(d.a.LockdownFrom))
	switch g {
	case GroundPlaceSurvey:
		ind, ok := d.ctx.Catalogue.Lookup(t.NI, d.at)
		if t.NI == 0 || !ok || !ind.PlaceSurvey {
			return domain.Errorf(domain.EINVALID, "laa.ground_place_survey", "%s and %s is not a Place Survey indicator in the catalogue as of %s; a refresh may change it only on the grounds source_data_changed, deferred_late_data, year_three_target or caa_reopening with a named published red flag",
				lock, t.Key, day(d.at))
		}
	case GroundSourceDataChanged, GroundDeferredLateData:
		if len(d.m.Evidence) == 0 {
			return domain.Errorf(domain.EINVALID, "laa.ground_evidence", "%s; revising it on the ground %s needs evidence (a reference to the source-data change or the deferral), and none was given", lock, g)
		}
	case GroundYearThreeTarget:
		if b != nil || len(v) != 1 || !hasKey(v, yearThree) {
			return domain.Errorf(domain.EINVALID, "laa.ground_year_three", "%s; on the ground year_three_target a revision may set only the %s value (got %s%s)",
				lock, yearThree, strings.Join(slices.Sorted(maps.Keys(v)), ", "), map[bool]string{true: " and a baseline", false: ""}[b != nil])
		}
	case GroundCAAReopening:
		return d.checkFlag(t, flag)
	}
	return nil
}

func hasKey(v Values, k string) bool { _, ok := v[k]; return ok }

// checkFlag requires a published, not withdrawn, red CAA flag on this area
// that relates to the target's indicator.
func (d decision) checkFlag(t Target, ref *domain.FlagRef) error {
	lock := fmt.Sprintf("target %s is under reward lockdown since %s", t.Key, day(d.a.LockdownFrom))
	if ref == nil {
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_missing", "%s; reopening it on CAA grounds needs a named published red flag", lock)
	}
	if d.ctx.Flags == nil {
		return domain.Errorf(domain.EINVALID, "laa.caa_flags_unavailable", "%s; the CAA flags could not be consulted, so a reopening on CAA grounds cannot be accepted", lock)
	}
	name := fmt.Sprintf("CAA flag %s of %s/%d", ref.FlagID, ref.Area, ref.Year)
	if ref.Area != d.a.Area {
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_other_area", "%s; %s is on another area's assessment, not %s's", lock, name, d.a.Area)
	}
	f, ok, err := d.ctx.Flags.Flag(*ref)
	switch {
	case err != nil:
		// Refusing now would be deciding blind: say the flag could not be read.
		return fmt.Errorf("%s; reading %s: %w", lock, name, err)
	case !ok:
		return domain.Errorf(domain.ENOTFOUND, "laa.caa_flag_not_found", "%s; there is no %s", lock, name)
	case f.Ref.Area != d.a.Area:
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_other_area", "%s; %s is on another area's assessment, not %s's", lock, name, d.a.Area)
	case f.Withdrawn:
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_withdrawn", "%s; %s has been withdrawn", lock, name)
	case !f.Published || f.PublishedAt.After(d.at):
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_unpublished", "%s; %s was not published as of %s", lock, name, day(d.at))
	case f.Colour != "red":
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_not_red", "%s; %s is %s, and only a red flag can reopen a target", lock, name, f.Colour)
	case t.NI == 0 || !slices.Contains(f.Indicators, t.NI):
		return domain.Errorf(domain.EINVALID, "laa.caa_flag_other_indicator", "%s; %s relates to %s, not to %s", lock, name, niList(f.Indicators), t.Key)
	}
	return nil
}

func niList(nis []int) string {
	if len(nis) == 0 {
		return "no indicator"
	}
	s := make([]string, len(nis))
	for i, n := range nis {
		s[i] = fmt.Sprintf("NI %d", n)
	}
	return strings.Join(s, ", ")
}

func (d decision) proposeRevision(c ProposeRevision) ([]domain.Event, error) {
	t, err := d.revisable(c.Target)
	if err != nil {
		return nil, err
	}
	if t.Open != nil {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.revision_open", "a revision of %s is already under negotiation (round %d, ground %s); counter-propose or agree it", t.Key, t.Open.Round, t.Open.Ground)
	}
	if err := d.checkGround(t, c.Ground, c.Flag, c.Baseline, c.Values); err != nil {
		return nil, err
	}
	return []domain.Event{RefreshRevisionProposed{Target: t.Key, Ground: c.Ground, Flag: c.Flag, Baseline: c.Baseline, Values: c.Values.clone(),
		Rationale: c.Rationale, CatalogueVersion: d.ctx.Catalogue.Version, Round: 1, Side: d.side, ProposedBy: d.m.Actor.ID, At: d.at}}, nil
}

func (d decision) openRevision(key string, round int) (Target, error) {
	t, err := d.revisable(key)
	if err != nil {
		return Target{}, err
	}
	if t.Open == nil {
		return Target{}, domain.Errorf(domain.ENOTFOUND, "laa.no_open_revision", "no revision of %s is under negotiation; propose one first", key)
	}
	return t, d.answer(t, round)
}

func (d decision) counterRevision(c CounterProposeRevision) ([]domain.Event, error) {
	t, err := d.openRevision(c.Target, 0)
	if err != nil {
		return nil, err
	}
	if t.Open.Ground == GroundYearThreeTarget {
		if err := d.checkGround(t, t.Open.Ground, nil, c.Baseline, c.Values); err != nil {
			return nil, err
		}
	}
	return []domain.Event{RefreshRevisionCountered{Target: t.Key, Ground: t.Open.Ground, Baseline: keepBaseline(c.Baseline, t.Open.Baseline), Values: c.Values.clone(),
		Rationale: c.Rationale, CatalogueVersion: d.ctx.Catalogue.Version, Round: t.Open.Round + 1, Side: d.side, ProposedBy: d.m.Actor.ID, At: d.at}}, nil
}

func (d decision) agreeRevision(c AgreeRevision) ([]domain.Event, error) {
	t, err := d.openRevision(c.Target, c.Round)
	if err != nil {
		return nil, err
	}
	// The flag may have been withdrawn since the revision was proposed.
	if t.Open.Ground == GroundCAAReopening {
		if err := d.checkFlag(t, t.Open.Flag); err != nil {
			return nil, err
		}
	}
	values := t.Values.clone()
	if values == nil {
		values = Values{}
	}
	for y, x := range t.Open.Values {
		values[y] = x
	}
	baseline := t.Baseline
	if t.Open.Baseline != nil {
		baseline = t.Open.Baseline
	}
	return []domain.Event{RefreshRevisionAgreed{Target: t.Key, Ground: t.Open.Ground, Flag: t.Open.Flag, Round: t.Open.Round,
		ProposedBy: t.Open.By, ProposedBySide: t.Open.Side, AcceptedBy: d.m.Actor.ID, AcceptedBySide: d.side,
		Baseline: baseline, Values: values, Changed: t.Open.Values.clone(), At: d.at}}, nil
}

func (d decision) outturn(c RecordOutturn) ([]domain.Event, error) {
	t, err := d.target(c.Target)
	if err != nil {
		return nil, err
	}
	if t.Status != TargetStatusAgreed {
		return nil, domain.Errorf(domain.ECONFLICT, "laa.outturn_not_agreed", "target %s of %s is not agreed; outturns are recorded against agreed targets", t.Key, d.a.ID)
	}
	if start := yearStart(c.Year); d.at.Before(start) {
		return nil, domain.Errorf(domain.EINVALID, "laa.outturn_before_year", "the %s outturn of %s is dated %s, before the year began (%s); an outturn is known only once its year has started",
			c.Year, t.Key, day(d.at), day(start))
	}
	// A late outturn revises the outturn as it stood at its own business
	// time: the revisions dated after it follow it in every fold.
	prev := t.Outturns[c.Year]
	for len(prev) > 0 && prev[len(prev)-1].At.After(d.at) {
		prev = prev[:len(prev)-1]
	}
	e := OutturnRecorded{Target: t.Key, Year: c.Year, Value: c.Value, Source: c.Source, Revision: len(prev), At: d.at}
	if n := len(prev); n > 0 {
		last := prev[n-1]
		if last.Value == c.Value && last.Source == c.Source {
			return nil, domain.Errorf(domain.ECONFLICT, "laa.outturn_unchanged", "the %s outturn of %s is already %v from %s", c.Year, t.Key, c.Value, c.Source)
		}
		v := last.Value
		e.PreviousValue, e.PreviousSource = &v, last.Source
	}
	return []domain.Event{e}, nil
}

// commandTiming is the timing of the events a command produces (see
// timings in events.go): its business time is checked as an act's or as a
// fact's.
func commandTiming(cmd domain.Command) domain.Timing {
	switch cmd.(type) {
	case RecordOutturn:
		return timings[OutturnRecorded{}.EventType()]
	case RecordCorrection:
		return timings[CorrectionRecorded{}.EventType()]
	}
	return domain.Act
}

// yearStart is 1 April of the first calendar year of a financial year
// ("2008/09" starts on 2008-04-01); zero for a malformed year.
func yearStart(year string) time.Time {
	y, _, ok := strings.Cut(year, "/")
	n, err := strconv.Atoi(y)
	if !ok || err != nil {
		return time.Time{}
	}
	return time.Date(n, time.April, 1, 0, 0, 0, 0, time.UTC)
}

// correction decides a RecordCorrection with the ledger's rules for
// corrections ([domain.DecideCorrection]): the named event must be one of
// the agreement's (correction.unknown_event), the correction may not be
// dated before it, and a corrected body must be a whole, valid body of
// the original's type, for the same target and year and the same business
// time (a correction changes what an event said, not when it happened).
// The body is stored with its business time filled in.
func (d decision) correction(c RecordCorrection) ([]domain.Event, error) {
	body, err := domain.DecideCorrection(d.ctx.History, c, domain.Correction{Prefix: "laa", Ref: c.CorrectsEventID,
		Type: c.CorrectedType, Body: c.Corrected, At: d.at, Events: events, Identity: []string{"Target", "Year"}})
	if err != nil {
		return nil, err
	}
	e := CorrectionRecorded{CorrectsEventID: c.CorrectsEventID, Reason: c.Reason, By: d.m.Actor.ID, At: d.at}
	if body != nil {
		e.CorrectedType, e.Corrected = c.CorrectedType, body
	}
	return []domain.Event{e}, nil
}
