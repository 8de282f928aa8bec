package demo

import (
	"fmt"
	"sort"
	"time"

	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
)

func demoDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

type demoArea struct {
	code, region, slug string
}

func (a demoArea) id() string { return laa.AgreementID(a.code, laa.Period2008) }
func (a demoArea) lsp() domain.Actor {
	return domain.Actor{ID: a.slug + "-lsp-manager", Role: domain.RoleLSP, Organisation: a.code}
}
func (a demoArea) la() domain.Actor {
	return domain.Actor{ID: a.slug + "-council-policy-officer", Role: domain.RoleLA, Organisation: a.code}
}
func (a demoArea) gov() domain.Actor {
	return domain.Actor{ID: a.slug + "-go-locality-lead", Role: domain.RoleGO, Organisation: a.region}
}
func (a demoArea) key(ni int) string { return laa.TargetKey(ni, "") }

var demoMinister = domain.Actor{ID: "minister-local-government", Role: domain.RoleMinister, Organisation: "CLG"}

type demoSteps struct {
	steps []Step
}

func (s *demoSteps) add(at time.Time, by domain.Actor, reason string, cmd domain.Command, expect string, evidence ...string) {
	s.steps = append(s.steps, Step{Meta: domain.Meta{Actor: by, OccurredAt: at, Reason: reason, Evidence: evidence}, Command: cmd, ExpectError: expect})
}

// negotiate: the LSP proposes, the GO counters, the LA counters, the GO
// accepts — or, with rounds == 1, the GO accepts the first proposal.
func (s *demoSteps) negotiate(a demoArea, start time.Time, ni int, kind laa.TargetKind, base *laa.Baseline, first, counter, final laa.Values, rounds int) {
	id := a.id()
	s.add(start, a.lsp(), "proposal from the LSP board", laa.ProposeTarget{Agreement: id, NI: ni, Kind: kind, Baseline: base, Values: first,
		Rationale: "illustrative: local priority in the sustainable community strategy"}, "")
	if rounds == 1 {
		s.add(start.AddDate(0, 0, 14), a.gov(), "GO accepts", laa.AcceptProposal{Agreement: id, Target: a.key(ni), Round: 1}, "")
		return
	}
	s.add(start.AddDate(0, 0, 14), a.gov(), "GO asks for more stretch", laa.CounterProposeTarget{Agreement: id, Target: a.key(ni), Values: counter,
		Rationale: "illustrative: in line with the regional trajectory"}, "")
	s.add(start.AddDate(0, 0, 28), a.la(), "council offers a compromise", laa.CounterProposeTarget{Agreement: id, Target: a.key(ni), Values: final,
		Rationale: "illustrative: achievable within partners' resources"}, "")
	s.add(start.AddDate(0, 0, 35), a.gov(), "GO accepts", laa.AcceptProposal{Agreement: id, Target: a.key(ni), Round: 3}, "")
}

// lifecycle: adoption, submission and approval in June 2008.
func (s *demoSteps) sign(a demoArea, adopt, submit, approve time.Time) {
	s.add(adopt, a.la(), "cabinet adopts the LAA", laa.AdoptAgreement{Agreement: a.id()}, "")
	s.add(submit, a.la(), "LAA submitted to CLG", laa.SubmitAgreement{Agreement: a.id()}, "")
	s.add(approve, demoMinister, "Ministerial approval", laa.ApproveAgreement{Agreement: a.id()}, "")
}

func (s *demoSteps) review(a demoArea, year string, self, held, report time.Time) {
	if !self.IsZero() {
		s.add(self, a.lsp(), "self-assessment performance report to the GO", laa.SubmitSelfAssessment{Agreement: a.id(), Year: year}, "")
	}
	s.add(held, a.gov(), "annual review meeting", laa.HoldAnnualReview{Agreement: a.id(), Year: year}, "")
	s.add(report, a.gov(), "annual review report to CLG", laa.SendAnnualReviewReport{Agreement: a.id(), Year: year}, "")
}

