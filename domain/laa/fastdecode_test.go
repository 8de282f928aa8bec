package laa

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkDecodeFast decodes the four hand-decoded event bodies, as a
// rebuild of the read models meets them.
func BenchmarkDecodeFast(b *testing.B) {
	at := time.Date(2009, 6, 30, 9, 15, 0, 0, time.UTC)
	base := &Baseline{Value: 42, Year: "2007/08", Source: "annual return"}
	vals := Values{"2008/09": 41, "2009/10": 40.25, "2010/11": 39.5}
	prev := 41.5
	var bodies []struct {
		typ  string
		data []byte
	}
	for _, e := range []interface{ EventType() string }{
		OutturnRecorded{Target: "NI 112", Year: "2009/10", Value: 40.5, Source: "annual return", Revision: 1, PreviousValue: &prev, PreviousSource: "draft", At: at},
		TargetProposed{Target: "NI 112", NI: 112, Title: "Under 18 conception rate", Kind: KindDesignated, Baseline: base,
			Values: vals, Rationale: "rebased", CatalogueVersion: 2, Round: 1, Side: SideLocal, ProposedBy: "j.smith", At: at},
		TargetCounterProposed{Target: "NI 112", Baseline: base, Values: vals, Rationale: "counter", CatalogueVersion: 2,
			Round: 2, Side: SideGO, ProposedBy: "a.khan", At: at},
		TargetAgreed{Target: "NI 112", Round: 3, ProposedBy: "a.khan", ProposedBySide: SideGO, AcceptedBy: "j.smith",
			AcceptedBySide: SideLocal, Baseline: base, Values: vals, At: at},
	} {
		data, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, struct {
			typ  string
			data []byte
		}{e.EventType(), data})
	}
	b.ReportAllocs()
	for range b.N {
		for _, body := range bodies {
			if _, ok := DecodeFast(body.typ, body.data); !ok {
				b.Fatalf("%s: not decoded", body.typ)
			}
		}
	}
}
