package laa

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/internal/domaintest"
)

const hpID = "00EB/2008-11" // Hartlepool, North East

func laaActor(role domain.Role, org string) domain.Actor {
	return domain.Actor{ID: string(role) + "@" + org, Role: role, Organisation: org}
}

var (
	lspHP    = laaActor(domain.RoleLSP, "00EB")
	laHP     = laaActor(domain.RoleLA, "00EB")
	goNE     = laaActor(domain.RoleGO, "North East")
	goLondon = laaActor(domain.RoleGO, "London")
	lspOther = laaActor(domain.RoleLSP, "00AA")
	minister = laaActor(domain.RoleMinister, "CLG")
	clg      = laaActor(domain.RoleCLG, "CLG")
)

// mapFlags is a FlagView over a fixed set of flags.
type mapFlags map[domain.FlagRef]domain.FlagInfo

func (m mapFlags) Flag(ref domain.FlagRef) (domain.FlagInfo, bool, error) {
	f, ok := m[ref]
	return f, ok, nil
}

// statutoryCatalogue is the seed catalogue plus a synthetic test file that
// marks NI 72 (already in the seed) and NI 75 (not in the seed) statutory. The
// statutory flags are test fixtures, not reference data.
func statutoryCatalogue(t testing.TB) catalogue.Catalogue {
	t.Helper()
	c := catalogue.Seed()
	rows := append([]catalogue.IndicatorRow(nil), catalogue.SeedCommand().Rows...)
	for i := range rows {
		if rows[i].NI == 72 {
			rows[i].DCSFStatutory = "yes"
		}
	}
	rows = append(rows, catalogue.IndicatorRow{NI: 75, Title: "test fixture statutory indicator", DCSFStatutory: "yes"})
	evs, err := catalogue.DecideCatalogue(c, domaintest.OperatorMeta("stat", time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)),
		catalogue.ImportIndicators{Rows: rows, Source: "test fixture"})
	domaintest.NoErr(t, err, "statutory import")
	return domaintest.Fold(c, evs)
}

// fixture drives one agreement through decisions, a day per command, and
// checks every decision's events fold into the state.
type fixture struct {
	a        Agreement
	ctx      AgreementContext
	at       time.Time
	n        int
	evidence []string
}

func newFixture() *fixture {
	return &fixture{ctx: AgreementContext{Catalogue: catalogue.Seed()}, at: time.Date(2008, 2, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *fixture) meta(by domain.Actor) domain.Meta {
	f.n++
	f.at = f.at.Add(24 * time.Hour)
	return domain.Meta{CommandID: fmt.Sprintf("t-%04d", f.n), Actor: by, OccurredAt: f.at, Evidence: f.evidence}
}

// outturnsDue moves the fixture's clock past the end of 2008/09, when
// its outturn can be known (laa.outturn_before_year).
func (f *fixture) outturnsDue() *fixture {
	if d := time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC); f.at.Before(d) {
		f.at = d
	}
	return f
}

func (f *fixture) decide(by domain.Actor, cmd domain.Command) ([]domain.Event, error) {
	evs, err := DecideAgreement(f.a, f.meta(by), cmd, f.ctx)
	if err == nil {
		for _, e := range evs {
			f.a = f.a.Apply(e)
		}
	}
	return evs, err
}

func (f *fixture) must(t testing.TB, by domain.Actor, cmd domain.Command) []domain.Event {
	t.Helper()
	evs, err := f.decide(by, cmd)
	domaintest.NoErr(t, err, cmd.CommandType())
	return evs
}

var threeYears = Values{"2008/09": 10, "2009/10": 12, "2010/11": 14}

func (f *fixture) open(t testing.TB) *fixture {
	f.must(t, goNE, OpenAgreement{Agreement: hpID})
	return f
}

func (f *fixture) agree(t testing.TB, ni int, kind TargetKind) *fixture {
	f.must(t, lspHP, ProposeTarget{Agreement: hpID, NI: ni, Kind: kind, Values: threeYears})
	f.must(t, goNE, AcceptProposal{Agreement: hpID, Target: TargetKey(ni, ""), Round: 1})
	return f
}

// approved: NI 112 and NI 4 (a Place Survey indicator) agreed as
// designated, adopted, submitted and approved.
func (f *fixture) approved(t testing.TB) *fixture {
	f.open(t).agree(t, 112, KindDesignated).agree(t, 4, KindDesignated)
	f.must(t, laHP, AdoptAgreement{Agreement: hpID})
	f.must(t, lspHP, SubmitAgreement{Agreement: hpID})
	f.must(t, minister, ApproveAgreement{Agreement: hpID})
	return f
}

func (f *fixture) refreshOpen(t testing.TB) *fixture {
	f.approved(t)
	f.must(t, goNE, HoldAnnualReview{Agreement: hpID, Year: "2008/09"})
	f.must(t, goNE, OpenRefresh{Agreement: hpID, Year: "2008/09"})
	return f
}

var redFlag = domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "red-1"}

