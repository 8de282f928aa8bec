package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/laaledger/laaledger/eventstore/estest"
)

func TestLogsCarryCorrelationIDsAndNoTokens(t *testing.T) {
	var logs estest.LogBuffer
	h := newHarness(t, testKinds, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h.command(tokLA, "apitest.Note", "log-1", note("00EB", "x"), map[string]string{"X-Correlation-ID": "corr-log-test"})
	h.do(req{method: "GET", path: "/v1/whoami", token: "a-wrong-token-that-must-not-be-logged"})
	out := logs.String()
	if !strings.Contains(out, `"correlation_id":"corr-log-test"`) || !strings.Contains(out, `"actor":"demo.la.hartlepool"`) {
		t.Errorf("request log lacks correlation id or actor:\n%s", out)
	}
	for _, tok := range []string{tokLA, "a-wrong-token-that-must-not-be-logged"} {
		if strings.Contains(out, tok) {
			t.Errorf("a token reached the log:\n%s", out)
		}
	}
}

func TestWrongMethodIsAProblem(t *testing.T) {
	h := newHarness(t, testKinds)
	r := h.do(req{method: "DELETE", path: "/v1/areas/00EB", token: tokLA})
	if r.Status != http.StatusMethodNotAllowed || r.problem(t).Code != "method_not_allowed" || r.Header.Get("Allow") != "GET" {
		t.Errorf("%d %s %s", r.Status, r.Header.Get("Allow"), r.Body)
	}
	r = h.do(req{method: "GET", path: "/v1/commands/apitest.Note", token: tokLA})
	if r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("%d %s", r.Status, r.Body)
	}
	r = h.do(req{method: "GET", path: "/v2/nothing", token: tokLA})
	if r.Status != http.StatusNotFound || r.problem(t).Code != "not_found" {
		t.Errorf("%d %s", r.Status, r.Body)
	}
}

func TestStopStreamsEndsOpenStreams(t *testing.T) {
	h := newHarness(t, testKinds)
	s := h.openStream("", "")
	h.api.StopStreams()
	if _, err := io.Copy(io.Discard, s.rd); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}

func TestReadinessFollowsTheProvidedCheck(t *testing.T) {
	var mu sync.Mutex
	caughtUp := false
	h := newHarness(t, testKinds, func(c *Config) {
		c.Ready = func(ctx context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			if !caughtUp {
				return errors.New("projections at sequence 3 of 9")
			}
			return nil
		}
	})
	r := h.do(req{method: "GET", path: "/readyz"})
	if r.Status != 503 || r.problem(t).Code != "not_ready" {
		t.Errorf("%d %s", r.Status, r.Body)
	}
	mu.Lock()
	caughtUp = true
	mu.Unlock()
	if r := h.do(req{method: "GET", path: "/readyz"}); r.Status != 200 {
		t.Errorf("%d %s", r.Status, r.Body)
	}
}
