package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// caaCommandTypes are the registered CAA and OA command types, in a stable
// order so a fuzz input's selector byte means the same thing every run.
func caaCommandTypes() []string {
	var out []string
	for _, typ := range CommandTypes() {
		if strings.HasPrefix(typ, KindAreaAssessment+".") || strings.HasPrefix(typ, KindOrgAssessment+".") {
			out = append(out, typ)
		}
	}
	return out
}

func TestCAACommandTypesRegistered(t *testing.T) {
	if got := len(caaCommandTypes()); got != 18 {
		t.Fatalf("registered CAA and OA command types: %d, want 18", got)
	}
	var n int
	for _, typ := range EventTypes() {
		if strings.HasPrefix(typ, "caa.") || strings.HasPrefix(typ, "oa.") {
			n++
		}
	}
	if n != 18 {
		t.Fatalf("registered CAA and OA event types: %d, want 18", n)
	}
}

// FuzzDecodeCAACommand feeds arbitrary JSON to every CAA and OA command type.
// Decoding must never panic and must refuse with an *Error; a command that
// decodes must survive a decision against an open assessment at every
// stage, again refusing only with an *Error.
func FuzzDecodeCAACommand(f *testing.F) {
	types := caaCommandTypes()
	for _, st := range DemoCAAHistory() {
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
	m := Meta{CommandID: "fuzz", Actor: caaAC, OccurredAt: time.Date(2009, 11, 1, 0, 0, 0, 0, time.UTC)}
	local := m
	local.Actor = caaLA

	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		typ := types[int(sel)%len(types)]
		cmd, err := DecodeCommand(typ, data)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Rule == "" || de.Code != EINVALID && de.Code != ENOTFOUND {
				t.Fatalf("decode %s %q: refusal is not an *Error: %#v", typ, data, err)
			}
			return
		}
		if cmd.CommandType() != typ {
			t.Fatalf("decoded %s as %s", typ, cmd.CommandType())
		}
		for _, st := range areaStates {
			for _, mm := range []Meta{m, local} {
				var err error
				if cmd.Aggregate().Kind == KindAreaAssessment {
					_, err = DecideAreaAssessment(st.area, mm, cmd, nil)
				} else {
					_, err = DecideOrgAssessment(st.org, mm, cmd, nil)
				}
				if err != nil {
					var de *Error
					if !errors.As(err, &de) || de.Rule == "" {
						t.Fatalf("decide %s: refusal is not an *Error: %#v", typ, err)
					}
				}
			}
		}
	})
}

type caaDemoState struct {
	area AreaAssessment
	org  OrgAssessment
}

// caaDemoStates replays the demo history for Hartlepool and returns the
// assessments as they stood after each accepted command.
func caaDemoStates() []caaDemoState {
	var out []caaDemoState
	var cur caaDemoState
	out = append(out, cur)
	for _, st := range DemoCAAHistory() {
		ref := st.Command.Aggregate()
		switch ref {
		case AreaAssessmentRef("00EB", 2009):
			evs, err := DecideAreaAssessment(cur.area, st.Meta, st.Command, nil)
			if err != nil {
				continue
			}
			for _, e := range evs {
				cur.area = cur.area.Apply(e)
			}
		case OrgAssessmentRef("00EB", 2009):
			evs, err := DecideOrgAssessment(cur.org, st.Meta, st.Command, nil)
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
