package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// The scanner's users (domain/registry/fastdecode_test.go,
// eventstore/decode_test.go) compare whole decodes with encoding/json; these
// check the building blocks on their own.

func FuzzSkipAcceptsOnlyValidJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-0.5e3,true,false,null,"\u00e9\n"]}`, `[`, `{"a" 1}`, `01`, `"\x01"`, `1.`, `-`,
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := New(b)
		if p.Skip() && p.End() && !json.Valid(b) {
			t.Fatalf("scanner accepts %q, encoding/json does not", b)
		}
	})
}

func FuzzStrAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`"plain"`, `"é ✓"`, `"\"\\\/\b\f\n\r\t\u2028"`, "\"bad \xff\"", `"open`, `"\u12"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want string
		p := New(b)
		if !p.Str(&got) || !p.End() {
			return
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("scanner accepts %q, encoding/json refuses it: %v", b, err)
		}
		if got != want {
			t.Fatalf("%q: scanner %q, encoding/json %q", b, got, want)
		}
	})
}

func TestUnknownRefusesKeysThatFoldOntoAField(t *testing.T) {
	for _, tc := range []struct {
		desc, in string
		ok       bool
	}{
		{"unknown key skipped", `{"other":[1,{"x":2}],"name":"a"}`, true},
		{"case-folded field name", `{"NAME":"a"}`, false},
		{"non-ASCII key", `{"nämé":1}`, false},
		{"repeated field", `{"name":"a","name":"b"}`, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			p := New([]byte(tc.in))
			var seen Seen
			var name string
			ok := p.Object(func(key []byte) bool {
				if string(key) == "name" {
					return seen.First(0) && p.Str(&name)
				}
				return p.Unknown(key, []string{"name"})
			}) && p.End()
			if ok != tc.ok {
				t.Errorf("%s: accepted %v, want %v", tc.in, ok, tc.ok)
			}
		})
	}
}

func TestFieldsDecodesEachFieldOnceInAnyOrder(t *testing.T) {
	keys := []string{"name", "n"}
	for _, tc := range []struct {
		desc, in string
		ok       bool
		name     string
		n        int
	}{
		{"in order", `{"name":"a","n":2}`, true, "a", 2},
		{"out of order", `{"n":2,"name":"a"}`, true, "a", 2},
		{"unknown key skipped", `{"x":[1],"name":"a"}`, true, "a", 0},
		{"empty object", `{}`, true, "", 0},
		{"repeated field", `{"name":"a","n":1,"name":"b"}`, false, "", 0},
		{"case-folded field name", `{"N":2}`, false, "", 0},
		{"field refused", `{"n":"2"}`, false, "", 0},
		{"not an object", `["name"]`, false, "", 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var (
				name string
				n    int
			)
			p := New([]byte(tc.in))
			ok := p.Fields(keys, func(i int) bool {
				if i == 0 {
					return p.Str(&name)
				}
				return p.Int(&n)
			}) && p.End()
			if ok != tc.ok {
				t.Fatalf("%s: accepted %v, want %v", tc.in, ok, tc.ok)
			}
			if ok && (name != tc.name || n != tc.n) {
				t.Errorf("%s: decoded name %q, n %d; want %q, %d", tc.in, name, n, tc.name, tc.n)
			}
		})
	}
}

// BenchmarkNumbers decodes integers, unsigned integers and floats, the
// numbers of a commit's envelopes and of the events the read side decodes.
func BenchmarkNumbers(b *testing.B) {
	data := []byte(`[112,-2,41.2,184951,7,39.8,20081130,-3,1e3]`)
	b.SetBytes(int64(len(data)))
	for range b.N {
		p := New(data)
		var i int
		var u uint64
		var f float64
		k := 0
		ok := p.Array(func() bool {
			k++
			switch k % 3 {
			case 0:
				return p.Float(&f)
			case 1:
				return p.Uint(&u)
			default:
				return p.Int(&i)
			}
		}) && p.End()
		if !ok || u != 20081130 || i != -3 || f != 1e3 {
			b.Fatalf("decoded %v %d %d %g", ok, i, u, f)
		}
	}
}

// A number that does not scan or parse leaves the destination alone.
func TestNumbersLeaveTheDestinationOnFailure(t *testing.T) {
	for _, tc := range []struct {
		desc, in string
		scan     func(p *Scanner) bool
	}{
		{"int with a fraction", `1.5`, func(p *Scanner) bool { i := 7; return p.Int(&i) || i != 7 }},
		{"int out of range", `99999999999999999999`, func(p *Scanner) bool { i := 7; return p.Int(&i) || i != 7 }},
		{"negative uint", `-1`, func(p *Scanner) bool { u := uint64(7); return p.Uint(&u) || u != 7 }},
		{"uint from a string", `"1"`, func(p *Scanner) bool { u := uint64(7); return p.Uint(&u) || u != 7 }},
		{"float out of range", `1e999`, func(p *Scanner) bool { f := 7.0; return p.Float(&f) || f != 7 }},
		{"float from true", `true`, func(p *Scanner) bool { f := 7.0; return p.Float(&f) || f != 7 }},
	} {
		p := New([]byte(tc.in))
		if tc.scan(&p) {
			t.Errorf("%s: %s decoded or changed the destination", tc.desc, tc.in)
		}
	}
	p := New([]byte(`-3`))
	var i int
	if !p.Int(&i) || i != -3 {
		t.Errorf("Int(-3) = %d", i)
	}
}

// The fast path must not refuse what the ledger commonly holds, or every
// read pays for encoding/json; nor accept nesting encoding/json refuses.
func TestSkipAcceptsValidJSONUpToMaxDepth(t *testing.T) {
	for _, s := range []string{
		`0`, `-0`, `-0.5e-3`, `1E+9`, `123.456`, `true`, `false`, `null`, `""`, `"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`,
		"\"caf\u00e9 \x7f\"", " \t\r\n{ \"a\" : [ 1 , { } , [ ] ] , \"\" : null } ", `{"a":{"b":{"c":[[[]]]}}}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	} {
		p := New([]byte(s))
		if !p.Skip() || !p.End() {
			t.Errorf("refused valid JSON %.40q", s)
		}
	}
	for _, s := range []string{
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		`[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{,}`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`, `"\u00g0"`, `"\q"`, "\"\x1f\"", `"open`,
	} {
		p := New([]byte(s))
		if p.Skip() && p.End() {
			t.Errorf("accepted %.40q", s)
		}
		if json.Valid([]byte(s)) {
			t.Errorf("%.40q is valid JSON; the case is wrong", s)
		}
	}
}