func (s *demoSteps) revise(a demoArea, at time.Time, ni int, g laa.Ground, base *laa.Baseline, v laa.Values, evidence ...string) {
	s.add(at, a.lsp(), "refresh revision", laa.ProposeRevision{Agreement: a.id(), Target: a.key(ni), Ground: g, Baseline: base, Values: v,
		Rationale: "illustrative: " + string(g)}, "", evidence...)
	s.add(at.AddDate(0, 0, 7), a.gov(), "GO agrees the revision", laa.AgreeRevision{Agreement: a.id(), Target: a.key(ni), Round: 1}, "")
}

func (s *demoSteps) closeRefresh(a demoArea, adopt, conclude, approve time.Time) {
	s.add(adopt, a.la(), "council adopts the refreshed LAA", laa.AdoptRefresh{Agreement: a.id()}, "")
	s.add(conclude, a.la(), "refresh concluded; final LAA to CLG", laa.ConcludeRefresh{Agreement: a.id()}, "")
	s.add(approve, demoMinister, "Ministerial approval of the refresh", laa.ApproveRefresh{Agreement: a.id()}, "")
}

func (s *demoSteps) outturn(a demoArea, at time.Time, ni int, year string, v float64, src string) {
	s.add(at, a.lsp(), "outturn", laa.RecordOutturn{Agreement: a.id(), Target: a.key(ni), Year: year, Value: v, Source: src}, "")
}