func flagsWith(mod func(*domain.FlagInfo)) mapFlags {
	f := domain.FlagInfo{Ref: redFlag, Colour: "red", Theme: "crime", Indicators: []int{112}, Published: true,
		PublishedAt: time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)}
	if mod != nil {
		mod(&f)
	}
	return mapFlags{redFlag: f}
}

func TestAgreementRules(t *testing.T) {
	type setup func(t testing.TB, f *fixture)
	none := func(testing.TB, *fixture) {}
	opened := func(t testing.TB, f *fixture) { f.open(t) }
	proposed := func(t testing.TB, f *fixture) {
		f.open(t).must(t, lspHP, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears})
	}
	approved := func(t testing.TB, f *fixture) { f.approved(t) }
	refresh := func(t testing.TB, f *fixture) { f.refreshOpen(t) }
	withFlags := func(fl FlagView) setup {
		return func(t testing.TB, f *fixture) { f.refreshOpen(t); f.ctx.Flags = fl }
	}
	caa := ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Flag: &redFlag, Values: Values{"2010/11": 9}}
	p112 := ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears}

	tests := []struct {
		desc  string
		setup setup
		by    domain.Actor
		cmd   domain.Command
		rule  string
		code  string
	}{
		{desc: "not opened", setup: none, by: lspHP, cmd: p112, rule: "laa.not_opened", code: domain.ENOTFOUND},
		{desc: "opened twice", setup: opened, by: goNE, cmd: OpenAgreement{Agreement: hpID}, rule: "laa.already_opened", code: domain.ECONFLICT},
		{desc: "unknown area", setup: none, by: goNE, cmd: OpenAgreement{Agreement: "99ZZ/2008-11"}, rule: "laa.unknown_area", code: domain.EINVALID},
		{desc: "unknown period", setup: none, by: goNE, cmd: OpenAgreement{Agreement: "00EB/2011-14"}, rule: "laa.unknown_period", code: domain.EINVALID},
		{desc: "indicator not in catalogue", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 2, Kind: KindDesignated, Values: threeYears}, rule: "laa.indicator_not_in_catalogue", code: domain.ENOTFOUND},
		{desc: "NI 31", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 31, Kind: KindDesignated, Values: threeYears}, rule: "laa.bad_ni", code: domain.EINVALID},
		{desc: "one target per indicator", setup: proposed, by: lspHP, cmd: p112, rule: "laa.duplicate_target", code: domain.ECONFLICT},
		{desc: "statutory set not imported", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 72, Kind: KindStatutory, Values: threeYears}, rule: "laa.statutory_set_not_imported", code: domain.EINVALID},
		{desc: "statutory from outside the DCSF set", setup: func(t testing.TB, f *fixture) { f.ctx.Catalogue = statutoryCatalogue(t); f.open(t) },
			by: lspHP, cmd: ProposeTarget{Agreement: hpID, NI: 112, Kind: KindStatutory, Values: threeYears}, rule: "laa.statutory_not_dcsf", code: domain.EINVALID},
		{desc: "designated on a statutory indicator", setup: func(t testing.TB, f *fixture) { f.ctx.Catalogue = statutoryCatalogue(t); f.open(t) },
			by: lspHP, cmd: ProposeTarget{Agreement: hpID, NI: 72, Kind: KindDesignated, Values: threeYears}, rule: "laa.designated_statutory", code: domain.EINVALID},
		{desc: "local target outside the NIS needs a title", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, LocalCode: "L1", Kind: KindLocal, Values: threeYears}, rule: "laa.local_target_needs_title", code: domain.EINVALID},
		{desc: "unknown year", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: Values{"2011/12": 1}}, rule: "laa.unknown_year", code: domain.EINVALID},
		{desc: "no values", setup: opened, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated}, rule: "laa.missing_values", code: domain.EINVALID},
		{desc: "GO may not open a target", setup: opened, by: goNE, cmd: p112, rule: "laa.role_not_allowed", code: domain.EFORBIDDEN},
		{desc: "other region's GO", setup: proposed, by: goLondon,
			cmd: AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 1}, rule: "laa.not_party", code: domain.EFORBIDDEN},
		{desc: "other area's LSP", setup: opened, by: lspOther, cmd: p112, rule: "laa.not_party", code: domain.EFORBIDDEN},
		{desc: "auditor", setup: opened, by: laaActor(domain.RoleAuditor, "Audit Commission"), cmd: p112, rule: "laa.read_only_role", code: domain.EFORBIDDEN},
		{desc: "same side answers itself", setup: proposed, by: laHP,
			cmd: CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears}, rule: "laa.alternation", code: domain.ECONFLICT},
		{desc: "same side accepts itself", setup: proposed, by: lspHP,
			cmd: AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 1}, rule: "laa.alternation", code: domain.ECONFLICT},
		{desc: "stale round", setup: proposed, by: goNE,
			cmd: AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 2}, rule: "laa.stale_round", code: domain.ECONFLICT},
		{desc: "unknown target", setup: proposed, by: goNE,
			cmd: AcceptProposal{Agreement: hpID, Target: "NI 113", Round: 1}, rule: "laa.unknown_target", code: domain.ENOTFOUND},
		{desc: "already agreed", setup: func(t testing.TB, f *fixture) { f.open(t).agree(t, 112, KindDesignated) }, by: goNE,
			cmd: CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears}, rule: "laa.target_agreed", code: domain.ECONFLICT},
		{desc: "withdrawn", setup: func(t testing.TB, f *fixture) {
			proposed(t, f)
			f.must(t, goNE, WithdrawTarget{Agreement: hpID, Target: "NI 112", Reason: "dropped"})
		}, by: goNE, cmd: AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 1}, rule: "laa.target_withdrawn", code: domain.ECONFLICT},
		{desc: "adopt with open negotiations", setup: func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 4, KindDesignated)
			f.must(t, lspHP, p112)
		}, by: laHP, cmd: AdoptAgreement{Agreement: hpID}, rule: "laa.open_negotiations", code: domain.ECONFLICT},
		{desc: "adopt with nothing designated", setup: func(t testing.TB, f *fixture) { f.open(t).agree(t, 112, KindLocal) },
			by: laHP, cmd: AdoptAgreement{Agreement: hpID}, rule: "laa.nothing_agreed", code: domain.ECONFLICT},
		{desc: "LSP may not adopt", setup: func(t testing.TB, f *fixture) { f.open(t).agree(t, 112, KindDesignated) },
			by: lspHP, cmd: AdoptAgreement{Agreement: hpID}, rule: "laa.role_not_allowed", code: domain.EFORBIDDEN},
		{desc: "submit before adoption", setup: func(t testing.TB, f *fixture) { f.open(t).agree(t, 112, KindDesignated) },
			by: laHP, cmd: SubmitAgreement{Agreement: hpID}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "approve before submission", setup: func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 112, KindDesignated)
			f.must(t, laHP, AdoptAgreement{Agreement: hpID})
		}, by: minister, cmd: ApproveAgreement{Agreement: hpID}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "CLG does not approve", setup: func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 112, KindDesignated)
			f.must(t, laHP, AdoptAgreement{Agreement: hpID})
			f.must(t, laHP, SubmitAgreement{Agreement: hpID})
		}, by: clg, cmd: ApproveAgreement{Agreement: hpID}, rule: "laa.role_not_allowed", code: domain.EFORBIDDEN},
		{desc: "no negotiation after adoption", setup: func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 4, KindDesignated)
			f.must(t, laHP, AdoptAgreement{Agreement: hpID})
		}, by: lspHP, cmd: p112, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "locked target countered after approval", setup: approved, by: goNE,
			cmd: CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears}, rule: "laa.reward_lockdown", code: domain.ECONFLICT},
		{desc: "new target after approval", setup: approved, by: lspHP,
			cmd: ProposeTarget{Agreement: hpID, NI: 110, Kind: KindDesignated, Values: threeYears}, rule: "laa.reward_lockdown", code: domain.ECONFLICT},
		{desc: "withdraw after approval", setup: approved, by: lspHP,
			cmd: WithdrawTarget{Agreement: hpID, Target: "NI 112", Reason: "no"}, rule: "laa.reward_lockdown", code: domain.ECONFLICT},
		{desc: "revision without refresh", setup: approved, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 50}}, rule: "laa.refresh_not_open", code: domain.ECONFLICT},
		{desc: "refresh before approval", setup: opened, by: goNE, cmd: OpenRefresh{Agreement: hpID, Year: "2008/09"}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "refresh before review", setup: approved, by: goNE, cmd: OpenRefresh{Agreement: hpID, Year: "2008/09"}, rule: "laa.review_order", code: domain.ECONFLICT},
		{desc: "second refresh while one is open", setup: func(t testing.TB, f *fixture) {
			f.refreshOpen(t)
			f.must(t, goNE, HoldAnnualReview{Agreement: hpID, Year: "2009/10"})
		}, by: goNE, cmd: OpenRefresh{Agreement: hpID, Year: "2009/10"}, rule: "laa.refresh_open", code: domain.ECONFLICT},
		{desc: "same refresh twice", setup: func(t testing.TB, f *fixture) {
			f.refreshOpen(t)
			f.must(t, laHP, AdoptRefresh{Agreement: hpID})
			f.must(t, laHP, ConcludeRefresh{Agreement: hpID})
			f.must(t, minister, ApproveRefresh{Agreement: hpID})
		}, by: clg, cmd: OpenRefresh{Agreement: hpID, Year: "2008/09"}, rule: "laa.refresh_duplicate", code: domain.ECONFLICT},
		{desc: "place survey ground on a non Place Survey indicator", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 9}}, rule: "laa.ground_place_survey", code: domain.EINVALID},
		{desc: "year three ground changes 2009/10", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundYearThreeTarget, Values: Values{"2009/10": 9, "2010/11": 9}}, rule: "laa.ground_year_three", code: domain.EINVALID},
		{desc: "year three ground changes the baseline", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundYearThreeTarget, Baseline: &Baseline{Value: 1, Year: "2007/08"}, Values: Values{"2010/11": 9}}, rule: "laa.ground_year_three", code: domain.EINVALID},
		{desc: "source data changed without evidence", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundSourceDataChanged, Values: Values{"2009/10": 9}}, rule: "laa.ground_evidence", code: domain.EINVALID},
		{desc: "deferred late data without evidence", setup: refresh, by: goNE,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundDeferredLateData, Values: Values{"2009/10": 9}}, rule: "laa.ground_evidence", code: domain.EINVALID},
		{desc: "unknown ground", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: "politics", Values: Values{"2009/10": 9}}, rule: "laa.bad_ground", code: domain.EINVALID},
		{desc: "caa without flag", setup: refresh, by: lspHP,
			cmd: ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Values: Values{"2009/10": 9}}, rule: "laa.caa_flag_missing", code: domain.EINVALID},
		{desc: "caa without a flag view", setup: refresh, by: lspHP, cmd: caa, rule: "laa.caa_flags_unavailable", code: domain.EINVALID},
		{desc: "caa flag not found", setup: withFlags(mapFlags{}), by: lspHP, cmd: caa, rule: "laa.caa_flag_not_found", code: domain.ENOTFOUND},
		{desc: "caa flag unpublished", setup: withFlags(flagsWith(func(f *domain.FlagInfo) { f.Published = false })), by: lspHP, cmd: caa, rule: "laa.caa_flag_unpublished", code: domain.EINVALID},
		{desc: "caa flag published later", setup: withFlags(flagsWith(func(f *domain.FlagInfo) { f.PublishedAt = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC) })), by: lspHP, cmd: caa, rule: "laa.caa_flag_unpublished", code: domain.EINVALID},
		{desc: "caa flag green", setup: withFlags(flagsWith(func(f *domain.FlagInfo) { f.Colour = "green" })), by: lspHP, cmd: caa, rule: "laa.caa_flag_not_red", code: domain.EINVALID},
		{desc: "caa flag withdrawn", setup: withFlags(flagsWith(func(f *domain.FlagInfo) { f.Withdrawn = true })), by: lspHP, cmd: caa, rule: "laa.caa_flag_withdrawn", code: domain.EINVALID},
		{desc: "caa flag on another indicator", setup: withFlags(flagsWith(func(f *domain.FlagInfo) { f.Indicators = []int{111, 19} })), by: lspHP, cmd: caa, rule: "laa.caa_flag_other_indicator", code: domain.EINVALID},
		{desc: "caa flag of another area", setup: withFlags(flagsWith(nil)), by: lspHP,
			cmd:  ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Flag: &domain.FlagRef{Area: "00AA", Year: 2009, FlagID: "red-1"}, Values: Values{"2010/11": 9}},
			rule: "laa.caa_flag_other_area", code: domain.EINVALID},
		{desc: "revision already open", setup: func(t testing.TB, f *fixture) {
			f.refreshOpen(t)
			f.must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 50}})
		}, by: goNE, cmd: ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 51}}, rule: "laa.revision_open", code: domain.ECONFLICT},
		{desc: "no open revision", setup: refresh, by: goNE,
			cmd: AgreeRevision{Agreement: hpID, Target: "NI 4", Round: 1}, rule: "laa.no_open_revision", code: domain.ENOTFOUND},
		{desc: "refresh adopted with revisions open", setup: func(t testing.TB, f *fixture) {
			f.refreshOpen(t)
			f.must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 50}})
		}, by: laHP, cmd: AdoptRefresh{Agreement: hpID}, rule: "laa.open_negotiations", code: domain.ECONFLICT},
		{desc: "refresh concluded before adoption", setup: refresh, by: laHP, cmd: ConcludeRefresh{Agreement: hpID}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "refresh approved before conclusion", setup: refresh, by: minister, cmd: ApproveRefresh{Agreement: hpID}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "review before approval", setup: opened, by: goNE, cmd: HoldAnnualReview{Agreement: hpID, Year: "2008/09"}, rule: "laa.lifecycle", code: domain.ECONFLICT},
		{desc: "report before review", setup: approved, by: goNE, cmd: SendAnnualReviewReport{Agreement: hpID, Year: "2008/09"}, rule: "laa.review_order", code: domain.ECONFLICT},
		{desc: "self-assessment after review", setup: func(t testing.TB, f *fixture) {
			f.approved(t)
			f.must(t, laHP, HoldAnnualReview{Agreement: hpID, Year: "2009/10"})
		}, by: lspHP, cmd: SubmitSelfAssessment{Agreement: hpID, Year: "2009/10"}, rule: "laa.review_order", code: domain.ECONFLICT},
		{desc: "review held twice", setup: func(t testing.TB, f *fixture) {
			f.approved(t)
			f.must(t, laHP, HoldAnnualReview{Agreement: hpID, Year: "2009/10"})
		}, by: goNE, cmd: HoldAnnualReview{Agreement: hpID, Year: "2009/10"}, rule: "laa.review_duplicate", code: domain.ECONFLICT},
		{desc: "review of a year outside the period", setup: approved, by: goNE, cmd: HoldAnnualReview{Agreement: hpID, Year: "2011/12"}, rule: "laa.unknown_year", code: domain.EINVALID},
		{desc: "outturn on a target under negotiation", setup: proposed, by: lspHP,
			cmd: RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 1, Source: "x"}, rule: "laa.outturn_not_agreed", code: domain.ECONFLICT},
		{desc: "outturn on no target", setup: approved, by: lspHP,
			cmd: RecordOutturn{Agreement: hpID, Target: "NI 1", Year: "2008/09", Value: 1, Source: "x"}, rule: "laa.unknown_target", code: domain.ENOTFOUND},
		{desc: "outturn for a year outside the period", setup: approved, by: lspHP,
			cmd: RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2007/08", Value: 1, Source: "x"}, rule: "laa.unknown_year", code: domain.EINVALID},
		{desc: "outturn repeated unchanged", setup: func(t testing.TB, f *fixture) {
			f.approved(t).outturnsDue()
			f.must(t, lspHP, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 1, Source: "x"})
		}, by: goNE, cmd: RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 1, Source: "x"}, rule: "laa.outturn_unchanged", code: domain.ECONFLICT},
		{desc: "correction without event id", setup: approved, by: goNE,
			cmd: RecordCorrection{Agreement: hpID, Reason: "typo"}, rule: "laa.correction_target", code: domain.EINVALID},
		{desc: "correction without reason", setup: approved, by: goNE,
			cmd: RecordCorrection{Agreement: hpID, CorrectsEventID: "e1"}, rule: "laa.correction_reason", code: domain.EINVALID},
		{desc: "correction payload not an object", setup: approved, by: goNE,
			cmd: RecordCorrection{Agreement: hpID, CorrectsEventID: "e1", Reason: "typo", CorrectedType: "laa.OutturnRecorded", Corrected: json.RawMessage(`[1]`)}, rule: "laa.correction_payload", code: domain.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			f := newFixture()
			tc.setup(t, f)
			before := f.a
			evs, err := f.decide(tc.by, tc.cmd)
			domaintest.WantRule(t, err, tc.rule)
			domaintest.Equal(t, domain.ErrorCode(err), tc.code, "code")
			domaintest.Check(t, evs == nil, "a refusal returns no events")
			domaintest.Check(t, reflect.DeepEqual(before, f.a), "a refusal changes nothing")
		})
	}
}

