package domain

import (
	"reflect"
	"testing"
)

// demoRun decides and folds every step of a history from empty states,
// checking each outcome against the step's expectation. each, if given,
// sees every step's accepted events.
func demoRun(t *testing.T, steps []DemoStep, each ...func(st DemoStep, evs []Event)) (Catalogue, map[string]Agreement) {
	t.Helper()
	var cat Catalogue
	laas := map[string]Agreement{}
	flags := demoCAAFlags()
	for _, st := range steps {
		var (
			evs []Event
			err error
		)
		ref := st.Command.Aggregate()
		switch ref.Kind {
		case KindCatalogue:
			evs, err = DecideCatalogue(cat, st.Meta, st.Command)
			if err == nil {
				cat = foldCatalogue(cat, evs)
			}
		case KindAgreement:
			evs, err = DecideAgreement(laas[ref.ID], st.Meta, st.Command, AgreementContext{Catalogue: cat, Flags: flags})
			if err == nil {
				a := laas[ref.ID]
				for _, e := range evs {
					a = a.Apply(e)
				}
				laas[ref.ID] = a
			}
		default:
			t.Fatalf("%s: unexpected aggregate %s", st.Meta.CommandID, ref)
		}
		if got := ErrorRule(err); got != st.ExpectError || (err != nil && st.ExpectError == "") {
			t.Fatalf("%s %s on %s: got %v (rule %q), want rule %q", st.Meta.CommandID, st.Command.CommandType(), ref.ID, err, got, st.ExpectError)
		}
		if err == nil && len(evs) == 0 && ref.Kind == KindAgreement {
			t.Fatalf("%s: accepted with no events", st.Meta.CommandID)
		}
		for _, f := range each {
			f(st, evs)
		}
	}
	return cat, laas
}

func TestDemoLAAHistoryDecidesCleanlyAndDeterministically(t *testing.T) {
	steps := DemoLAAHistory()
	cat1, laa1 := demoRun(t, steps)
	cat2, laa2 := demoRun(t, DemoLAAHistory())
	laaCheck(t, reflect.DeepEqual(cat1, cat2), "catalogue differs between runs")
	laaCheck(t, reflect.DeepEqual(laa1, laa2), "agreements differ between runs")
	laaCheck(t, reflect.DeepEqual(steps, DemoLAAHistory()), "history differs between calls")

	laaEqual(t, len(laa1), 4, "agreements")
	regions := map[string]bool{}
	ids := map[string]bool{}
	refused := 0
	for _, st := range steps {
		laaCheck(t, !ids[st.Meta.CommandID], "duplicate command id %s", st.Meta.CommandID)
		ids[st.Meta.CommandID] = true
		if st.ExpectError != "" {
			refused++
		}
	}
	laaEqual(t, refused, 2, "refused steps")
	for id, a := range laa1 {
		regions[a.Region] = true
		laaEqual(t, a.Status, StatusApproved, id+" status")
		laaCheck(t, len(a.Refreshes) >= 1, "%s has no refresh", id)
		laaCheck(t, !a.Reviews["2008/09"].ReportSentAt.IsZero() && !a.Reviews["2009/10"].ReportSentAt.IsZero(), "%s reviews %+v", id, a.Reviews)
		for _, tg := range a.Targets {
			if tg.NI > 0 {
				_, ok := cat1.Lookup(tg.NI, a.LastAt)
				laaCheck(t, ok, "%s: %s not in the embedded catalogue", id, tg.Key)
			}
		}
	}
	laaEqual(t, len(regions), 4, "regions")
	hp := laa1["00EB/2008-11"]
	laaEqual(t, day(hp.LockdownFrom), "2008-06-30", "Hartlepool lockdown")
	// The year-three target (48) was then reopened on the CAA red flag (46).
	laaEqual(t, hp.Targets["NI 112"].Values["2010/11"], 46.0, "Hartlepool NI 112 after the CAA reopening")
	laaEqual(t, hp.Targets["NI 112"].Values["2009/10"], 52.0, "Hartlepool NI 112 2009/10 after the CAA reopening")
	laaEqual(t, len(hp.Targets["NI 112"].Outturns["2008/09"]), 2, "Hartlepool NI 112 outturns")
	r := hp.Refreshes[len(hp.Refreshes)-1]
	laaEqual(t, []string{day(r.AdoptedAt), day(r.ConcludedAt), day(r.ApprovedAt)}, []string{"2010-03-12", "2010-03-15", "2010-03-31"}, "2009/10 refresh timetable")
	laaEqual(t, day(hp.Reviews["2009/10"].SelfAssessmentAt), "2009-11-13", "self-assessment")
	laaEqual(t, day(hp.Reviews["2009/10"].ReportSentAt), "2010-01-25", "GO report")
	laaEqual(t, len(laa1["00BP/2008-11"].Corrections), 1, "Oldham corrections")
	// The correction names the event of an earlier outturn step.
	var corrected string
	for _, st := range steps {
		if c, ok := st.Command.(RecordCorrection); ok {
			corrected = c.CorrectsEventID
		}
	}
	found := false
	for _, st := range steps {
		if _, ok := st.Command.(RecordOutturn); ok && DemoEventRef(st.Meta.CommandID, 0) == corrected {
			found = true
		}
	}
	laaCheck(t, found, "correction names %q, which is no outturn step", corrected)
}

// demoCAAFlags is the flag view after the whole CAA demo: the LAA demo's
// reopening names a flag published in it.
func demoCAAFlags() *CAAFlags {
	view, _ := demoCAAAssessments()
	return view
}

// demoCAAAssessments decides the CAA demo's area assessment steps in order
// and returns both the event-fed flag view and the folded states.
func demoCAAAssessments() (*CAAFlags, map[AggregateRef]AreaAssessment) {
	var view CAAFlags
	states := map[AggregateRef]AreaAssessment{}
	for _, st := range DemoCAAHistory() {
		ref := st.Command.Aggregate()
		if ref.Kind != KindAreaAssessment {
			continue
		}
		events, err := DecideAreaAssessment(states[ref], st.Meta, st.Command, nil)
		if err != nil {
			continue
		}
		for _, e := range events {
			view.Apply(ref, e)
			states[ref] = states[ref].Apply(e)
		}
	}
	return &view, states
}
