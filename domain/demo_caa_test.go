package domain

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

type caaDemoRun struct {
	areas  map[AggregateRef]AreaAssessment
	orgs   map[AggregateRef]OrgAssessment
	flags  CAAFlags
	events int
}

func runCAADemo(t *testing.T, steps []CAADemoStep) caaDemoRun {
	t.Helper()
	r := caaDemoRun{areas: map[AggregateRef]AreaAssessment{}, orgs: map[AggregateRef]OrgAssessment{}}
	for i, st := range steps {
		ref := st.Command.Aggregate()
		var evs []Event
		var err error
		switch ref.Kind {
		case KindAreaAssessment:
			evs, err = DecideAreaAssessment(r.areas[ref], st.Meta, st.Command, nil)
		case KindOrgAssessment:
			evs, err = DecideOrgAssessment(r.orgs[ref], st.Meta, st.Command, nil)
		default:
			t.Fatalf("step %d: kind %s", i+1, ref.Kind)
		}
		if got := ErrorRule(err); got != st.ExpectError {
			t.Fatalf("step %d (%s, %s): got rule %q (%v), want %q", i+1, st.Meta.CommandID, st.Command.CommandType(), got, err, st.ExpectError)
		}
		for _, e := range evs {
			// Every event survives the stored form.
			typ, v, data, err := EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeEvent(typ, v, data)
			if err != nil || !reflect.DeepEqual(back, e) {
				t.Fatalf("step %d: %s round trip: %v %#v", i+1, typ, err, back)
			}
			r.events++
			switch ref.Kind {
			case KindAreaAssessment:
				r.areas[ref] = r.areas[ref].Apply(e)
				r.flags.Apply(ref, e)
			case KindOrgAssessment:
				r.orgs[ref] = r.orgs[ref].Apply(e)
			}
		}
	}
	return r
}

func TestDemoCAAHistoryDecidesCleanlyTwice(t *testing.T) {
	steps := DemoCAAHistory()
	a := runCAADemo(t, steps)
	b := runCAADemo(t, DemoCAAHistory())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs of the demo history gave different states")
	}
	if !reflect.DeepEqual(steps, DemoCAAHistory()) {
		t.Fatal("DemoCAAHistory is not deterministic")
	}
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
	if len(ids) != len(steps) || refused == 0 {
		t.Errorf("ids %d for %d steps, %d refusals", len(ids), len(steps), refused)
	}

	for _, area := range []string{"00EB", "00AG", "00EX"} {
		s := a.areas[AreaAssessmentRef(area, 2009)]
		if !s.Published || s.PublishedOn != "2009-12-10" {
			t.Errorf("%s not published on 10 December 2009: %+v", area, s)
		}
		o := a.orgs[OrgAssessmentRef(area, 2009)]
		if !o.Published || o.Scores.Overall == 0 {
			t.Errorf("%s organisational assessment: %+v", area, o)
		}
	}
	f, ok, _ := a.flags.Flag(DemoCAAFlagRef)
	if !ok || !f.Published || f.Withdrawn || f.Colour != FlagRed || !slices.Contains(f.Indicators, 112) ||
		DemoCAAFlagRef != (FlagRef{Area: "00EB", Year: 2009, FlagID: "R1"}) {
		t.Errorf("demo flag for the LAA refresh: %+v %v", f, ok)
	}
	if c, _, _ := a.flags.Flag(FlagRef{"00AG", 2009, "R1"}); !slices.Equal(c.Indicators, []int{56, 53}) {
		t.Errorf("Camden R1 not amended: %+v", c)
	}
	if got := a.orgs[OrgAssessmentRef("00AG", 2009)].Scores.UseOfResources; got != 3 {
		t.Errorf("Camden use of resources after review: %d", got)
	}
}

// The demo uses only indicators in the embedded catalogue file.
func TestDemoCAAHistoryUsesListedIndicators(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(indicatorsCSV)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[int]bool{}
	for _, row := range rows[1:] {
		n, err := strconv.Atoi(row[1])
		if err != nil {
			t.Fatalf("indicator %q: %v", row[0], err)
		}
		listed[n] = true
	}
	if len(listed) != 87 {
		t.Fatalf("read %d indicators, refdata/SOURCES.md says 87", len(listed))
	}
	for _, st := range DemoCAAHistory() {
		var nis []int
		switch c := st.Command.(type) {
		case CAAProposeFlag:
			nis = c.Indicators
		case CAAChangeFlag:
			nis = c.Indicators
		case CAADecideReview:
			nis = c.Indicators
		}
		for _, n := range nis {
			if !listed[n] {
				t.Errorf("%s uses NI %d, not in refdata/national_indicators.csv", st.Meta.CommandID, n)
			}
		}
	}
}