func TestDesignatedLimitCountsOnlyLiveTargets(t *testing.T) {
	f := newFixture().open(t)
	inds := f.ctx.Catalogue.Indicators(f.at)
	n := 0
	for _, ind := range inds {
		if n == 35 { // the seeds: up to 35 designated targets
			break
		}
		f.must(t, lspHP, ProposeTarget{Agreement: hpID, NI: ind.NI, Kind: KindDesignated, Values: threeYears})
		n++
	}
	extra := inds[len(inds)-1].NI
	_, err := f.decide(lspHP, ProposeTarget{Agreement: hpID, NI: extra, Kind: KindDesignated, Values: threeYears})
	domaintest.WantRule(t, err, "laa.designated_limit")
	// A local target on the same indicator is not counted.
	f.must(t, lspHP, ProposeTarget{Agreement: hpID, NI: extra, Kind: KindLocal, Values: threeYears})
	// Withdrawing one frees a place.
	f.must(t, goNE, WithdrawTarget{Agreement: hpID, Target: TargetKey(inds[0].NI, ""), Reason: "replaced"})
	f.must(t, lspHP, ProposeTarget{Agreement: hpID, NI: inds[0].NI, Kind: KindDesignated, Values: threeYears})
	domaintest.Equal(t, f.a.CountTargets(KindDesignated), 35, "designated")
}

