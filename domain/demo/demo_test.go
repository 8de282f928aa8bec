package demo_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
)

func decide(t *testing.T, steps []demo.Step) demo.Decided {
	t.Helper()
	d, err := demo.Decide(steps, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func check(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Errorf(format, args...)
	}
}

func equal(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func TestLAAHistoryDecidesCleanlyAndDeterministically(t *testing.T) {
	steps := demo.LAAHistory()
	d1, d2 := decide(t, demo.History()), decide(t, demo.History())
	check(t, reflect.DeepEqual(d1, d2), "two runs of the demo history gave different states")
	check(t, reflect.DeepEqual(steps, demo.LAAHistory()), "LAAHistory differs between calls")

	equal(t, len(d1.Agreements), 4, "agreements")
	ids := map[string]bool{}
	refused := 0
	for _, st := range steps {
		check(t, !ids[st.Meta.CommandID], "duplicate command id %s", st.Meta.CommandID)
		ids[st.Meta.CommandID] = true
		if st.ExpectError != "" {
			refused++
		}
	}
	equal(t, refused, 2, "refused steps")
	regions := map[string]bool{}
	for id, a := range d1.Agreements {
		regions[a.Region] = true
		equal(t, a.Status, laa.StatusApproved, id+" status")
		check(t, len(a.Refreshes) >= 1, "%s has no refresh", id)
		check(t, !a.Reviews["2008/09"].ReportSentAt.IsZero() && !a.Reviews["2009/10"].ReportSentAt.IsZero(), "%s reviews %+v", id, a.Reviews)
		for _, tg := range a.Targets {
			if tg.NI > 0 {
				_, ok := d1.Catalogue.Lookup(tg.NI, a.LastAt)
				check(t, ok, "%s: %s not in the embedded catalogue", id, tg.Key)
			}
		}
	}
	equal(t, len(regions), 4, "regions")
	hp := d1.Agreements["00EB/2008-11"]
	equal(t, day(hp.LockdownFrom), "2008-06-30", "Hartlepool lockdown")
	// The year-three target (48) was then reopened on the CAA red flag (46).
	equal(t, hp.Targets["NI 112"].Values["2010/11"], 46.0, "Hartlepool NI 112 after the CAA reopening")
	equal(t, hp.Targets["NI 112"].Values["2009/10"], 52.0, "Hartlepool NI 112 2009/10 after the CAA reopening")
	equal(t, len(hp.Targets["NI 112"].Outturns["2008/09"]), 2, "Hartlepool NI 112 outturns")
	r := hp.Refreshes[len(hp.Refreshes)-1]
	equal(t, []string{day(r.AdoptedAt), day(r.ConcludedAt), day(r.ApprovedAt)}, []string{"2010-03-12", "2010-03-15", "2010-03-31"}, "2009/10 refresh timetable")
	equal(t, day(hp.Reviews["2009/10"].SelfAssessmentAt), "2009-11-13", "self-assessment")
	equal(t, day(hp.Reviews["2009/10"].ReportSentAt), "2010-01-25", "GO report")
	equal(t, len(d1.Agreements["00BP/2008-11"].Corrections), 1, "Oldham corrections")
	// The correction names the event of an earlier outturn step.
	var corrected string
	for _, st := range steps {
		if c, ok := st.Command.(laa.RecordCorrection); ok {
			corrected = c.CorrectsEventID
		}
	}
	found := false
	for _, st := range steps {
		if _, ok := st.Command.(laa.RecordOutturn); ok && demo.EventRef(st.Meta.CommandID, 0) == corrected {
			found = true
		}
	}
	check(t, found, "correction names %q, which is no outturn step", corrected)
}

func TestCAAHistoryDecidesCleanlyTwice(t *testing.T) {
	steps := demo.CAAHistory()
	a, b := decide(t, steps), decide(t, demo.CAAHistory())
	check(t, reflect.DeepEqual(a, b), "two runs of the demo history gave different states")
	check(t, reflect.DeepEqual(steps, demo.CAAHistory()), "CAAHistory is not deterministic")
	ids := map[string]bool{}
	var refused int
	for i, st := range steps {
		if want := fmt.Sprintf("demo-caa-%04d", i+1); st.Meta.CommandID != want {
			t.Errorf("step %d: command id %s, want %s", i+1, st.Meta.CommandID, want)
		}
		ids[st.Meta.CommandID] = true
		if st.ExpectError != "" {
			refused++
		}
	}
	check(t, len(ids) == len(steps) && refused > 0, "ids %d for %d steps, %d refusals", len(ids), len(steps), refused)

	for _, area := range []string{"00EB", "00AG", "00EX"} {
		s := a.Areas[caa.AreaAssessmentRef(area, 2009)]
		check(t, s.Published && s.PublishedOn == "2009-12-10", "%s not published on 10 December 2009: %+v", area, s)
		o := a.Orgs[caa.OrgAssessmentRef(area, 2009)]
		check(t, o.Published && o.Scores.Overall != 0, "%s organisational assessment: %+v", area, o)
	}
	f, ok, _ := a.Flags.Flag(demo.CAAFlagRef)
	check(t, ok && f.Published && !f.Withdrawn && f.Colour == caa.FlagRed && slices.Contains(f.Indicators, 112) &&
		demo.CAAFlagRef == (domain.FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}), "demo flag for the LAA refresh: %+v %v", f, ok)
	c, _, _ := a.Flags.Flag(domain.FlagRef{Area: "00AG", Year: 2009, FlagID: "R1"})
	check(t, slices.Equal(c.Indicators, []int{56, 53}), "Camden R1 not amended: %+v", c)
	equal(t, a.Orgs[caa.OrgAssessmentRef("00AG", 2009)].Scores.UseOfResources, 3, "Camden use of resources after review")
}

// The CAA demo uses only indicators in the embedded catalogue.
func TestCAAHistoryUsesListedIndicators(t *testing.T) {
	cat := catalogue.Seed()
	for _, st := range demo.CAAHistory() {
		var nis []int
		switch c := st.Command.(type) {
		case caa.ProposeFlag:
			nis = c.Indicators
		case caa.ChangeFlag:
			nis = c.Indicators
		case caa.DecideReview:
			nis = c.Indicators
		}
		for _, n := range nis {
			_, ok := cat.Lookup(n, st.Meta.OccurredAt)
			check(t, ok, "%s uses NI %d, not in refdata/national_indicators.csv", st.Meta.CommandID, n)
		}
	}
}

// History holds both demos, each in its own order.
func TestHistoryKeepsEachDemosOrder(t *testing.T) {
	h, laa, caa := demo.History(), demo.LAAHistory(), demo.CAAHistory()
	equal(t, len(h), len(laa)+len(caa), "steps")
	var gotLAA, gotCAA []demo.Step
	for _, st := range h {
		if k := st.Command.Aggregate().Kind; k == domain.KindAreaAssessment || k == domain.KindOrgAssessment {
			gotCAA = append(gotCAA, st)
		} else {
			gotLAA = append(gotLAA, st)
		}
	}
	check(t, reflect.DeepEqual(gotLAA, laa), "the LAA demo's order is not kept")
	check(t, reflect.DeepEqual(gotCAA, caa), "the CAA demo's order is not kept")
}
