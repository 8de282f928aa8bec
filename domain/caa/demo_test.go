package caa_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/demo/demotest"
)

// The domain's checks that need a long, realistic history run over the demo
// histories, which live outside the pure domain (package demo).

func TestAssessmentFlagInfoAgreesWithCAAFlags(t *testing.T) {
	d := demotest.Decide(t, demo.CAAHistory(), nil)
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

func FuzzDecodeCAACommand(f *testing.F) {
	types := caa.CommandTypes()
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
	m := domain.Meta{CommandID: "fuzz", Actor: caa.TestAC, OccurredAt: time.Date(2009, 11, 1, 0, 0, 0, 0, time.UTC)}
	local := m
	local.Actor = caa.TestLA

	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		typ := types[int(sel)%len(types)]
		cmd, err := registry.DecodeCommand(typ, data)
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
					_, err = caa.DecideAreaAssessment(st.area, mm, cmd, nil)
				} else {
					_, err = caa.DecideOrgAssessment(st.org, mm, cmd, nil)
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
	area caa.AreaAssessment
	org  caa.OrgAssessment
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
		case caa.AreaAssessmentRef("00EB", 2009):
			evs, err := caa.DecideAreaAssessment(cur.area, st.Meta, st.Command, nil)
			if err != nil {
				continue
			}
			for _, e := range evs {
				cur.area = cur.area.Apply(e)
			}
		case caa.OrgAssessmentRef("00EB", 2009):
			evs, err := caa.DecideOrgAssessment(cur.org, st.Meta, st.Command, nil)
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
