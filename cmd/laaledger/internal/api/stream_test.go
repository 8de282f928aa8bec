package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// appendNotes appends n commands, each of per events, and returns the SSE
// ids of every event in order.
func (h *harness) appendNotes(prefix, subject string, n, per int) []string {
	h.t.Helper()
	var ids []string
	for i := range n {
		r := h.command(tokLA, "apitest.Note", fmt.Sprintf("%s-%d", prefix, i), apiNote{Subject: subject, Text: prefix, Repeat: per}, nil)
		if r.Status != http.StatusCreated {
			h.t.Fatalf("append: %d %s", r.Status, r.Body)
		}
		var res CommandResult
		r.decode(h.t, &res)
		for _, e := range res.Events {
			ids = append(ids, EventID(e.Sequence, e.Index))
		}
	}
	return ids
}

// readIDs reads n events and returns their ids, checking each event's data
// against the FeedEvent schema and its id against its data.
func (h *harness) readIDs(s *sseStream, n int) []string {
	h.t.Helper()
	var ids []string
	for range n {
		ev := s.next()
		h.checkSchema("FeedEvent", ev.Data)
		var fe FeedEvent
		if err := json.Unmarshal(ev.Data, &fe); err != nil {
			h.t.Fatal(err)
		}
		if ev.ID != EventID(fe.Sequence, fe.Index) || ev.Event != fe.Type {
			h.t.Errorf("event id %q / name %q do not match its data %d:%d %s", ev.ID, ev.Event, fe.Sequence, fe.Index, fe.Type)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

func equalIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestEventStreamResumesExactlyAfterLastEventID(t *testing.T) {
	h := newHarness(t, testKinds)
	// Commits of two events each, so a resume can fall inside a commit.
	first := h.appendNotes("a", "00EB", 3, 2)

	s := h.openStream("", "")
	got := h.readIDs(s, len(first))
	equalIDs(t, "catch-up", got, first)
	// Live: an event stored while the stream is open arrives on it.
	live := h.appendNotes("b", "00EB", 1, 2)
	equalIDs(t, "live", h.readIDs(s, 2), live)
	s.close()

	// Missed while disconnected.
	missed := h.appendNotes("c", "00EB", 2, 2)
	all := append(append(append([]string{}, first...), live...), missed...)

	for _, tc := range []struct {
		desc string
		last int // index in all of the last event the client saw
	}{
		{"after a whole commit", 5},
		{"inside a commit", 6},
		{"after the first event", 0},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			s := h.openStream("", all[tc.last])
			want := all[tc.last+1:]
			equalIDs(t, "resumed", h.readIDs(s, len(want)), want)
			// Nothing more is pending: the next event is a new one.
			next := h.appendNotes(fmt.Sprintf("d%d", tc.last), "00EB", 1, 1)
			equalIDs(t, "after resume", h.readIDs(s, 1), next)
			all = append(all, next...)
		})
	}
}

func TestEventStreamFromSequenceAndFilters(t *testing.T) {
	h := newHarness(t, testKinds)
	hart := h.appendNotes("h", "00EB", 2, 1)
	// Barnet's LA may note on its own subject.
	r := h.command(tokBarnet, "apitest.Note", "barnet-1", apiNote{Subject: "00AC", Text: "x"}, nil)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var barnet CommandResult
	r.decode(t, &barnet)
	hart2 := h.appendNotes("h2", "00EB", 1, 1)

	s := h.openStream("?area=00AC", "")
	equalIDs(t, "area 00AC", h.readIDs(s, 1), []string{EventID(barnet.Sequence, 0)})

	s = h.openStream("?kind=apitest&area=00EB&type=apitest.Noted", "")
	equalIDs(t, "kind and area", h.readIDs(s, 3), append(append([]string{}, hart...), hart2...))

	s = h.openStream(fmt.Sprintf("?from_sequence=%d", barnet.Sequence), "")
	equalIDs(t, "from sequence", h.readIDs(s, 2), append([]string{EventID(barnet.Sequence, 0)}, hart2...))

	// A type filter that matches nothing yet: the first event seen is the
	// first of that type, stored after the stream opened.
	s = h.openStream("?type=apitest.Nothing", "")
	s2 := h.openStream("?type=apitest.Noted&area=00AC", "")
	equalIDs(t, "type and area", h.readIDs(s2, 1), []string{EventID(barnet.Sequence, 0)})
	_ = s

	for _, q := range []string{"?kind=Bad.Kind", "?from_sequence=0"} {
		if r := h.do(req{method: "GET", path: "/v1/events/stream" + q, token: tokIntegration, invalid: true}); r.Status != 400 {
			t.Errorf("%s: %d", q, r.Status)
		}
	}
	// A filter that names no kind or no area of the ledger would match
	// nothing for ever: refused, naming it, rather than an idle stream.
	// (The document gives both as patterns only, so it accepts them.)
	for _, tc := range []struct{ query, named string }{{"?kind=nope", "nope"}, {"?kind=apitest&area=ZZ99", "ZZ99"}, {"?area=ZZ99", "ZZ99"}} {
		r := h.do(req{method: "GET", path: "/v1/events/stream" + tc.query, token: tokIntegration})
		if r.Status != 400 || !strings.Contains(string(r.Body), tc.named) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.query, r.Status, r.Body, tc.named)
		}
	}
	if r := h.do(req{method: "GET", path: "/v1/events/stream", token: tokIntegration,
		header: map[string]string{"Last-Event-ID": "x:1"}, invalid: true}); r.Status != 400 {
		t.Errorf("bad Last-Event-ID: %d", r.Status)
	}
}

func TestEventStreamSendsHeartbeats(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) { c.Heartbeat = 10e6 })
	s := h.openStream("", "")
	for n := 0; n < 2; {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": heartbeat\n" {
			n++
		}
	}
}