func TestStatutoryTargetsNeedTheImportedSet(t *testing.T) {
	f := newFixture()
	f.ctx.Catalogue = statutoryCatalogue(t)
	f.open(t).agree(t, 72, KindStatutory)
	domaintest.Equal(t, f.a.Targets["NI 72"].Status, TargetStatusAgreed, "NI 72")
}

func TestNegotiationRecordsBothSides(t *testing.T) {
	f := newFixture().open(t)
	f.must(t, lspHP, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears,
		Baseline: &Baseline{Value: 60, Year: "2006/07", Source: "illustrative"}, Rationale: "illustrative"})
	f.must(t, goNE, CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: Values{"2008/09": 11, "2009/10": 13, "2010/11": 15}})
	f.must(t, laHP, CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: Values{"2008/09": 10, "2009/10": 13, "2010/11": 15}})
	evs := f.must(t, goNE, AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 3})
	ag := evs[0].(TargetAgreed)
	domaintest.Equal(t, ag.ProposedBy, laHP.ID, "proposer")
	domaintest.Equal(t, ag.ProposedBySide, SideLocal, "proposer side")
	domaintest.Equal(t, ag.AcceptedBy, goNE.ID, "accepter")
	domaintest.Equal(t, ag.Values, Values{"2008/09": 10, "2009/10": 13, "2010/11": 15}, "agreed values")
	tg := f.a.Targets["NI 112"]
	domaintest.Equal(t, tg.Values, ag.Values, "state values")
	domaintest.Check(t, tg.Open == nil, "no open proposal after agreement")
	domaintest.Equal(t, tg.Title, "Under 18 conception rate", "title from the catalogue")
}

