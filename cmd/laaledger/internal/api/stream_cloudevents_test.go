package api

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"

	"github.com/laaledger/laaledger/eventstore/cloudevent"
)

// readCloudEvents reads n events of a format=cloudevents stream and returns
// their SSE ids, checking each against the CloudEvent schema of the
// document, the CloudEvents SDK's validation, and its own SSE id and name.
func (h *harness) readCloudEvents(s *sseStream, n int) []string {
	h.t.Helper()
	var ids []string
	for range n {
		ev := s.next()
		h.checkCloudEvent(ev)
		ids = append(ids, ev.ID)
	}
	return ids
}

func (h *harness) checkCloudEvent(ev sseEvent) {
	h.t.Helper()
	h.checkSchema("CloudEvent", ev.Data)
	var got ce.Event
	if err := json.Unmarshal(ev.Data, &got); err != nil {
		h.t.Fatalf("CloudEvents SDK cannot read %s: %v", ev.Data, err)
	}
	if err := got.Validate(); err != nil {
		h.t.Errorf("CloudEvents SDK refuses %s: %v", ev.Data, err)
	}
	var back cloudevent.Event
	if err := json.Unmarshal(ev.Data, &back); err != nil {
		h.t.Fatal(err)
	}
	var m cloudevent.Mapper
	env, idx, err := m.Envelope(&back)
	if err != nil {
		h.t.Fatal(err)
	}
	if ev.ID != EventID(env.Sequence, idx) || ev.Event != env.Type {
		h.t.Errorf("event id %q / name %q do not match its CloudEvent %d:%d %s", ev.ID, ev.Event, env.Sequence, idx, env.Type)
	}
	if env.ComputeHash() != env.Hash {
		h.t.Errorf("CloudEvent %s: the envelope rebuilt from it hashes to %s, not its eventhash", ev.ID, env.ComputeHash())
	}
	if got.Source() != "urn:laaledger:LEDGER/"+env.AggregateKind+"/"+env.AggregateID ||
		got.Type() != "uk.gov.laa.ledger."+env.Type+".v"+strconv.Itoa(env.SchemaVersion) {
		h.t.Errorf("CloudEvent %s: source %q, type %q", ev.ID, got.Source(), got.Type())
	}
}

func TestEventStreamDeliversCloudEventsOnRequestWithTheSameIDs(t *testing.T) {
	h := newHarness(t, testKinds)
	first := h.appendNotes("a", "00EB", 2, 2)

	s := h.openStream("?format=cloudevents", "")
	equalIDs(t, "catch-up", h.readCloudEvents(s, len(first)), first)
	live := h.appendNotes("b", "00EB", 1, 2)
	equalIDs(t, "live", h.readCloudEvents(s, 2), live)
	s.close()

	// Resuming inside a commit, and the filters, work as in the ledger
	// format.
	s = h.openStream("?format=cloudevents&kind=apitest&area=00EB", first[2])
	equalIDs(t, "resumed", h.readCloudEvents(s, 3), append([]string{first[3]}, live...))

	// The default stays the ledger's own format.
	s = h.openStream("", "")
	equalIDs(t, "default format", h.readIDs(s, 1), first[:1])

	if r := h.do(req{method: "GET", path: "/v1/events/stream?format=xml", token: tokIntegration, invalid: true}); r.Status != 400 {
		t.Errorf("format=xml: %d", r.Status)
	}
}

func TestEventStreamNegotiatesCloudEventsByAccept(t *testing.T) {
	h := newHarness(t, testKinds)
	ids := h.appendNotes("a", "00EB", 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hr, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/v1/events/stream", nil)
	hr.Header.Set("Authorization", "Bearer "+tokIntegration)
	hr.Header.Set("Accept", "text/event-stream, application/cloudevents+json")
	res, err := h.srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{t: t, res: res, cancel: cancel, buf: &strings.Builder{}, rd: bufio.NewReader(res.Body)}
	equalIDs(t, "by Accept", h.readCloudEvents(s, 1), ids)
}
