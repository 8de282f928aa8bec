package registry

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
)

// checkFastDecode decodes data as an event of type typ both by the fast path
// and by encoding/json and fails unless they agree: when the fast path
// accepts the body, encoding/json must accept it too and give an equal
// value; whatever the fast path does, DecodeEvent must fail exactly when
// encoding/json does and otherwise return encoding/json's value. It
// reports whether the fast path accepted the body.
func checkFastDecode(t *testing.T, typ string, data []byte) bool {
	t.Helper()
	proto, ok := NewEvent(typ)
	if !ok {
		t.Fatalf("type %s not registered", typ)
	}
	want := reflect.New(reflect.TypeOf(proto))
	werr := json.Unmarshal(data, want.Interface())
	got, fast := laa.DecodeFast(typ, data)
	if fast {
		if werr != nil {
			t.Fatalf("%s: fast path accepted %q, encoding/json refuses it: %v", typ, data, werr)
		}
		if !reflect.DeepEqual(got, want.Elem().Interface()) {
			t.Fatalf("%s: fast path decodes %q as\n%#v\nencoding/json as\n%#v", typ, data, got, want.Elem().Interface())
		}
	}
	ev, err := DecodeEvent(typ, 1, data)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%s: DecodeEvent(%q) error %v, encoding/json error %v", typ, data, err, werr)
	}
	if err == nil && !reflect.DeepEqual(ev, want.Elem().Interface()) {
		t.Fatalf("%s: DecodeEvent decodes %q as\n%#v\nencoding/json as\n%#v", typ, data, ev, want.Elem().Interface())
	}
	return fast
}

var fastAt = time.Date(2010, 9, 14, 10, 30, 0, 0, time.UTC)

// fastSamples are typical bodies of each hand-decoded type.
func fastSamples() map[string][]domain.Event {
	prev := 41.5
	base := &laa.Baseline{Value: 42, Year: "2007/08", Source: "synthetic"}
	vals := laa.Values{"2008/09": 41, "2009/10": 40.25, "2010/11": -3e-7}
	return map[string][]domain.Event{
		"laa.OutturnRecorded": {
			laa.OutturnRecorded{Target: "NI 112", Year: "2008/09", Value: 40.5, Source: "annual return", At: fastAt},
			laa.OutturnRecorded{Target: "L-7", Year: "2009/10", Value: -0.125, Source: "quarterly <return> & more", Revision: 3,
				PreviousValue: &prev, PreviousSource: "annual return", At: fastAt.In(time.FixedZone("BST", 3600))},
			laa.OutturnRecorded{},
		},
		"laa.TargetProposed": {
			laa.TargetProposed{Target: "NI 112", NI: 112, Title: "Under 18 conception rate", Kind: laa.KindDesignated, Baseline: base,
				Values: vals, Rationale: "Ré-based", CatalogueVersion: 2, Round: 1, Side: laa.SideLocal, ProposedBy: "j.smith", At: fastAt},
			laa.TargetProposed{Target: "L-1", LocalCode: "L-1", Title: "local", Kind: laa.KindLocal, Values: laa.Values{}, Round: 1, Side: laa.SideGO},
			laa.TargetProposed{},
		},
		"laa.TargetCounterProposed": {
			laa.TargetCounterProposed{Target: "NI 112", Baseline: base, Values: vals, Rationale: "counter", CatalogueVersion: 2,
				Round: 2, Side: laa.SideGO, ProposedBy: "a.khan", At: fastAt},
			laa.TargetCounterProposed{},
		},
		"laa.TargetAgreed": {
			laa.TargetAgreed{Target: "NI 112", Round: 3, ProposedBy: "a.khan", ProposedBySide: laa.SideGO, AcceptedBy: "j.smith",
				AcceptedBySide: laa.SideLocal, Baseline: base, Values: vals, At: fastAt},
			laa.TargetAgreed{},
		},
	}
}

