package projections_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// demoCommand finds the id of the first LAA demo step that matches.
func demoCommand(t *testing.T, match func(domain.Command) bool) string {
	t.Helper()
	for _, st := range demo.LAAHistory() {
		if match(st.Command) {
			return st.Meta.CommandID
		}
	}
	t.Fatal("no such demo step")
	return ""
}

func outturnValues(a laa.Agreement, key, year string) []float64 {
	var out []float64
	for _, o := range a.Targets[key].Outturns[year] {
		out = append(out, o.Value)
	}
	return out
}

func TestAsOfRecordedAndAsNowKnown(t *testing.T) {
	ctx, dl, q := readDemo(t)
	tl := q.Timelines()
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	state := func(kind, id string, when time.Time, b projections.Basis) any {
		t.Helper()
		v, err := q.State(ctx, eventstore.Aggregate{Kind: kind, ID: id}, projections.AsOf{Basis: b, At: when})
		if err != nil {
			t.Fatal(err)
		}
		return v.State
	}
	at := func(id string, when time.Time, b projections.Basis) laa.Agreement {
		t.Helper()
		return state(domain.KindAgreement, id, when, b).(laa.Agreement)
	}
	assessmentAt := func(id string, when time.Time, b projections.Basis) caa.AreaAssessment {
		t.Helper()
		return state(domain.KindAreaAssessment, id, when, b).(caa.AreaAssessment)
	}

	// Hartlepool's 2008/09 NI 112 outturn: 58.4 provisional (14 September
	// 2009), revised to 57.9 (2 November 2009).
	const hp = "00EB/2008-11"
	provisional := demoCommand(t, func(c domain.Command) bool {
		o, ok := c.(laa.RecordOutturn)
		return ok && o.Agreement == hp && o.Target == "NI 112" && o.Value == 58.4
	})
	for _, c := range []struct {
		desc  string
		when  time.Time
		basis projections.Basis
		want  []float64
	}{
		{"known now, 1 October 2009", date(2009, 10, 1), projections.Known, []float64{58.4}},
		{"known now, 3 November 2009", date(2009, 11, 3), projections.Known, []float64{58.4, 57.9}},
		{"known now, before any outturn", date(2009, 9, 1), projections.Known, nil},
		{"as the ledger held it after the provisional figure", dl.recorded[provisional], projections.Recorded, []float64{58.4}},
	} {
		if got := outturnValues(at(hp, c.when, c.basis), "NI 112", "2008/09"); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: NI 112 2008/09 outturns %v, want %v", c.desc, got, c.want)
		}
	}
	// On 1 October 2009 Hartlepool's agreement was approved, NI 112 locked
	// without a year-three value (set in the 2009/10 refresh).
	oct := at(hp, date(2009, 10, 1), projections.Known)
	if oct.Status != laa.StatusApproved || oct.Targets["NI 112"].Values["2010/11"] != 0 {
		t.Errorf("Hartlepool on 1 October 2009: status %s, NI 112 %v", oct.Status, oct.Targets["NI 112"].Values)
	}
	if now := at(hp, time.Now(), projections.Known); now.Targets["NI 112"].Values["2010/11"] == 0 {
		t.Errorf("Hartlepool now: NI 112 has no year-three value: %v", now.Targets["NI 112"].Values)
	}

	// Oldham's NI 117 outturn named the wrong source; the correction
	// (5 October 2009) references the stored event.
	const ol = "00BP/2008-11"
	corr := demoCommand(t, func(c domain.Command) bool { _, ok := c.(laa.RecordCorrection); return ok })
	if dl.seq[corr] == 0 {
		t.Fatal("the demo's correction was not stored")
	}
	var prev string
	for _, st := range demo.LAAHistory() {
		if st.Meta.CommandID == corr {
			break
		}
		if st.Command.Aggregate().ID == ol && st.ExpectError == "" {
			prev = st.Meta.CommandID
		}
	}
	if got := at(ol, dl.recorded[prev], projections.Recorded).Corrections; len(got) != 0 {
		t.Errorf("Oldham as recorded before the correction: %v", got)
	}
	got := at(ol, dl.recorded[corr], projections.Recorded).Corrections
	if len(got) != 1 || got[0].CorrectsEventID == "" || got[0].CorrectsEventID[:4] == "demo" {
		t.Fatalf("Oldham as recorded after the correction: %+v", got)
	}
	if got := at(ol, date(2009, 10, 4), projections.Known).Corrections; len(got) != 0 {
		t.Errorf("Oldham as known now on 4 October 2009: %v", got)
	}
	page, err := tl.Aggregate(eventStoreAgg(ol), projections.TimelineQuery{Types: []string{"laa.OutturnRecorded"}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range page.Entries {
		found = found || e.EventID == got[0].CorrectsEventID
	}
	if !found {
		t.Errorf("the correction names event %s, which is not one of Oldham's outturns", got[0].CorrectsEventID)
	}

	// The CAA demo was recorded before the LAA demo: the ledger held
	// Hartlepool's published assessment before it held any 2008 LAA
	// event, though publication happened on 10 December 2009.
	firstLAA := demo.LAAHistory()[0].Meta.CommandID
	rec := assessmentAt("00EB/2009", dl.recorded[firstLAA], projections.Recorded)
	known := assessmentAt("00EB/2009", date(2009, 12, 1), projections.Known)
	after := assessmentAt("00EB/2009", date(2009, 12, 11), projections.Known)
	if !rec.Published || known.Published || !after.Published {
		t.Errorf("Hartlepool assessment published: as recorded %v, known on 1 Dec 2009 %v, on 11 Dec %v; want true, false, true",
			rec.Published, known.Published, after.Published)
	}
	if _, err := q.State(ctx, eventStoreAgg(hp), projections.AsOf{Basis: "tomorrow", At: time.Now()}); !errors.Is(err, projections.ErrInvalid) {
		t.Errorf("an unknown basis: %v, want ErrInvalid", err)
	}
	if _, err := q.State(ctx, eventStoreAgg(hp), projections.AsOf{Basis: projections.Known, At: date(2001, 1, 1)}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("known at before the ledger: %v, want ENOTFOUND", err)
	}
}