// LAAHistory returns a demo history of four 2008-11 agreements
// (Hartlepool, North East; Westminster, London; Oldham, North West;
// Swindon, South West — four of the feasibility-testing areas named in seed
// 003), starting with the import of the embedded indicator catalogue. It
// covers negotiation rounds in spring 2008, approval in June 2008, the
// 2008/09 and 2009/10 annual reviews, refreshes on each ground but
// caa_reopening, outturns with a revision, one correction and one refused
// refresh attempt on a locked target. Steps are in business-time order with
// deterministic command ids ("demo-laa-0001", ...), so loading it twice
// appends nothing the second time. See [Illustrative].
func LAAHistory() []Step {
	var s demoSteps
	hp := demoArea{"00EB", "North East", "hartlepool"}
	wm := demoArea{"00BK", "London", "westminster"}
	ol := demoArea{"00BP", "North West", "oldham"}
	sw := demoArea{"00HX", "South West", "swindon"}
	all := []demoArea{hp, wm, ol, sw}

	for i, a := range all {
		s.add(demoDay(2008, 1, 14+i), a.gov(), "negotiation of the 2008-11 LAA begins", laa.OpenAgreement{Agreement: a.id()}, "")
	}
	b := func(v float64, y string) *laa.Baseline {
		return &laa.Baseline{Value: v, Year: y, Source: "illustrative baseline"}
	}
	three := func(a, b, c float64) laa.Values { return laa.Values{"2008/09": a, "2009/10": b, "2010/11": c} }

	// Hartlepool: NI 112 agreed without a year-three value (set in the
	// 2009/10 refresh); NI 4 is a Place Survey indicator, agreed on a
	// provisional year-three value pending the survey's baseline.
	s.negotiate(hp, demoDay(2008, 2, 4), 112, laa.KindDesignated, b(66.9, "1998"), laa.Values{"2008/09": 60, "2009/10": 55},
		laa.Values{"2008/09": 58, "2009/10": 52}, laa.Values{"2008/09": 59, "2009/10": 53}, 3)
	s.negotiate(hp, demoDay(2008, 2, 11), 152, laa.KindDesignated, b(19.5, "2007"), three(19.2, 18.8, 18.3),
		three(19.0, 18.4, 17.8), three(19.1, 18.6, 18.0), 3)
	s.negotiate(hp, demoDay(2008, 2, 18), 4, laa.KindDesignated, nil, laa.Values{"2010/11": 30}, nil, nil, 1)
	s.negotiate(hp, demoDay(2008, 3, 3), 154, laa.KindDesignated, b(250, "2007/08"), three(300, 320, 340), nil, nil, 1)
	s.add(demoDay(2008, 3, 10), hp.lsp(), "local target outside the NIS", laa.ProposeTarget{Agreement: hp.id(), LocalCode: "HP-L1",
		Title: "illustrative local target: town centre footfall", Kind: laa.KindLocal, Values: three(100, 103, 106)}, "")
	s.add(demoDay(2008, 3, 17), hp.gov(), "GO notes the local target", laa.AcceptProposal{Agreement: hp.id(), Target: laa.TargetKey(0, "HP-L1"), Round: 1}, "")
	s.add(demoDay(2008, 3, 24), hp.lsp(), "proposal from the LSP board", laa.ProposeTarget{Agreement: hp.id(), NI: 186, Kind: laa.KindDesignated, Values: three(2, 4, 6)}, "")
	s.add(demoDay(2008, 4, 14), hp.gov(), "dropped in favour of NI 185 work locally", laa.WithdrawTarget{Agreement: hp.id(), Target: hp.key(186),
		Reason: "illustrative: partners agreed to monitor it locally instead"}, "")
	s.sign(hp, demoDay(2008, 6, 5), demoDay(2008, 6, 9), demoDay(2008, 6, 30))

	// Westminster.
	s.negotiate(wm, demoDay(2008, 2, 6), 1, laa.KindDesignated, nil, laa.Values{"2010/11": 80}, nil, nil, 1)
	s.negotiate(wm, demoDay(2008, 2, 13), 16, laa.KindDesignated, b(30.1, "2007/08"), three(29.0, 27.5, 26.0),
		three(28.5, 27.0, 25.0), three(28.8, 27.2, 25.5), 3)
	s.negotiate(wm, demoDay(2008, 2, 27), 186, laa.KindDesignated, b(0, "2005"), three(3.5, 7.0, 11.0), nil, nil, 1)
	s.negotiate(wm, demoDay(2008, 3, 12), 192, laa.KindDesignated, b(26, "2007/08"), three(28, 30, 32), three(29, 31, 34), three(29, 31, 33), 3)
	s.sign(wm, demoDay(2008, 6, 2), demoDay(2008, 6, 4), demoDay(2008, 6, 23))

	// Oldham: NI 117 on 2008/09 figures later deferred for late data.
	s.negotiate(ol, demoDay(2008, 2, 5), 21, laa.KindDesignated, nil, laa.Values{"2010/11": 28}, nil, nil, 1)
	s.negotiate(ol, demoDay(2008, 2, 12), 117, laa.KindDesignated, b(9.8, "2007"), three(9.5, 8.9, 8.2), three(9.2, 8.5, 7.8), three(9.3, 8.7, 8.0), 3)
	s.negotiate(ol, demoDay(2008, 2, 26), 39, laa.KindDesignated, b(1650, "2006/07"), three(1700, 1720, 1730), nil, nil, 1)
	s.negotiate(ol, demoDay(2008, 3, 11), 171, laa.KindDesignated, b(41, "2006"), three(42, 44, 46), three(43, 46, 49), three(43, 45, 48), 3)
	s.sign(ol, demoDay(2008, 6, 3), demoDay(2008, 6, 6), demoDay(2008, 6, 26))

	// Swindon: NI 154 later revised when its source data changed.
	s.negotiate(sw, demoDay(2008, 2, 7), 6, laa.KindDesignated, nil, laa.Values{"2010/11": 25}, nil, nil, 1)
	s.negotiate(sw, demoDay(2008, 2, 14), 47, laa.KindDesignated, b(98, "2004-06"), three(92, 88, 84), three(90, 85, 80), three(91, 86, 82), 3)
	s.negotiate(sw, demoDay(2008, 2, 28), 154, laa.KindDesignated, b(1100, "2007/08"), three(1200, 1250, 1300), nil, nil, 1)
	s.negotiate(sw, demoDay(2008, 3, 13), 191, laa.KindDesignated, b(720, "2007/08"), three(700, 680, 660), nil, nil, 1)
	s.sign(sw, demoDay(2008, 6, 4), demoDay(2008, 6, 10), demoDay(2008, 6, 30))

	// 2008/09 annual reviews.
	for i, a := range all {
		s.review(a, "2008/09", time.Time{}, demoDay(2009, 1, 19+i), demoDay(2009, 2, 16))
	}
	// 2008/09 refreshes in two areas.
	s.add(demoDay(2009, 2, 23), ol.gov(), "refresh opened", laa.OpenRefresh{Agreement: ol.id(), Year: "2008/09"}, "")
	s.revise(ol, demoDay(2009, 3, 2), 117, laa.GroundDeferredLateData, nil, laa.Values{"2009/10": 8.8, "2010/11": 8.1},
		"illustrative: GO letter deferring NI 117 pending late 2008/09 data")
	s.closeRefresh(ol, demoDay(2009, 3, 20), demoDay(2009, 3, 27), demoDay(2009, 3, 31))
	s.add(demoDay(2009, 2, 24), sw.gov(), "refresh opened", laa.OpenRefresh{Agreement: sw.id(), Year: "2008/09"}, "")
	s.revise(sw, demoDay(2009, 3, 3), 154, laa.GroundSourceDataChanged, b(1050, "2007/08"), laa.Values{"2009/10": 1150, "2010/11": 1200},
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
	s.add(demoDay(2009, 10, 5), ol.lsp(), "source was misnamed", laa.RecordCorrection{Agreement: ol.id(),
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
		s.add(demoDay(2010, 1, 26), a.gov(), "refresh opened", laa.OpenRefresh{Agreement: a.id(), Year: "2009/10"}, "")
	}
	s.revise(hp, demoDay(2010, 2, 1), 4, laa.GroundPlaceSurvey, b(27, "2008/09 Place Survey"), laa.Values{"2010/11": 31})
	s.revise(hp, demoDay(2010, 2, 2), 112, laa.GroundYearThreeTarget, nil, laa.Values{"2010/11": 48})
	s.add(demoDay(2010, 2, 10), hp.lsp(), "try to soften a locked target", laa.ProposeRevision{Agreement: hp.id(), Target: hp.key(152),
		Ground: laa.GroundPlaceSurvey, Values: laa.Values{"2009/10": 19.5, "2010/11": 19.0}, Rationale: "illustrative: recession"}, "laa.ground_place_survey")
	// Reopening a locked target on the CAA demo's published red flag.
	caaSteps := caaReopening(hp.id(), demoDay(2010, 2, 24))
	s.closeRefresh(hp, demoDay(2010, 3, 12), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(wm, demoDay(2010, 2, 3), 1, laa.GroundPlaceSurvey, b(76, "2008/09 Place Survey"), laa.Values{"2010/11": 79})
	s.closeRefresh(wm, demoDay(2010, 3, 9), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(ol, demoDay(2010, 2, 4), 21, laa.GroundPlaceSurvey, b(25, "2008/09 Place Survey"), laa.Values{"2010/11": 29})
	s.closeRefresh(ol, demoDay(2010, 3, 11), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.revise(sw, demoDay(2010, 2, 5), 6, laa.GroundPlaceSurvey, b(24, "2008/09 Place Survey"), laa.Values{"2010/11": 27})
	s.closeRefresh(sw, demoDay(2010, 3, 12), demoDay(2010, 3, 15), demoDay(2010, 3, 31))
	s.outturn(wm, demoDay(2010, 3, 22), 1, "2008/09", 76, "illustrative: 2008 Place Survey")

	// Ids follow each step's position in the original order, then the
	// steps are put in business-time order (stable, so same-day steps keep
	// their order).
	for i := range s.steps {
		s.steps[i].Meta.CommandID = fmt.Sprintf("demo-laa-%04d", i+1)
	}
	s.steps[correction].Command = laa.RecordCorrection{Agreement: ol.id(),
		CorrectsEventID: EventRef(s.steps[oldhamOutturn].Meta.CommandID, 0),
		Reason:          s.steps[correction].Command.(laa.RecordCorrection).Reason,
		CorrectedType:   laa.OutturnRecorded{}.EventType(),
		Corrected:       []byte(`{"target":"NI 117","year":"2008/09","value":9,"source":"illustrative: Connexions November 2008 return","revision":0,"at":"2009-09-17T12:00:00Z"}`)}
	steps := append([]Step{{Meta: catalogue.SeedMeta(), Command: catalogue.SeedCommand()}}, s.steps...)
	steps = append(steps, caaSteps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Meta.OccurredAt.Before(steps[j].Meta.OccurredAt) })
	return steps
}
