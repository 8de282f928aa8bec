package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
)

// The domain's checks that need a long, realistic history run over the demo
// histories, which live outside the pure domain (package demo).

func decideDemo(t *testing.T, steps []demo.Step, each func(demo.Step, []domain.Event)) demo.Decided {
	t.Helper()
	d, err := demo.Decide(steps, each)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestApplyInPlaceFoldsTheDemoHistoryLikeApply(t *testing.T) {
	events := map[string][]domain.Event{}
	d := decideDemo(t, demo.History(), func(st demo.Step, evs []domain.Event) {
		if ref := st.Command.Aggregate(); ref.Kind == domain.KindAgreement {
			events[ref.ID] = append(events[ref.ID], evs...)
		}
	})
	if len(events) != 4 {
		t.Fatalf("agreements in the demo: %d, want 4", len(events))
	}
	for id, evs := range events {
		got := domain.CheckInPlaceFoldsLikeApply(t, id, evs)
		if !reflect.DeepEqual(got, d.Agreements[id]) {
			t.Errorf("%s: in-place fold differs from the decisions' state", id)
		}
	}
}

// The folded state answers flag questions exactly as the event-fed view.
func TestAssessmentFlagInfoAgreesWithCAAFlags(t *testing.T) {
	d := decideDemo(t, demo.CAAHistory(), nil)
	checked := 0
	for _, s := range d.Areas {
		for id := range s.Flags {
			ref := domain.FlagRef{Area: s.Area, Year: s.Year, FlagID: id}
			want, wok, _ := d.Flags.Flag(ref)
			got, gok := s.FlagInfo(id)
			if wok != gok || !reflect.DeepEqual(want, got) {
				t.Errorf("flag %v: state says %+v %v, view says %+v %v", ref, got, gok, want, wok)
			}
			checked++
		}
	}
	if checked < 3 {
		t.Fatalf("only %d flags checked", checked)
	}
}

// Every event of the demo history, decided in order, decodes through
// DecodeEvent exactly as encoding/json decodes it.
func TestDecodeEventMatchesEncodingJSONOverTheDemoHistory(t *testing.T) {
	fast := map[string]int{}
	total := 0
	decideDemo(t, demo.History(), func(_ demo.Step, evs []domain.Event) {
		for _, e := range evs {
			typ, version, data, err := domain.EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			total++
			if domain.CheckFastDecode(t, typ, data) {
				fast[typ]++
			}
			got, err := domain.DecodeEvent(typ, version, data)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			if !reflect.DeepEqual(got, roundTrip(t, e)) {
				t.Fatalf("%s: decoded %#v, want %#v", typ, got, e)
			}
		}
	})
	for _, typ := range []string{"laa.OutturnRecorded", "laa.TargetProposed", "laa.TargetCounterProposed", "laa.TargetAgreed"} {
		if fast[typ] == 0 {
			t.Errorf("no %s of the demo history took the fast path", typ)
		}
	}
	t.Logf("%d events, fast path: %v", total, fast)
}

// roundTrip is e as encoding/json gives it back after encoding it.
func roundTrip(t *testing.T, e domain.Event) domain.Event {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.New(reflect.TypeOf(e))
	if err := json.Unmarshal(data, v.Interface()); err != nil {
		t.Fatal(err)
	}
	return v.Elem().Interface().(domain.Event)
}

// FuzzDecodeCAACommand feeds arbitrary JSON to every CAA and OA command type.
// Decoding must never panic and must refuse with an *domain.Error; a command that
// decodes must survive a decision against an open assessment at every
// stage, again refusing only with an *domain.Error.
func FuzzDecodeCAACommand(f *testing.F) {
	types := domain.CAACommandTypes()
	for _, st := range demo.CAAHistory() {
		data, err := json.Marshal(st.Command)
		if err != nil {
			f.Fatal(err)
		}
		for i, typ := range types {
			if typ == st.Command.CommandType() {
				f.Add(uint8(i), data)
			}
		}
	}
	f.Add(uint8(0), []byte(`{"area":"00EB","year":2009,"extra":1}`))
	f.Add(uint8(1), []byte(`{"area":"00EB","year":"2009"}`))
	f.Add(uint8(2), []byte(`{} {}`))
	f.Add(uint8(3), []byte(`null`))
	f.Add(uint8(4), []byte(`{"indicators":[1e400]}`))

	// States a decoded command is tried against.
	areaStates := caaDemoStates()
	m := domain.Meta{CommandID: "fuzz", Actor: domain.CAATestAC, OccurredAt: time.Date(2009, 11, 1, 0, 0, 0, 0, time.UTC)}
	local := m
	local.Actor = domain.CAATestLA

	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		typ := types[int(sel)%len(types)]
		cmd, err := domain.DecodeCommand(typ, data)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Rule == "" || de.Code != domain.EINVALID && de.Code != domain.ENOTFOUND {
				t.Fatalf("decode %s %q: refusal is not an *domain.Error: %#v", typ, data, err)
			}
			return
		}
		if cmd.CommandType() != typ {
			t.Fatalf("decoded %s as %s", typ, cmd.CommandType())
		}
		for _, st := range areaStates {
			for _, mm := range []domain.Meta{m, local} {
				var err error
				if cmd.Aggregate().Kind == domain.KindAreaAssessment {
					_, err = domain.DecideAreaAssessment(st.area, mm, cmd, nil)
				} else {
					_, err = domain.DecideOrgAssessment(st.org, mm, cmd, nil)
				}
				if err != nil {
					var de *domain.Error
					if !errors.As(err, &de) || de.Rule == "" {
						t.Fatalf("decide %s: refusal is not an *domain.Error: %#v", typ, err)
					}
				}
			}
		}
	})
}

type caaDemoState struct {
	area domain.AreaAssessment
	org  domain.OrgAssessment
}

// caaDemoStates replays the demo history for Hartlepool and returns the
// assessments as they stood after each accepted command.
func caaDemoStates() []caaDemoState {
	var out []caaDemoState
	var cur caaDemoState
	out = append(out, cur)
	for _, st := range demo.CAAHistory() {
		ref := st.Command.Aggregate()
		switch ref {
		case domain.AreaAssessmentRef("00EB", 2009):
			evs, err := domain.DecideAreaAssessment(cur.area, st.Meta, st.Command, nil)
			if err != nil {
				continue
			}
			for _, e := range evs {
				cur.area = cur.area.Apply(e)
			}
		case domain.OrgAssessmentRef("00EB", 2009):
			evs, err := domain.DecideOrgAssessment(cur.org, st.Meta, st.Command, nil)
			if err != nil {
				continue
			}
			for _, e := range evs {
				cur.org = cur.org.Apply(e)
			}
		default:
			continue
		}
		out = append(out, cur)
	}
	return out
}
