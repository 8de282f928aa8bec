package eventstore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/jsonscan"
)

// decodeCommitStd is decodeCommit as encoding/json alone would do it.
func decodeCommitStd(data []byte, seq uint64) (*Commit, error) {
	var c Commit
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode commit at sequence %d: %w", seq, err)
	}
	if len(c.Events) == 0 {
		return nil, fmt.Errorf("decode commit at sequence %d: no events", seq)
	}
	for i := range c.Events {
		c.Events[i].Sequence = seq
	}
	return &c, nil
}

// checkDecodesLikeStd fails unless decodeCommit gives what encoding/json
// gives, and the fast path, whenever it accepts data, the same commit.
func checkDecodesLikeStd(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	want, werr := decodeCommitStd(data, 42)
	got, gerr := decodeCommit(data, 42)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("decode %q: error %v, encoding/json says %v", data, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode %q:\n got %#v\nwant %#v", data, got, want)
	}
	c, ok := parseCommit(data)
	if !ok {
		return false
	}
	var std Commit
	if err := json.Unmarshal(data, &std); err != nil {
		t.Fatalf("fast path accepted %q, encoding/json refuses it: %v", data, err)
	}
	if !reflect.DeepEqual(*c, std) {
		t.Fatalf("fast path on %q:\n got %#v\nwant %#v", data, *c, std)
	}
	return true
}

func sampleEnvelopes() []Envelope {
	return []Envelope{
		{EventID: "e1", AggregateKind: "laa", AggregateID: "00EB/2008-11", AggregateVersion: 7, CommandID: "c1",
			Event: Event{Type: "laa.TargetProposed", SchemaVersion: 1,
				Actor:      Actor{ID: "jo", Role: "la", Organisation: "00EB"},
				OccurredAt: time.Date(2008, 6, 30, 9, 0, 0, 0, time.UTC),
				Data:       json.RawMessage(`{"ni":112,"values":{"2008/09":1.5,"x":[true,false,null,-0.5e-3,"é\u00e9"]}}`)},
			RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC), PrevHash: ZeroHash, Hash: "ab"},
		{EventID: "e2", Event: Event{Type: "t", SchemaVersion: 2,
			Actor:    Actor{ID: "quote\" back\\slash", Role: "go", Organisation: "Yorkshire and The Humber"},
			Reason:   "line\nbreak\ttab \x01 ctl <html>& \u2028 é ✓ bad:\xff",
			Evidence: []string{"minutes 2008-05-01", "letter", "", "ünï"}, CausationID: "x", CorrelationID: "y",
			OccurredAt: time.Date(2009, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)),
			Data:       json.RawMessage(`[1,2,"three"]`)}},
		{EventID: "e3", Event: Event{Type: "t", SchemaVersion: 1}},
		{EventID: "e4", AggregateVersion: 1<<64 - 1, Event: Event{Type: "t", SchemaVersion: -3, Data: json.RawMessage(`"s"`)}},
	}
}

func TestDecodeCommitTakesTheFastPathForWhatTheLedgerWrites(t *testing.T) {
	envs := sampleEnvelopes()
	for i := range envs {
		for n := 1; n <= 3; n++ {
			c := Commit{CommandID: fmt.Sprintf("cmd %d \"q\"", i), Events: make([]Envelope, n)}
			for j := range c.Events {
				c.Events[j] = envs[(i+j)%len(envs)]
			}
			data := appendCommitJSON(nil, &c)
			if !checkDecodesLikeStd(t, data) {
				t.Errorf("fast path refused the ledger's own encoding: %s", data)
			}
		}
	}
}

func TestDecodeCommitAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		desc string
		in   string
		fast bool // the fast path must decode it
	}{
		{"fields in another order", `{"events":[{"hash":"h","data":{"a":1},"type":"t","event_id":"e","occurred_at":"2008-01-02T03:04:05Z"}],"command_id":"c"}`, true},
		{"whitespace everywhere", " \n{ \"command_id\" : \"c\" ,\t\"events\" : [ { \"type\" : \"t\" , \"data\" : [ 1 , { \"b\" : null } ] , \"evidence\" : [ \"a\" , \"b\" ] } ] } \r\n", true},
		{"unknown fields ignored", `{"x":{"y":[1,2,{"z":"w"}]},"command_id":"c","events":[{"sequence":9,"type":"t","other":"\u0041","actor":{"id":"a","extra":true}}]}`, true},
		{"escaped strings", `{"command_id":"c\u0022\n\/","events":[{"type":"t\ud83d\ude00","reason":"\ud800 lone","evidence":["\\"]}]}`, true},
		{"empty evidence is empty, not nil", `{"command_id":"c","events":[{"type":"t","evidence":[]}]}`, true},
		{"data with spaces kept as written", `{"command_id":"c","events":[{"data": { "a" : [ 1, 2 ] } }]}`, true},
		{"data null", `{"command_id":"c","events":[{"data":null}]}`, true},
		{"time with an offset", `{"command_id":"c","events":[{"occurred_at":"2008-01-02T03:04:05.123+05:30"}]}`, true},
		{"invalid UTF-8 replaced", "{\"command_id\":\"a\xffb\",\"events\":[{\"type\":\"t\"}]}", true},
		{"no events", `{"command_id":"c","events":[]}`, true},
		{"events missing", `{"command_id":"c"}`, true},
		{"events null", `{"command_id":"c","events":null}`, false},
		{"case-folded key", `{"Command_ID":"c","events":[{"TYPE":"t"}]}`, false},
		{"unicode-folded key", `{"command_id":"c","events":[{"ſchema_version":3}]}`, false},
		{"escaped key", `{"command\u005fid":"c","events":[{"type":"t"}]}`, false},
		{"duplicate key", `{"command_id":"a","command_id":"b","events":[{"type":"t"},{"type":"u","type":"v"}]}`, false},
		{"duplicate actor merges", `{"command_id":"c","events":[{"actor":{"id":"a"},"actor":{"role":"r"}}]}`, false},
		{"null string", `{"command_id":null,"events":[{"type":"t"}]}`, false},
		{"float version", `{"command_id":"c","events":[{"schema_version":1.0}]}`, false},
		{"negative aggregate version", `{"command_id":"c","events":[{"aggregate_version":-1}]}`, false},
		{"overflowing version", `{"command_id":"c","events":[{"aggregate_version":18446744073709551616}]}`, false},
		{"escaped time", `{"command_id":"c","events":[{"occurred_at":"2008-01-02T03:04:05\u005a"}]}`, false},
		{"bad time", `{"command_id":"c","events":[{"occurred_at":"yesterday"}]}`, false},
		{"string for number", `{"command_id":"c","events":[{"schema_version":"1"}]}`, false},
		{"trailing comma", `{"command_id":"c","events":[{"type":"t"},]}`, false},
		{"trailing garbage", `{"command_id":"c","events":[{"type":"t"}]}x`, false},
		{"truncated", `{"command_id":"c","events":[{"type":"t"`, false},
		{"leading zero", `{"command_id":"c","events":[{"data":01}]}`, false},
		{"bad escape", `{"command_id":"c","events":[{"type":"\x"}]}`, false},
		{"control character", "{\"command_id\":\"c\x01\",\"events\":[{\"type\":\"t\"}]}", false},
		{"null event", `{"command_id":"c","events":[null]}`, false},
		{"not an object", `[1]`, false},
		{"empty", ``, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			if fast := checkDecodesLikeStd(t, []byte(tc.in)); tc.fast && !fast {
				t.Errorf("fast path refused %s", tc.in)
			}
		})
	}
}

func TestDecodeCommitRefusesDeepNestingToTheFastPath(t *testing.T) {
	for _, depth := range []int{jsonscan.MaxDepth - 10, jsonscan.MaxDepth + 10, 10_001} {
		in := `{"command_id":"c","events":[{"data":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}]}`
		checkDecodesLikeStd(t, []byte(in))
	}
}

func FuzzDecodeCommit(f *testing.F) {
	envs := sampleEnvelopes()
	for i := range envs {
		c := Commit{CommandID: "c", Events: envs[i : i+1]}
		f.Add(appendCommitJSON(nil, &c))
	}
	f.Add(appendCommitJSON(nil, &Commit{CommandID: "c", Events: envs}))
	f.Add([]byte(`{"events":[{"hash":"h","data":{"a":1},"actor":{"id":"x"}}],"command_id":"c","z":[1e5,-0,true]}`))
	f.Add([]byte(`{"command_id":"\u00e9","events":[{"evidence":["a","b"],"data":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodesLikeStd(t, data)
	})
}

func BenchmarkDecodeCommit(b *testing.B) {
	env := sampleEnvelopes()[0]
	env.Reason = "agreed at the LSP board meeting of 30 June"
	env.Data = json.RawMessage(`{"area":"00EB","target":"NI 112","ni":112,"kind":"designated","round":2,"side":"government_office","values":{"2008/09":41.2,"2009/10":39.8,"2010/11":38.1},"rationale":"in line with the regional trajectory","proposed_by":"go-ne-1","at":"2008-06-30T09:00:00Z"}`)
	data := appendCommitJSON(nil, &Commit{CommandID: "c1", Events: []Envelope{env}})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			if _, err := decodeCommit(data, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for range b.N {
			if _, err := decodeCommitStd(data, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
}
