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
