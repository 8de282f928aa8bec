package eventstore

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCommitEncodingDecodesToTheSameCommit(t *testing.T) {
	for _, tc := range []struct {
		desc string
		env  Envelope
	}{
		{"plain", Envelope{EventID: "e1", AggregateKind: "laa", AggregateID: "00EB/2008-11", AggregateVersion: 7, CommandID: "c1",
			Event: Event{Type: "laa.TargetProposed", SchemaVersion: 1,
				Actor:      Actor{ID: "jo", Role: "la", Organisation: "00EB"},
				OccurredAt: time.Date(2008, 6, 30, 9, 0, 0, 0, time.UTC),
				Data:       json.RawMessage(`{"ni":112,"values":{"2008/09":1.5}}`)},
			RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC), PrevHash: ZeroHash, Hash: "ab"}},
		{"escapes and optional fields", Envelope{EventID: "e2", Event: Event{Type: "t", SchemaVersion: 2,
			Actor:    Actor{ID: "quote\" back\\slash", Role: "go", Organisation: "Yorkshire and The Humber"},
			Reason:   "line\nbreak\ttab \x01 ctl <html>& \u2028 é ✓ bad:\xff",
			Evidence: []string{"minutes 2008-05-01", "letter"}, CausationID: "x", CorrelationID: "y",
			Data: json.RawMessage(`[1,2,"three"]`)}}},
		{"empty data", Envelope{EventID: "e3", Event: Event{Type: "t", SchemaVersion: 1}}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := Commit{CommandID: "cmd \"1\"", Fingerprint: "sha256:ab\"c", Events: []Envelope{tc.env, tc.env}}
			got := appendCommitJSON(nil, &c)
			require.True(t, json.Valid(got), string(got))
			var back Commit
			require.NoError(t, json.Unmarshal(got, &back))
			// What JSON can carry: invalid UTF-8 becomes U+FFFD, no body null.
			want := c
			want.Events = make([]Envelope, len(c.Events))
			for i, e := range c.Events {
				e.Reason = strings.ToValidUTF8(e.Reason, "\uFFFD")
				if e.Data == nil {
					e.Data = json.RawMessage("null")
				}
				want.Events[i] = e
			}
			require.Equal(t, want, back)
			fast, ok := parseCommit(got)
			require.True(t, ok, "the ledger's own encoding takes the fast path")
			require.Equal(t, want, *fast)
		})
	}
}

// testdata/commit.json is what encoding/json wrote for a commit when
// Envelope was a plain struct of the stored fields: export bundles and
// command results, written with encoding/json, keep those bytes.
func TestEncodingJSONWritesTheStoredForm(t *testing.T) {
	want, err := os.ReadFile("testdata/commit.json")
	require.NoError(t, err)
	c := Commit{CommandID: "cmd \"1\"", Fingerprint: "sha256:ab\"c", Events: sampleEnvelopes()}
	var got bytes.Buffer
	require.NoError(t, json.NewEncoder(&got).Encode(c))
	require.Equal(t, string(want), got.String())
	std, err := json.Marshal(c)
	require.NoError(t, err)
	require.Equal(t, strings.TrimSuffix(string(want), "\n"), string(std))
}

func TestCompactJSON(t *testing.T) {
	for _, tc := range []struct {
		desc, in, want string
		bad            bool
	}{
		{desc: "already compact", in: `{"a":1,"b":"x y"}`, want: `{"a":1,"b":"x y"}`},
		{desc: "spaces outside strings", in: "{ \"a\" : 1,\n\t\"b\": \"x  y\" }", want: `{"a":1,"b":"x  y"}`},
		{desc: "escaped quote in string", in: `{"a":"say \"hi there\""}`, want: `{"a":"say \"hi there\""}`},
		{desc: "escaped backslash before quote", in: `{"a":"c:\\", "b":2}`, want: `{"a":"c:\\","b":2}`},
		{desc: "invalid compact", in: `{"a":}`, bad: true},
		{desc: "invalid with spaces", in: `{ "a": }`, bad: true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := compactJSON([]byte(tc.in))
			if tc.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, string(got))
		})
	}
}

// validJSON agrees with encoding/json.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2.5e-3,"x\u00e9",true,null]}`, `{"a":}`, ` [1, 2] `, `"\x"`, `01`, `-`, `{"a":1}x`, "\"\x01\"", `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// servedShape is the served form as encoding/json would write it from a
// plain struct: the reference AppendServedJSON is checked against. The
// caller's fields come from the embedded [Event], whose JSON names and
// omitempty rules are the envelope's; JSONEq ignores field order.
type servedShape struct {
	Sequence         uint64    `json:"sequence"`
	Index            int       `json:"index"`
	EventID          string    `json:"event_id"`
	Aggregate        Aggregate `json:"aggregate"`
	AggregateVersion uint64    `json:"aggregate_version"`
	CommandID        string    `json:"command_id"`
	RecordedAt       time.Time `json:"recorded_at"`
	PrevHash         *string   `json:"prev_hash,omitempty"`
	Hash             *string   `json:"hash,omitempty"`
	Event
}

func TestServedFormIsWhatEncodingJSONWritesAndReadsBack(t *testing.T) {
	for _, e := range sampleEnvelopes() {
		e.Sequence = 9
		e.OccurredAt = e.OccurredAt.In(time.FixedZone("BST", 3600))
		for _, chain := range []bool{false, true} {
			want := servedShape{Sequence: 9, Index: 2, EventID: e.EventID, Aggregate: e.Aggregate(),
				AggregateVersion: e.AggregateVersion, CommandID: e.CommandID, RecordedAt: e.RecordedAt.UTC(),
				Event: Event{Type: e.Type, SchemaVersion: e.SchemaVersion, Actor: e.Actor, Reason: e.Reason,
					Evidence: e.Evidence, CausationID: e.CausationID, CorrelationID: e.CorrelationID,
					OccurredAt: e.OccurredAt.UTC(), Data: e.Data}}
			if chain {
				want.PrevHash, want.Hash = &e.PrevHash, &e.Hash
			}
			std, err := json.Marshal(want)
			require.NoError(t, err)
			got, err := json.Marshal(json.RawMessage(e.AppendServedJSON(nil, 2, chain)))
			require.NoError(t, err)
			require.JSONEq(t, string(std), string(got))

			var back Envelope
			idx, err := back.UnmarshalServedJSON(got)
			require.NoError(t, err)
			require.Equal(t, 2, idx)
			wantBack := e
			wantBack.OccurredAt, wantBack.RecordedAt = e.OccurredAt.UTC(), e.RecordedAt.UTC()
			if !chain {
				wantBack.PrevHash, wantBack.Hash = "", ""
			}
			if wantBack.Data == nil {
				wantBack.Data = json.RawMessage("null")
			}
			// Invalid UTF-8 is served as U+FFFD.
			wantBack.Reason = strings.ToValidUTF8(wantBack.Reason, "\uFFFD")
			require.Equal(t, wantBack, back)
		}
	}
}