// fastVariants rewrites a body into shapes the fast path must either decode
// exactly or leave to encoding/json.
func fastVariants(data []byte) [][]byte {
	s := string(data)
	out := []string{
		s,
		" \n\t" + strings.ReplaceAll(strings.ReplaceAll(s, ",", " ,\r\n "), ":", " : ") + " \n",
		strings.Replace(s, "{", `{"unknown":{"a":[1,-2.5e3,true,false,null,"x\"y"],"b":{}},`, 1),
		strings.Replace(s, "{", `{"zzz":"\u00e9\ud83d\ude00",`, 1),
		strings.Replace(s, `"target":`, `"TARGET":`, 1),
		strings.Replace(s, `"target":`, `"Target":"a","target":`, 1),
		strings.Replace(s, `"target":`, `"target":"dup","target":`, 1),
		strings.Replace(s, `"at":`, `"\u0061t":`, 1),
		strings.Replace(s, `"at":`, `"AT":`, 1),
		strings.Replace(s, `"target":"`, `"target":"\u0041\n\\`, 1),
		strings.Replace(s, `"target":"`, "\"target\":\"\xff\xfe", 1),
		strings.Replace(s, `"target":"`, `"target":"é`, 1),
		strings.Replace(s, `"round":`, `"round":null,"x":`, 1),
		strings.Replace(s, `"round":`, `"round":1.0,"x":`, 1),
		strings.Replace(s, `"round":`, `"round":99999999999999999999,"x":`, 1),
		strings.Replace(s, `"round":`, `"round":-0,"x":`, 1),
		strings.Replace(s, `"round":`, `"round":01,"x":`, 1),
		strings.Replace(s, `"value":`, `"value":1e400,"x":`, 1),
		strings.Replace(s, `"value":`, `"value":-0.0e-0,"x":`, 1),
		strings.Replace(s, `"value":`, `"value":null,"x":`, 1),
		strings.Replace(s, `"value":`, `"value":"1","x":`, 1),
		strings.Replace(s, `"value":`, `"value":.5,"x":`, 1),
		strings.Replace(s, `"values":`, `"values":null,"x":`, 1),
		strings.Replace(s, `"values":{`, `"values":{"2008/09":1,"2008/09":2,`, 1),
		strings.Replace(s, `"values":{`, `"values":{"2008\/09":null,`, 1),
		strings.Replace(s, `"baseline":`, `"baseline":null,"x":`, 1),
		strings.Replace(s, `"baseline":{`, `"baseline":{"VALUE":3,`, 1),
		strings.Replace(s, `"at":"`, `"at":"x`, 1),
		strings.Replace(s, `"at":`, `"at":null,"x":`, 1),
		strings.Replace(s, `"side":`, `"side":7,"x":`, 1),
		strings.Replace(s, `"ſource":`, `"source":`, 1),
		strings.Replace(s, `"source":`, `"ſource":`, 1),
		strings.Replace(s, `"kind":`, `"\u212aind":`, 1),
		s + "x",
		s + "{}",
		s[:len(s)-1],
		"null",
		"[]",
		"{}",
	}
	var res [][]byte
	for _, v := range out {
		res = append(res, []byte(v))
	}
	return res
}

func fuzzFastDecode(f *testing.F, typ string) {
	for _, e := range fastSamples()[typ] {
		data, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		for _, v := range fastVariants(data) {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastDecode(t, typ, data) })
}

func FuzzDecodeOutturnRecorded(f *testing.F)       { fuzzFastDecode(f, "laa.OutturnRecorded") }
func FuzzDecodeTargetProposed(f *testing.F)        { fuzzFastDecode(f, "laa.TargetProposed") }
func FuzzDecodeTargetCounterProposed(f *testing.F) { fuzzFastDecode(f, "laa.TargetCounterProposed") }
func FuzzDecodeTargetAgreed(f *testing.F)          { fuzzFastDecode(f, "laa.TargetAgreed") }

// The fast path must take the bodies the ledger writes, and refuse what it
// cannot decode exactly.
func TestFastDecodeTakesEncodedBodiesAndRefusesTheUnusual(t *testing.T) {
	for typ, evs := range fastSamples() {
		for _, e := range evs {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if !checkFastDecode(t, typ, data) && !strings.Contains(string(data), "null") {
				t.Errorf("%s: fast path refused %s", typ, data)
			}
			for _, v := range fastVariants(data) {
				checkFastDecode(t, typ, v)
			}
		}
	}
	for _, body := range []string{
		`{"target":"a","TARGET":"b"}`,
		`{"target":"a","target":"b"}`,
		`{"value":null}`,
		`{"previous_value":null}`,
		`{"value":1e400}`,
		`{"revision":1.0}`,
		`{"revision":1e2}`,
		`{"ſource":"x"}`,
		`{"target":"a"} x`,
	} {
		if _, ok := laa.DecodeFast("laa.OutturnRecorded", []byte(body)); ok {
			t.Errorf("fast path accepted %s", body)
		}
		checkFastDecode(t, "laa.OutturnRecorded", []byte(body))
	}
}

// BenchmarkDecodeEvent decodes the typical bodies of the hand-decoded
// types, by the fast path and by encoding/json.
func BenchmarkDecodeEvent(b *testing.B) {
	type body struct {
		typ  string
		data []byte
	}
	var bodies []body
	for typ, evs := range fastSamples() {
		for _, e := range evs {
			data, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			bodies = append(bodies, body{typ, data})
		}
	}
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			for _, x := range bodies {
				if _, err := DecodeEvent(x.typ, 1, x.data); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		for range b.N {
			for _, x := range bodies {
				proto, _ := NewEvent(x.typ)
				if err := json.Unmarshal(x.data, reflect.New(reflect.TypeOf(proto)).Interface()); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
