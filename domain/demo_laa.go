package domain

import (
	"fmt"
	"sort"
	"time"
)

// DemoIllustrative says what the LAA demo history is: its areas (SNAC
// codes, regions), its indicators (all in the embedded catalogue) and the
// 2009/10 review and refresh dates (seed 004: 13 November 2009
// self-assessment, 25 January 2010 GO report, 12 March 2010 adoption,
// 15 March refresh concluded, 31 March approval) are real; every target
// value, baseline, outturn, rationale, person and every other date is
// illustrative, made up to exercise the ledger, and must not be read as
// what any area agreed.
const DemoIllustrative = "illustrative demo data: areas, indicators and the 2009/10 timetable are real; values, people and other dates are made up"

// DemoStep is one command of a demo history and what deciding it should
// give: ExpectError is the rule id of the expected refusal, "" for success.
type DemoStep struct {
	Meta        Meta
	Command     Command
	ExpectError string
}

// DemoEventRef names, inside the demo, the index-th event produced by the
// command with the given id ("demo-laa-0042#0"). The pure domain never sees
// event ids; a loader whose event ids differ maps such a reference to the
// stored id before it decides the correction.
func DemoEventRef(commandID string, index int) string { return fmt.Sprintf("%s#%d", commandID, index) }

// demoCAAReopening, when set (by the CAA demo), returns the steps that
// reopen a locked Hartlepool target on a published red CAA flag during the
// 2009/10 refresh. It is called with the agreement id and the business time
// to use, which falls after the first CAA publication (10 December 2009) and
// before the refresh is adopted. Its steps must carry their own command ids
// (not "demo-laa-…"), so that the ids here stay stable.
var demoCAAReopening func(agreement string, at time.Time) []DemoStep

func demoDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

type demoArea struct {
	code, region, slug string
}

func (a demoArea) id() string { return AgreementID(a.code, Period2008) }
func (a demoArea) lsp() Actor {
	return Actor{ID: a.slug + "-lsp-manager", Role: RoleLSP, Organisation: a.code}
}
func (a demoArea) la() Actor {
	return Actor{ID: a.slug + "-council-policy-officer", Role: RoleLA, Organisation: a.code}
}
func (a demoArea) gov() Actor {
	return Actor{ID: a.slug + "-go-locality-lead", Role: RoleGO, Organisation: a.region}
}
func (a demoArea) key(ni int) string { return TargetKey(ni, "") }

var demoMinister = Actor{ID: "minister-local-government", Role: RoleMinister, Organisation: "CLG"}

type demoSteps struct {
	steps []DemoStep
}

func (s *demoSteps) add(at time.Time, by Actor, reason string, cmd Command, expect string, evidence ...string) {
	s.steps = append(s.steps, DemoStep{Meta: Meta{Actor: by, OccurredAt: at, Reason: reason, Evidence: evidence}, Command: cmd, ExpectError: expect})
}

// negotiate: the LSP proposes, the GO counters, the LA counters, the GO
// accepts — or, with rounds == 1, the GO accepts the first proposal.
func (s *demoSteps) negotiate(a demoArea, start time.Time, ni int, kind TargetKind, base *Baseline, first, counter, final Values, rounds int) {
	id := a.id()
	s.add(start, a.lsp(), "proposal from the LSP board", ProposeTarget{Agreement: id, NI: ni, Kind: kind, Baseline: base, Values: first,
		Rationale: "illustrative: local priority in the sustainable community strategy"}, "")
	if rounds == 1 {
		s.add(start.AddDate(0, 0, 14), a.gov(), "GO accepts", AcceptProposal{Agreement: id, Target: a.key(ni), Round: 1}, "")
		return
	}
	s.add(start.AddDate(0, 0, 14), a.gov(), "GO asks for more stretch", CounterProposeTarget{Agreement: id, Target: a.key(ni), Values: counter,
		Rationale: "illustrative: in line with the regional trajectory"}, "")
	s.add(start.AddDate(0, 0, 28), a.la(), "council offers a compromise", CounterProposeTarget{Agreement: id, Target: a.key(ni), Values: final,
		Rationale: "illustrative: achievable within partners' resources"}, "")
	s.add(start.AddDate(0, 0, 35), a.gov(), "GO accepts", AcceptProposal{Agreement: id, Target: a.key(ni), Round: 3}, "")
}

// lifecycle: adoption, submission and approval in June 2008.
func (s *demoSteps) sign(a demoArea, adopt, submit, approve time.Time) {
	s.add(adopt, a.la(), "cabinet adopts the LAA", AdoptAgreement{Agreement: a.id()}, "")
	s.add(submit, a.la(), "LAA submitted to CLG", SubmitAgreement{Agreement: a.id()}, "")
	s.add(approve, demoMinister, "Ministerial approval", ApproveAgreement{Agreement: a.id()}, "")
}