func TestRefreshRevisionsOnEachGround(t *testing.T) {
	f := newFixture()
	f.approved(t)
	lockdown := f.a.LockdownFrom
	f.must(t, goNE, HoldAnnualReview{Agreement: hpID, Year: "2008/09"})
	f.must(t, goNE, OpenRefresh{Agreement: hpID, Year: "2008/09"})

	// Place Survey: NI 4 is in the 2008 Place Survey list.
	f.must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey,
		Baseline: &Baseline{Value: 28, Year: "2008/09", Source: "illustrative"}, Values: Values{"2009/10": 30, "2010/11": 32}})
	f.must(t, goNE, CounterProposeRevision{Agreement: hpID, Target: "NI 4", Values: Values{"2009/10": 31, "2010/11": 33}})
	evs := f.must(t, lspHP, AgreeRevision{Agreement: hpID, Target: "NI 4", Round: 2})
	rv := evs[0].(RefreshRevisionAgreed)
	domaintest.Equal(t, rv.Values, Values{"2008/09": 10, "2009/10": 31, "2010/11": 33}, "merged values")
	domaintest.Equal(t, rv.Changed, Values{"2009/10": 31, "2010/11": 33}, "changed values")
	domaintest.Equal(t, f.a.Targets["NI 4"].Baseline.Value, 28.0, "new baseline")

	// Year three on NI 112, then a CAA reopening on it.
	f.must(t, goNE, ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundYearThreeTarget, Values: Values{"2010/11": 13}})
	_, err := f.decide(lspHP, CounterProposeRevision{Agreement: hpID, Target: "NI 112", Values: Values{"2009/10": 13}})
	domaintest.WantRule(t, err, "laa.ground_year_three")
	f.must(t, lspHP, AgreeRevision{Agreement: hpID, Target: "NI 112", Round: 1})
	domaintest.Equal(t, f.a.Targets["NI 112"].Values["2010/11"], 13.0, "year three")

	f.ctx.Flags = flagsWith(nil)
	f.must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundCAAReopening, Flag: &redFlag, Values: Values{"2009/10": 11}})
	f.ctx.Flags = flagsWith(func(fi *domain.FlagInfo) { fi.Withdrawn = true })
	_, err = f.decide(goNE, AgreeRevision{Agreement: hpID, Target: "NI 112", Round: 1})
	domaintest.WantRule(t, err, "laa.caa_flag_withdrawn")
	f.ctx.Flags = flagsWith(nil)
	f.must(t, goNE, AgreeRevision{Agreement: hpID, Target: "NI 112", Round: 1})

	f.evidence = []string{"doc:source-change-notice"}
	f.must(t, goNE, ProposeRevision{Agreement: hpID, Target: "NI 112", Ground: GroundSourceDataChanged, Values: Values{"2010/11": 12}})
	f.must(t, laHP, AgreeRevision{Agreement: hpID, Target: "NI 112", Round: 1})
	domaintest.Equal(t, f.a.Targets["NI 112"].Revisions, 3, "revisions of NI 112")

	f.must(t, laHP, AdoptRefresh{Agreement: hpID})
	f.must(t, lspHP, ConcludeRefresh{Agreement: hpID})
	f.must(t, minister, ApproveRefresh{Agreement: hpID})
	domaintest.Equal(t, f.a.Status, StatusApproved, "status")
	domaintest.Equal(t, f.a.LockdownFrom, lockdown, "lockdown date kept")
	r := f.a.Refreshes[0]
	domaintest.Check(t, !r.AdoptedAt.IsZero() && !r.ConcludedAt.IsZero() && !r.ApprovedAt.IsZero(), "refresh dates %+v", r)
}

