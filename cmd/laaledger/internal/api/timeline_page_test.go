package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func TestTimelineJSONIsWhatEncodingJSONWrites(t *testing.T) {
	at := time.Date(2009, 3, 31, 12, 0, 0, 5, time.FixedZone("BST", 3600))
	entry := func(id, text string) projections.Entry {
		return projections.NewEntry(&eventstore.Envelope{
			EventID: id, AggregateKind: "apitest", AggregateID: "00EB",
			AggregateVersion: 3, CommandID: "c-" + id,
			Event: eventstore.Event{
				Type: "apitest.Noted", SchemaVersion: 1,
				Actor:  eventstore.Actor{ID: "demo.la.hartlepool", Role: "la", Organisation: "00EB"},
				Reason: "a <b> & c", Evidence: []string{"https://example.org/?a=1&b=2"},
				OccurredAt: at,
				Data:       json.RawMessage(`{"text":` + text + `,"n":1}`),
			},
			RecordedAt: at.Add(time.Hour), Sequence: 42,
		}, 2)
	}
	for _, tc := range []struct {
		desc string
		v    projections.TimelineView
	}{
		{"no entries at all", projections.TimelineView{}},
		{"an empty page", projections.TimelineView{TimelinePage: projections.TimelinePage{Entries: []projections.Entry{}}, Position: 7}},
		{"plain entries", projections.TimelineView{TimelinePage: projections.TimelinePage{
			Entries: []projections.Entry{entry("e1", `"plain"`), entry("e2", `"also plain"`)}, Next: "abc_-="}, Position: 9}},
		{"HTML and line separators in bodies and fields", projections.TimelineView{TimelinePage: projections.TimelinePage{
			Entries: []projections.Entry{entry("e1", `"<script>&\u2028\u2029"`), entry("e2", "\"raw \u2028 separator\"")}}}},
		{"corrections linked both ways", projections.TimelineView{TimelinePage: projections.TimelinePage{
			Entries:     []projections.Entry{entry("e1", `"x"`), entry("e<2>", `"y"`)},
			Corrects:    map[string]string{"e<2>": "e1", "a": "b"},
			CorrectedBy: map[string][]string{"e1": {"e<2>", "e3"}},
		}, Position: 1 << 40}},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(tc.v); err != nil {
			t.Fatal(err)
		}
		got, err := appendTimelineJSON([]byte("kept"), &tc.v)
		if err != nil {
			t.Fatalf("%s: %v", tc.desc, err)
		}
		if !bytes.Equal(got[4:], want.Bytes()) || string(got[:4]) != "kept" {
			t.Errorf("%s:\n got %s\nwant %s", tc.desc, got, want.Bytes())
		}
	}
}