func (s *demoSteps) review(a demoArea, year string, self, held, report time.Time) {
	if !self.IsZero() {
		s.add(self, a.lsp(), "self-assessment performance report to the GO", SubmitSelfAssessment{Agreement: a.id(), Year: year}, "")
	}
	s.add(held, a.gov(), "annual review meeting", HoldAnnualReview{Agreement: a.id(), Year: year}, "")
	s.add(report, a.gov(), "annual review report to CLG", SendAnnualReviewReport{Agreement: a.id(), Year: year}, "")
}

func (s *demoSteps) revise(a demoArea, at time.Time, ni int, g Ground, base *Baseline, v Values, evidence ...string) {
	s.add(at, a.lsp(), "refresh revision", ProposeRevision{Agreement: a.id(), Target: a.key(ni), Ground: g, Baseline: base, Values: v,
		Rationale: "illustrative: " + string(g)}, "", evidence...)
	s.add(at.AddDate(0, 0, 7), a.gov(), "GO agrees the revision", AgreeRevision{Agreement: a.id(), Target: a.key(ni), Round: 1}, "")
}

func (s *demoSteps) closeRefresh(a demoArea, adopt, conclude, approve time.Time) {
	s.add(adopt, a.la(), "council adopts the refreshed LAA", AdoptRefresh{Agreement: a.id()}, "")
	s.add(conclude, a.la(), "refresh concluded; final LAA to CLG", ConcludeRefresh{Agreement: a.id()}, "")
	s.add(approve, demoMinister, "Ministerial approval of the refresh", ApproveRefresh{Agreement: a.id()}, "")
}

func (s *demoSteps) outturn(a demoArea, at time.Time, ni int, year string, v float64, src string) {
	s.add(at, a.lsp(), "outturn", RecordOutturn{Agreement: a.id(), Target: a.key(ni), Year: year, Value: v, Source: src}, "")
}