func TestLockdownMessageNamesTheGrounds(t *testing.T) {
	f := newFixture().approved(t)
	_, err := f.decide(goNE, CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears})
	want := "target NI 112 is under reward lockdown since " + day(f.a.LockdownFrom) +
		"; a refresh may change it only on the grounds place_survey, source_data_changed, deferred_late_data, year_three_target or caa_reopening with a named published red flag"
	domaintest.Equal(t, err.Error(), want, "message")
}

func TestOutturnRevisionReferencesPrevious(t *testing.T) {
	f := newFixture().approved(t).outturnsDue()
	f.must(t, lspHP, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 9, Source: "provisional"})
	evs := f.must(t, goNE, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 8.5, Source: "final"})
	o := evs[0].(OutturnRecorded)
	domaintest.Equal(t, o.Revision, 1, "revision")
	domaintest.Check(t, o.PreviousValue != nil && *o.PreviousValue == 9 && o.PreviousSource == "provisional", "previous: %+v", o)
	domaintest.Equal(t, len(f.a.Targets["NI 112"].Outturns["2008/09"]), 2, "outturns kept")
}

func TestCommandsDatedBeforeTheLatestActAreRefused(t *testing.T) {
	f := newFixture().open(t)
	m := f.meta(lspHP)
	m.OccurredAt = f.a.LastAt.Add(-time.Hour)
	_, err := DecideAgreement(f.a, m, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears}, f.ctx)
	domaintest.WantRule(t, err, "laa.time_order")
}

