package laa

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// bigAgreement is an opened agreement with n agreed targets, each with an
// outturn, folded with Apply.
func bigAgreement(n int) Agreement {
	at := time.Date(2008, 3, 1, 0, 0, 0, 0, time.UTC)
	a := Agreement{}.Apply(AgreementOpened{Area: "00EB", AreaName: "Hartlepool", Region: "North East", Period: "2008-11", At: at})
	for i := range n {
		key := fmt.Sprintf("L%02d", i)
		a = a.Apply(TargetProposed{Target: key, LocalCode: key, Title: "t", Kind: KindLocal, Values: Values{"2008/09": 1}, Round: 1, Side: SideLocal, At: at})
		a = a.Apply(TargetAgreed{Target: key, Values: Values{"2008/09": 2}, At: at})
		a = a.Apply(OutturnRecorded{Target: key, Year: "2008/09", Value: 1, Source: "s", At: at})
	}
	return a
}

// Apply is copy-on-write per target: the new state shares every target it
// did not change with the old one, copies the changed one, and leaves the
// old state as it was.
func TestApplyCopiesOnlyTheChangedTarget(t *testing.T) {
	old := bigAgreement(65)
	before := old.Clone()
	e := OutturnRecorded{Target: "L07", Year: "2008/09", Value: 9, Source: "s", Revision: 1, At: time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC)}
	next := old.Apply(e)

	if !reflect.DeepEqual(old, before) {
		t.Fatalf("Apply changed the state it was given")
	}
	if got := len(next.Targets["L07"].Outturns["2008/09"]); got != 2 {
		t.Fatalf("L07 has %d outturns for 2008/09 after the event, want 2", got)
	}
	for k, p := range old.Targets {
		switch {
		case k == "L07" && next.Targets[k] == p:
			t.Errorf("the changed target %s is shared with the old state", k)
		case k != "L07" && next.Targets[k] != p:
			t.Errorf("the unchanged target %s was copied", k)
		}
	}
	// What an event costs no longer grows with the targets: the map of
	// pointers, the changed target and its outturns (the old fold made one
	// allocation per target).
	allocs := testing.AllocsPerRun(100, func() { _ = old.Apply(e) })
	if allocs > 10 {
		t.Errorf("Apply of one outturn on 65 targets made %.0f allocations, want at most 10", allocs)
	}
}

func BenchmarkApplyOutturn65Targets(b *testing.B) {
	a := bigAgreement(65)
	e := OutturnRecorded{Target: "L07", Year: "2008/09", Value: 9, Source: "s", Revision: 1, At: time.Date(2009, 6, 1, 0, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Apply(e)
	}
}