// DemoLAAHistory returns a demo history of four 2008-11 agreements
// (Hartlepool, North East; Westminster, London; Oldham, North West;
// Swindon, South West — four of the feasibility-testing areas named in seed
// 003), starting with the import of the embedded indicator catalogue. It
// covers negotiation rounds in spring 2008, approval in June 2008, the
// 2008/09 and 2009/10 annual reviews, refreshes on each ground but
// caa_reopening, outturns with a revision, one correction and one refused
// refresh attempt on a locked target. Steps are in business-time order with
// deterministic command ids ("demo-laa-0001", ...), so loading it twice
// appends nothing the second time. See [DemoIllustrative].
func DemoLAAHistory() []DemoStep {
	var s demoSteps
	hp := demoArea{"00EB", "North East", "hartlepool"}
	wm := demoArea{"00BK", "London", "westminster"}
	ol := demoArea{"00BP", "North West", "oldham"}
	sw := demoArea{"00HX", "South West", "swindon"}
	all := []demoArea{hp, wm, ol, sw}

	for i, a := range all {
		s.add(demoDay(2008, 1, 14+i), a.gov(), "negotiation of the 2008-11 LAA begins", OpenAgreement{Agreement: a.id()}, "")
	}
	b := func(v float64, y string) *Baseline {
		return &Baseline{Value: v, Year: y, Source: "illustrative baseline"}
	}
	three := func(a, b, c float64) Values { return Values{"2008/09": a, "2009/10": b, "2010/11": c} }

	// Hartlepool: NI 112 agreed without a year-three value (set in the
	// 2009/10 refresh); NI 4 is a Place Survey indicator, agreed on a
	// provisional year-three value pending the survey's baseline.
	s.negotiate(hp, demoDay(2008, 2, 4), 112, KindDesignated, b(66.9, "1998"), Values{"2008/09": 60, "2009/10": 55},
		Values{"2008/09": 58, "2009/10": 52}, Values{"2008/09": 59, "2009/10": 53}, 3)
	s.negotiate(hp, demoDay(2008, 2, 11), 152, KindDesignated, b(19.5, "2007"), three(19.2, 18.8, 18.3),
		three(19.0, 18.4, 17.8), three(19.1, 18.6, 18.0), 3)
	s.negotiate(hp, demoDay(2008, 2, 18), 4, KindDesignated, nil, Values{"2010/11": 30}, nil, nil, 1)
	s.negotiate(hp, demoDay(2008, 3, 3), 154, KindDesignated, b(250, "2007/08"), three(300, 320, 340), nil, nil, 1)
	s.add(demoDay(2008, 3, 10), hp.lsp(), "local target outside the NIS", ProposeTarget{Agreement: hp.id(), LocalCode: "HP-L1",
		Title: "illustrative local target: town centre footfall", Kind: KindLocal, Values: three(100, 103, 106)}, "")
	s.add(demoDay(2008, 3, 17), hp.gov(), "GO notes the local target", AcceptProposal{Agreement: hp.id(), Target: TargetKey(0, "HP-L1"), Round: 1}, "")
	s.add(demoDay(2008, 3, 24), hp.lsp(), "proposal from the LSP board", ProposeTarget{Agreement: hp.id(), NI: 186, Kind: KindDesignated, Values: three(2, 4, 6)}, "")
	s.add(demoDay(2008, 4, 14), hp.gov(), "dropped in favour of NI 185 work locally", WithdrawTarget{Agreement: hp.id(), Target: hp.key(186),
		Reason: "illustrative: partners agreed to monitor it locally instead"}, "")
	s.sign(hp, demoDay(2008, 6, 5), demoDay(2008, 6, 9), demoDay(2008, 6, 30))

	// Westminster.
	s.negotiate(wm, demoDay(2008, 2, 6), 1, KindDesignated, nil, Values{"2010/11": 80}, nil, nil, 1)
	s.negotiate(wm, demoDay(2008, 2, 13), 16, KindDesignated, b(30.1, "2007/08"), three(29.0, 27.5, 26.0),
		three(28.5, 27.0, 25.0), three(28.8, 27.2, 25.5), 3)
	s.negotiate(wm, demoDay(2008, 2, 27), 186, KindDesignated, b(0, "2005"), three(3.5, 7.0, 11.0), nil, nil, 1)
	s.negotiate(wm, demoDay(2008, 3, 12), 192, KindDesignated, b(26, "2007/08"), three(28, 30, 32), three(29, 31, 34), three(29, 31, 33), 3)
	s.sign(wm, demoDay(2008, 6, 2), demoDay(2008, 6, 4), demoDay(2008, 6, 23))

	// Oldham: NI 117 on 2008/09 figures later deferred for late data.
	s.negotiate(ol, demoDay(2008, 2, 5), 21, KindDesignated, nil, Values{"2010/11": 28}, nil, nil, 1)
	s.negotiate(ol, demoDay(2008, 2, 12), 117, KindDesignated, b(9.8, "2007"), three(9.5, 8.9, 8.2), three(9.2, 8.5, 7.8), three(9.3, 8.7, 8.0), 3)
	s.negotiate(ol, demoDay(2008, 2, 26), 39, KindDesignated, b(1650, "2006/07"), three(1700, 1720, 1730), nil, nil, 1)
	s.negotiate(ol, demoDay(2008, 3, 11), 171, KindDesignated, b(41, "2006"), three(42, 44, 46), three(43, 46, 49), three(43, 45, 48), 3)
	s.sign(ol, demoDay(2008, 6, 3), demoDay(2008, 6, 6), demoDay(2008, 6, 26))

	// Swindon: NI 154 later revised when its source data changed.
	s.negotiate(sw, demoDay(2008, 2, 7), 6, KindDesignated, nil, Values{"2010/11": 25}, nil, nil, 1)
	s.negotiate(sw, demoDay(2008, 2, 14), 47, KindDesignated, b(98, "2004-06"), three(92, 88, 84), three(90, 85, 80), three(91, 86, 82), 3)
	s.negotiate(sw, demoDay(2008, 2, 28), 154, KindDesignated, b(1100, "2007/08"), three(1200, 1250, 1300), nil, nil, 1)
	s.negotiate(sw, demoDay(2008, 3, 13), 191, KindDesignated, b(720, "2007/08"), three(700, 680, 660), nil, nil, 1)
	s.sign(sw, demoDay(2008, 6, 4), demoDay(2008, 6, 10), demoDay(2008, 6, 30))

	// 2008/09 annual reviews.
	for i, a := range all {
		s.review(a, "2008/09", time.Time{}, demoDay(2009, 1, 19+i), demoDay(2009, 2, 16))
	}
	// 2008/09 refreshes in two areas.
	s.add(demoDay(2009, 2, 23), ol.gov(), "refresh opened", OpenRefresh{Agreement: ol.id(), Year: "2008/09"}, "")
	s.revise(ol, demoDay(2009, 3, 2), 117, GroundDeferredLateData, nil, Values{"2009/10": 8.8, "2010/11": 8.1},
		"illustrative: GO letter deferring NI 117 pending late 2008/09 data")
	s.closeRefresh(ol, demoDay(2009, 3, 20), demoDay(2009, 3, 27), demoDay(2009, 3, 31))
	s.add(demoDay(2009, 2, 24), sw.gov(), "refresh opened", OpenRefresh{Agreement: sw.id(), Year: "2008/09"}, "")
	s.revise(sw, demoDay(2009, 3, 3), 154, GroundSourceDataChanged, b(1050, "2007/08"), Values{"2009/10": 1150, "2010/11": 1200},
		"illustrative: notice of a change to the housing supply source data")
	s.closeRefresh(sw, demoDay(2009, 3, 19), demoDay(2009, 3, 26), demoDay(2009, 3, 31))

	// 2008/09 outturns; Hartlepool's NI 112 figure is revised when the
	// final figure is published; Oldham's NI 117 outturn names the wrong
	// source and is corrected.
	s.outturn(hp, demoDay(2009, 9, 14), 112, "2008/09", 58.4, "illustrative: provisional quarterly conception data")
	s.outturn(hp, demoDay(2009, 9, 15), 152, "2008/09", 20.1, "illustrative: DWP benefit claimant data")
	s.outturn(wm, demoDay(2009, 9, 16), 16, "2008/09", 28.1, "illustrative: police recorded crime")
	s.outturn(ol, demoDay(2009, 9, 17), 117, "2008/09", 9.0, "illustrative: Connexions 2009 annual return")
	s.outturn(sw, demoDay(2009, 9, 18), 191, "2008/09", 695, "illustrative: WasteDataFlow")
	oldhamOutturn := len(s.steps) - 2 // the Oldham NI 117 step; ids are assigned below
	s.add(demoDay(2009, 10, 5), ol.lsp(), "source was misnamed", RecordCorrection{Agreement: ol.id(),
		Reason: "illustrative: the outturn came from the November 2008 Connexions return, not the 2009 one"}, "")
	correction := len(s.steps) - 1
	s.outturn(hp, demoDay(2009, 11, 2), 112, "2008/09", 57.9, "illustrative: final annual conception data")

	// 2009/10 annual reviews and refreshes, on the seed 004 timetable.
	for i, a := range all {
		self := demoDay(2009, 11, 13)
		if a == sw {
			self = time.Time{} // the self-assessment is optional
		}
		s.review(a, "2009/10", self, demoDay(2009, 12, 7+i), demoDay(2010, 1, 25))
		s.add(demoDay(2010, 1, 26), a.gov(), "refresh opened", OpenRefresh{Agreement: a.id(), Year: "2009/10"}, "")
	}
	s.revise(hp, demoDay(2010, 2, 1), 4, GroundPlaceSurvey, b(27, "2008/09 Place Survey"), Values{"2010/11": 31})
	s.revise(hp, demoDay(2010, 2, 2), 112, GroundYearThreeTarget, nil, Values{"2010/11": 48})
	s.add(demoDay(2010, 2, 10), hp.lsp(), "try to soften a locked target", ProposeRevision{Agreement: hp.id(), Target: hp.key(152),
		Ground: GroundPlaceSurvey, Values: Values{"2009/10": 19.5, "2010/11": 19.0}, Rationale: "illustrative: recession"}, "laa.ground_place_survey")
	// CAA reopening hook: see demoCAAReopening.
	var caaSteps []DemoStep
	if demoCAAReopening != nil {
		caaSteps = demoCAAReopening(hp.id(), demoDay(2010, 2, 24))
	}
	s.closeRefresh(hp, demoDay(2010, 3, 12), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(wm, demoDay(2010, 2, 3), 1, GroundPlaceSurvey, b(76, "2008/09 Place Survey"), Values{"2010/11": 79})
	s.closeRefresh(wm, demoDay(2010, 3, 9), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(ol, demoDay(2010, 2, 4), 21, GroundPlaceSurvey, b(25, "2008/09 Place Survey"), Values{"2010/11": 29})
	s.closeRefresh(ol, demoDay(2010, 3, 11), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(sw, demoDay(2010, 2, 5), 6, GroundPlaceSurvey, b(24, "2008/09 Place Survey"), Values{"2010/11": 27})
	s.closeRefresh(sw, demoDay(2010, 3, 12), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.outturn(wm, demoDay(2010, 3, 22), 1, "2008/09", 76, "illustrative: 2008 Place Survey")

	// Ids follow each step's position in the original order, then the
	// steps are put in business-time order (stable, so same-day steps keep
	// their order).
	for i := range s.steps {
		s.steps[i].Meta.CommandID = fmt.Sprintf("demo-laa-%04d", i+1)
	}
	s.steps[correction].Command = RecordCorrection{Agreement: ol.id(),
		CorrectsEventID: DemoEventRef(s.steps[oldhamOutturn].Meta.CommandID, 0),
		Reason:          s.steps[correction].Command.(RecordCorrection).Reason,
		CorrectedType:   OutturnRecorded{}.EventType(),
		Corrected:       []byte(`{"target":"NI 117","year":"2008/09","value":9,"source":"illustrative: Connexions November 2008 return","revision":0,"at":"2009-09-17T12:00:00Z"}`)}
	steps := append([]DemoStep{{Meta: SeedMeta(), Command: SeedCatalogueCommand()}}, s.steps...)
	steps = append(steps, caaSteps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Meta.OccurredAt.Before(steps[j].Meta.OccurredAt) })
	return steps
}
