package registry_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/demo/demotest"
)

// The domain's checks that need a long, realistic history run over the demo
// histories, which live outside the pure domain (package demo).

func TestDecodeEventMatchesEncodingJSONOverTheDemoHistory(t *testing.T) {
	fast := map[string]int{}
	total := 0
	demotest.Decide(t, demo.History(), func(_ demo.Step, evs []domain.Event) {
		for _, e := range evs {
			typ, version, data, err := registry.EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			total++
			if registry.CheckFastDecode(t, typ, data) {
				fast[typ]++
			}
			got, err := registry.DecodeEvent(typ, version, data)
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
