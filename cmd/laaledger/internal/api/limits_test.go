package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// streamStatus opens the event stream with token and returns the status
// and, for a refusal, the problem body; an accepted stream stays open
// until the returned close is called.
func (h *harness) streamStatus(token string) (status int, body string, closeFn func()) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/v1/events/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := h.srv.Client().Do(req)
	if err != nil {
		cancel()
		h.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		return res.StatusCode, string(b), func() {}
	}
	return res.StatusCode, "", func() { cancel(); res.Body.Close() }
}

func TestEventStreamsAreLimitedPerActorAndInAll(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) { c.MaxStreamsPerActor, c.MaxStreams = 2, 3 })
	_, _, close1 := h.streamStatus(tokIntegration)
	_, _, close2 := h.streamStatus(tokIntegration)
	status, body, _ := h.streamStatus(tokIntegration)
	if status != http.StatusTooManyRequests || !strings.Contains(body, `"too_many_streams"`) {
		t.Fatalf("third stream of one token: %d %s, want 429 too_many_streams", status, body)
	}
	// Another actor still has room, up to the server's limit.
	status, _, close3 := h.streamStatus(tokLA)
	if status != http.StatusOK {
		t.Fatalf("another actor's stream: %d, want 200", status)
	}
	status, body, _ = h.streamStatus(tokGO)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"too_many_streams"`) {
		t.Fatalf("stream beyond the server's limit: %d %s, want 503 too_many_streams", status, body)
	}
	close3()
	// A closed stream gives its slot back once its handler has returned.
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, c := h.streamStatus(tokGO)
		if status == http.StatusOK {
			c()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream's slot was not released: still %d", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close1()
	close2()
}

func TestSlowRequestBodyIsCutAtTheReadTimeout(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise a body that never comes.
	_, err = io.WriteString(conn, "POST /v1/commands/apitest.Note HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tokLA+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"subject\":")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(bufio.NewReader(conn))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server held a stalled request body for %v", time.Since(start))
	}
}

func TestEventStreamOutlivesTheReadTimeout(t *testing.T) {
	h := newHarness(t, testKinds, func(c *Config) { c.ReadTimeout = 200 * time.Millisecond })
	s := h.openStream("", "")
	// Let the read timeout pass on an idle stream, then check it still
	// delivers: the wait is the point of the test, not a synchronisation.
	time.Sleep(600 * time.Millisecond)
	ids := h.appendNotes("late", "00EB", 1, 1)
	equalIDs(t, "after the read timeout", h.readIDs(s, 1), ids)
}

func TestCommandThatWouldRecordAnUnstatedFactIsRefusedAndWritesNothing(t *testing.T) {
	h := newHarness(t, testKinds)
	before := h.lastSequence()
	for _, tc := range []struct {
		desc  string
		body  string
		field string
	}{
		{"NUL in text", `{"subject":"00EB","text":"a\u0000b"}`, `"text"`},
		{"lone surrogate", `{"subject":"00EB","text":"\udc00"}`, `"text"`},
		{"huge number", `{"subject":"00EB","text":"x","repeat":1e308}`, `"repeat"`},
		// The same text rules hold for the request's own fields, with the
		// same status: bad text is a malformed request wherever it is.
		{"NUL in reason", `{"subject":"00EB","text":"x"},"reason":"a\u0000b"`, `reason`},
		{"bell in evidence", `{"subject":"00EB","text":"x"},"evidence":["ok","a\u0007"]`, `evidence.1`},
		{"escape in causation id", `{"subject":"00EB","text":"x"},"causation_id":"a\u001b"`, `causation_id`},
	} {
		r := h.do(req{method: "POST", path: "/v1/commands/apitest.Note", token: tokLA,
			header: map[string]string{"Idempotency-Key": "bad-" + strings.ReplaceAll(tc.desc, " ", "-")},
			body:   []byte(`{"occurred_at":"2008-06-02T10:00:00Z","command":` + tc.body + `}`)})
		var p struct{ Detail string }
		_ = json.Unmarshal(r.Body, &p)
		if r.Status != http.StatusBadRequest || !strings.Contains(p.Detail, tc.field) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.desc, r.Status, r.Body, tc.field)
		}
	}
	if after := h.lastSequence(); after != before {
		t.Fatalf("refused commands wrote to the ledger: sequence %d -> %d", before, after)
	}
}

// The 34 counties have two-character SNAC codes; the document must accept
// them as the server does (the harness validates both against it).
func TestCountyAreaCodesMatchTheDocument(t *testing.T) {
	h := newHarness(t, testKinds)
	for _, code := range []string{"20", "00EB"} {
		r := h.do(req{method: "GET", path: "/v1/areas/" + code, token: tokAuditor})
		if r.Status != http.StatusOK {
			t.Errorf("GET /v1/areas/%s: %d %s", code, r.Status, r.Body)
		}
	}
	if r := h.do(req{method: "GET", path: "/v1/areas/2", token: tokAuditor, invalid: true}); r.Status == http.StatusOK {
		t.Errorf("GET /v1/areas/2: %d, want a refusal", r.Status)
	}
}