// TestRolesPerCommand issues every LAA command as every role, from a state
// in which the command fits, and checks that exactly the listed roles get
// past the role check.
func TestRolesPerCommand(t *testing.T) {
	orgFor := map[domain.Role]string{domain.RoleLSP: "00EB", domain.RoleLA: "00EB", domain.RoleGO: "North East"}
	scenarios := []struct {
		setup func(testing.TB, *fixture)
		cmd   domain.Command
	}{
		{func(testing.TB, *fixture) {}, OpenAgreement{Agreement: hpID}},
		{func(t testing.TB, f *fixture) { f.open(t) }, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears}},
		{func(t testing.TB, f *fixture) {
			f.open(t).must(t, lspHP, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears})
		}, CounterProposeTarget{Agreement: hpID, Target: "NI 112", Values: threeYears}},
		{func(t testing.TB, f *fixture) {
			f.open(t).must(t, lspHP, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears})
		}, AcceptProposal{Agreement: hpID, Target: "NI 112", Round: 1}},
		{func(t testing.TB, f *fixture) {
			f.open(t).must(t, lspHP, ProposeTarget{Agreement: hpID, NI: 112, Kind: KindDesignated, Values: threeYears})
		}, WithdrawTarget{Agreement: hpID, Target: "NI 112", Reason: "r"}},
		{func(t testing.TB, f *fixture) { f.open(t).agree(t, 112, KindDesignated) }, AdoptAgreement{Agreement: hpID}},
		{func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 112, KindDesignated).must(t, laHP, AdoptAgreement{Agreement: hpID})
		}, SubmitAgreement{Agreement: hpID}},
		{func(t testing.TB, f *fixture) {
			f.open(t).agree(t, 112, KindDesignated).must(t, laHP, AdoptAgreement{Agreement: hpID})
			f.must(t, laHP, SubmitAgreement{Agreement: hpID})
		}, ApproveAgreement{Agreement: hpID}},
		{func(t testing.TB, f *fixture) { f.approved(t) }, SubmitSelfAssessment{Agreement: hpID, Year: "2008/09"}},
		{func(t testing.TB, f *fixture) { f.approved(t) }, HoldAnnualReview{Agreement: hpID, Year: "2008/09"}},
		{func(t testing.TB, f *fixture) {
			f.approved(t).must(t, goNE, HoldAnnualReview{Agreement: hpID, Year: "2008/09"})
		}, SendAnnualReviewReport{Agreement: hpID, Year: "2008/09"}},
		{func(t testing.TB, f *fixture) {
			f.approved(t).must(t, goNE, HoldAnnualReview{Agreement: hpID, Year: "2008/09"})
		}, OpenRefresh{Agreement: hpID, Year: "2008/09"}},
		{func(t testing.TB, f *fixture) { f.refreshOpen(t) },
			ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 5}}},
		{func(t testing.TB, f *fixture) {
			f.refreshOpen(t).must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 5}})
		}, CounterProposeRevision{Agreement: hpID, Target: "NI 4", Values: Values{"2009/10": 6}}},
		{func(t testing.TB, f *fixture) {
			f.refreshOpen(t).must(t, lspHP, ProposeRevision{Agreement: hpID, Target: "NI 4", Ground: GroundPlaceSurvey, Values: Values{"2009/10": 5}})
		}, AgreeRevision{Agreement: hpID, Target: "NI 4", Round: 1}},
		{func(t testing.TB, f *fixture) { f.refreshOpen(t) }, AdoptRefresh{Agreement: hpID}},
		{func(t testing.TB, f *fixture) { f.refreshOpen(t).must(t, laHP, AdoptRefresh{Agreement: hpID}) }, ConcludeRefresh{Agreement: hpID}},
		{func(t testing.TB, f *fixture) {
			f.refreshOpen(t).must(t, laHP, AdoptRefresh{Agreement: hpID})
			f.must(t, laHP, ConcludeRefresh{Agreement: hpID})
		}, ApproveRefresh{Agreement: hpID}},
		{func(t testing.TB, f *fixture) { f.approved(t).outturnsDue() }, RecordOutturn{Agreement: hpID, Target: "NI 112", Year: "2008/09", Value: 1, Source: "s"}},
		{func(t testing.TB, f *fixture) { f.approved(t) }, RecordCorrection{Agreement: hpID, CorrectsEventID: "e1", Reason: "typo"}},
	}
	seen := map[string]bool{}
	for _, sc := range scenarios {
		typ := sc.cmd.CommandType()
		seen[typ] = true
		allowed := Roles(typ)
		domaintest.Must(t, allowed != nil, "%s has no role list", typ)
		for _, role := range domain.Roles {
			t.Run(typ+"/"+string(role), func(t *testing.T) {
				f := newFixture()
				sc.setup(t, f)
				org := orgFor[role]
				if org == "" {
					org = "Whitehall"
				}
				_, err := f.decide(laaActor(role, org), sc.cmd)
				isAllowed := false
				for _, r := range allowed {
					isAllowed = isAllowed || r == role
				}
				switch {
				case role.ReadOnly():
					domaintest.WantRule(t, err, "laa.read_only_role")
				case !isAllowed:
					domaintest.WantRule(t, err, "laa.role_not_allowed")
				default:
					// The side that made the open proposal cannot answer
					// it; every other allowed role succeeds.
					if domain.ErrorRule(err) != "laa.alternation" {
						domaintest.NoErr(t, err, typ+" as "+string(role))
					}
				}
			})
		}
	}
	for _, typ := range kindTypes.CommandTypes() {
		if strings.HasPrefix(typ, "laa.") && !seen[typ] {
			t.Errorf("no role scenario for %s", typ)
		}
	}
}
