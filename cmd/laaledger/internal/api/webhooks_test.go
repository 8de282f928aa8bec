package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

const tokOperator = "demo-operator-laaledger"

// testIntegrations are registered in the data directory of withWebhooks.
var testIntegrations = []string{"perf", "perf-system", "other"}

// withWebhooks gives the server a webhook manager over its ledger, with
// fast retries, running until the test ends; server and manager log to
// log.
func withWebhooks(t *testing.T, log *estest.LogBuffer) harnessOpt {
	return func(c *Config) {
		logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		dir := t.TempDir()
		// The integrations the tests' webhooks name (a webhook may name
		// only a registered one).
		for _, name := range testIntegrations {
			if _, err := integration.Add(context.Background(), c.Feed.(*eventstore.Store), dir, integration.Spec{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		m := webhook.NewManager(webhook.ManagerConfig{Store: c.Feed.(*eventstore.Store), DataDir: dir, Logger: logger,
			Tune: func(d *webhook.Deliverer) {
				d.MaxAttempts, d.Backoff, d.MaxBackoff = 3, time.Millisecond, 4*time.Millisecond
			}})
		ctx, cancel := context.WithCancel(context.Background())
		if err := m.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); m.Wait() })
		c.Webhooks, c.Logger = m, logger
	}
}

// hookReceiver is a webhook endpoint that verifies every signature with
// the key it is given, answers 500 while failing, and records each event
// it accepts by aggregate.
type hookReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	key      []byte
	failing  bool
	badSigs  int
	requests int
	seen     map[string]bool
	versions map[string][]int // aggregate id → aggregate versions, in arrival order
	changed  chan struct{}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{seen: map[string]bool{}, versions: map[string][]int{}, changed: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		if r.key == nil || webhook.Verify(r.key, req.Header, body, time.Now(), 5*time.Minute) != nil {
			r.badSigs++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.failing {
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
			return
		}
		var ev ce.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID() != req.Header.Get(webhook.HeaderID) {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		if !r.seen[ev.ID()] {
			r.seen[ev.ID()] = true
			v, _ := strconv.Atoi(fmt.Sprint(ev.Extensions()["aggversion"]))
			r.versions[ev.Subject()] = append(r.versions[ev.Subject()], v)
		}
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) setKey(t *testing.T, secret string) {
	t.Helper()
	ep, err := webhook.Registration{Name: "k", Secret: secret}.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.key = ep.Secret
	r.mu.Unlock()
}

func (r *hookReceiver) setFailing(v bool) {
	r.mu.Lock()
	r.failing = v
	r.mu.Unlock()
}

func (r *hookReceiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// notes records commits of three events each on two aggregates and
// returns how many events that made.
func notes(h *harness, prefix string, commits int) int {
	h.t.Helper()
	for i := range commits {
		subject := []string{"00EB", "00AC"}[i%2]
		r := h.command(tokAC, "apitest.Note", fmt.Sprint(prefix, i), apiNote{Subject: subject, Text: "n", Repeat: 3}, nil)
		if r.Status != http.StatusCreated {
			h.t.Fatalf("note: %d %s", r.Status, r.Body)
		}
	}
	return 3 * commits
}

func (h *harness) createWebhook(body map[string]any) WebhookCreated {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/v1/webhooks", token: tokOperator, body: mustJSON(h.t, body)})
	if r.Status != http.StatusCreated {
		h.t.Fatalf("create webhook: %d %s", r.Status, r.Body)
	}
	var c WebhookCreated
	r.decode(h.t, &c)
	return c
}

func (h *harness) webhookStatus(name string) webhook.Status {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/v1/webhooks/" + name + "/status", token: tokOperator})
	if r.Status != http.StatusOK {
		h.t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	var st webhook.Status
	r.decode(h.t, &st)
	return st
}

func TestWebhookRegisteredThroughTheAPIDeliversSignedEventsInOrderUntilDeleted(t *testing.T) {
	var log estest.LogBuffer
	h := newHarness(t, testKinds, withWebhooks(t, &log))
	before := notes(h, "a", 4)
	perf, ctl := newHookReceiver(t), newHookReceiver(t)

	created := h.createWebhook(map[string]any{"name": "perf", "integration": "perf-system", "url": perf.srv.URL})
	if !strings.HasPrefix(created.Secret, "whsec_") || created.Integration != "perf-system" || !created.Enabled {
		t.Fatalf("created: %+v", created.Webhook)
	}
	perf.setKey(t, created.Secret)
	// Registration took effect in the running server: the history, then
	// live events.
	estest.WaitFor(t, "the history", func() bool { return perf.distinct() == before })
	live := notes(h, "b", 2)
	estest.WaitFor(t, "live events", func() bool { return perf.distinct() == before+live })

	// Neither list nor show nor the log gives the secret out.
	for _, path := range []string{"/v1/webhooks", "/v1/webhooks?integration=perf-system", "/v1/webhooks/perf"} {
		r := h.do(req{method: "GET", path: path, token: tokOperator})
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"perf"`) {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), created.Secret) || strings.Contains(string(r.Body), "whsec_") {
			t.Errorf("GET %s shows the secret: %s", path, r.Body)
		}
	}
	var other WebhookList
	h.do(req{method: "GET", path: "/v1/webhooks?integration=someone-else", token: tokOperator}).decode(t, &other)
	if len(other.Webhooks) != 0 {
		t.Errorf("another integration's list: %+v", other.Webhooks)
	}

	// Delete: when the answer comes, deliveries have stopped. A second
	// webhook, registered after, proves later events were delivered.
	if r := h.do(req{method: "DELETE", path: "/v1/webhooks/perf", token: tokOperator}); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	perf.mu.Lock()
	requestsAtDelete := perf.requests
	perf.mu.Unlock()
	c := h.createWebhook(map[string]any{"name": "control", "integration": "perf-system", "url": ctl.srv.URL})
	ctl.setKey(t, c.Secret)
	after := notes(h, "c", 2)
	estest.WaitFor(t, "the control webhook", func() bool { return ctl.distinct() == before+live+after })
	h.do(req{method: "GET", path: "/v1/webhooks/perf", token: tokOperator}).wantProblem(t, http.StatusNotFound, "webhook.not_found")

	perf.mu.Lock()
	defer perf.mu.Unlock()
	if perf.requests != requestsAtDelete {
		t.Errorf("%d requests after the webhook was deleted", perf.requests-requestsAtDelete)
	}
	if perf.badSigs != 0 {
		t.Errorf("%d deliveries failed signature verification", perf.badSigs)
	}
	for agg, vs := range perf.versions {
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("aggregate %s: versions out of order: %v", agg, vs)
				break
			}
		}
	}
	if len(perf.versions) != 2 {
		t.Errorf("events of %d aggregates, want 2", len(perf.versions))
	}
	if strings.Contains(log.String(), created.Secret) || strings.Contains(log.String(), c.Secret) {
		t.Error("the log holds a webhook secret")
	}
}

func TestWebhookStatusShowsAFailingEndpointAndReplayDeliversTheDeadLetters(t *testing.T) {
	var log estest.LogBuffer
	h := newHarness(t, testKinds, withWebhooks(t, &log))
	rcv := newHookReceiver(t)
	rcv.setFailing(true)
	// A secret of the caller's own is kept and used.
	secret := "whsec_" + "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	rcv.setKey(t, secret)
	created := h.createWebhook(map[string]any{"name": "down", "integration": "perf", "url": rcv.srv.URL, "secret": secret})
	if created.Secret != secret {
		t.Fatalf("secret %q, want the one given", created.Secret)
	}
	n := notes(h, "a", 2)
	last := h.lastSequence()

	// Three attempts per event (the test's setting), then a dead letter.
	var st webhook.Status
	// A commit is acknowledged after its dead letters are kept.
	estest.WaitFor(t, "dead letters", func() bool {
		st = h.webhookStatus("down")
		return st.DeadLetters == n && st.PendingCommits == 0
	})
	if !st.Running || st.LastSequence != last || st.PendingCommits != 0 || st.Delivered != 0 ||
		st.FailedAttempts != uint64(3*n) || !strings.Contains(st.LastError, "500") || st.LastErrorAt == nil {
		t.Errorf("status of a failing endpoint: %+v", st)
	}
	var dead WebhookDeadLetters
	h.do(req{method: "GET", path: "/v1/webhooks/down/dead-letters", token: tokOperator}).decode(t, &dead)
	if len(dead.DeadLetters) != n || dead.DeadLetters[0].Attempts != 3 || dead.DeadLetters[0].Sequence == 0 {
		t.Fatalf("dead letters: %+v", dead.DeadLetters)
	}

	// Still down: the replay keeps them.
	var rep WebhookReplay
	h.do(req{method: "POST", path: "/v1/webhooks/down/dead-letters/replay", token: tokOperator}).decode(t, &rep)
	if rep.Delivered != 0 || rep.Remaining != n {
		t.Errorf("replay while down: %+v", rep)
	}
	rcv.setFailing(false)
	h.do(req{method: "POST", path: "/v1/webhooks/down/dead-letters/replay", token: tokOperator}).decode(t, &rep)
	if rep.Delivered != n || rep.Remaining != 0 {
		t.Errorf("replay after recovery: %+v", rep)
	}
	if got := rcv.distinct(); got != n {
		t.Errorf("%d events received after the replay, want %d", got, n)
	}
	if st := h.webhookStatus("down"); st.DeadLetters != 0 {
		t.Errorf("%d dead letters left", st.DeadLetters)
	}

	// Disabled, the webhook waits at its position; enabled, it resumes.
	r := h.do(req{method: "PATCH", path: "/v1/webhooks/down", token: tokOperator, body: []byte(`{"enabled":false}`)})
	var w Webhook
	r.decode(t, &w)
	if r.Status != http.StatusOK || w.Enabled {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	more := notes(h, "b", 1)
	if st := h.webhookStatus("down"); st.Running || st.PendingCommits != 1 {
		t.Errorf("disabled: %+v", st)
	}
	h.do(req{method: "PATCH", path: "/v1/webhooks/down", token: tokOperator, body: []byte(`{"enabled":true}`)})
	estest.WaitFor(t, "deliveries after enabling", func() bool { return rcv.distinct() == n+more })
}

func TestWebhookRoutesAreTheOperatorsAndRefuseBadRegistrations(t *testing.T) {
	var log estest.LogBuffer
	h := newHarness(t, testKinds, withWebhooks(t, &log))
	ok := map[string]any{"name": "perf", "integration": "perf", "url": "http://127.0.0.1:1/hook"}
	for _, r := range []req{
		{method: "GET", path: "/v1/webhooks"},
		{method: "POST", path: "/v1/webhooks", body: mustJSON(t, ok)},
		{method: "GET", path: "/v1/webhooks/perf"},
		{method: "DELETE", path: "/v1/webhooks/perf"},
		{method: "GET", path: "/v1/webhooks/perf/status"},
		{method: "POST", path: "/v1/webhooks/perf/dead-letters/replay"},
	} {
		r.invalid = true // no token: the document requires one
		h.do(r).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		r.invalid = false
		for _, tok := range []string{tokAuditor, tokIntegration, tokMinister, tokLA} {
			r.token = tok
			h.do(r).wantProblem(t, http.StatusForbidden, "webhook.operator_only")
		}
	}
	var list WebhookList
	h.do(req{method: "GET", path: "/v1/webhooks", token: tokOperator}).decode(t, &list)
	if len(list.Webhooks) != 0 {
		t.Fatalf("a refused request registered a webhook: %+v", list.Webhooks)
	}

	with := func(kv ...any) []byte {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			k, v := kv[i].(string), kv[i+1]
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return mustJSON(t, m)
	}
	for _, tc := range []struct {
		desc    string
		body    []byte
		status  int
		code    string
		invalid bool
	}{
		{"bad name", with("name", "Perf!"), 422, "webhook.name", false},
		{"no integration", with("integration", nil), 422, "webhook.integration", true},
		{"ftp URL", with("url", "ftp://example.org/x"), 422, "webhook.url", false},
		{"short secret", with("secret", "whsec_c2hvcnQ="), 422, "webhook.secret", false},
		{"secret without prefix", with("secret", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="), 422, "webhook.secret", false},
		{"filter outside the ledger", with("filter", "$JS.API.>"), 422, "webhook.filter", false},
		{"bad type", with("types", []string{"TargetAgreed"}), 422, "webhook.type", false},
		{"a type the ledger does not have", with("types", []string{"laa.Nope"}), 422, "webhook.type", false},
		{"unregistered integration", with("integration", "nobody"), 422, "webhook.integration_unknown", false},
		{"two starts", with("new_only", true, "from_sequence", 1), 422, "webhook.start", false},
		{"start beyond the ledger", with("from_sequence", 1_000_000), 422, "webhook.start", false},
		{"start not a time", with("from_time", "yesterday"), 400, "bad_json", true},
		{"unknown field", with("colour", "red"), 400, "bad_json", true},
		{"not JSON", []byte(`{"name":`), 400, "bad_json", true},
	} {
		r := h.do(req{method: "POST", path: "/v1/webhooks", token: tokOperator, body: tc.body, invalid: tc.invalid})
		if r.Status != tc.status || r.problem(t).Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.desc, r.Status, r.Body, tc.status, tc.code)
		}
		if strings.Contains(string(r.Body), "MDEyMzQ1") {
			t.Errorf("%s: the problem repeats the secret: %s", tc.desc, r.Body)
		}
	}
	h.createWebhook(ok)
	h.do(req{method: "POST", path: "/v1/webhooks", token: tokOperator, body: with("integration", "other")}).
		wantProblem(t, http.StatusConflict, "webhook.exists")
	for _, r := range []req{
		{method: "GET", path: "/v1/webhooks/nobody"},
		{method: "DELETE", path: "/v1/webhooks/nobody"},
		{method: "GET", path: "/v1/webhooks/nobody/status"},
		{method: "GET", path: "/v1/webhooks/nobody/dead-letters"},
		{method: "POST", path: "/v1/webhooks/nobody/dead-letters/replay"},
	} {
		r.token = tokOperator
		h.do(r).wantProblem(t, http.StatusNotFound, "webhook.not_found")
	}
	h.do(req{method: "PUT", path: "/v1/webhooks/perf", token: tokOperator, body: []byte(`{}`)}).wantProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestWebhookRoutesWithoutDeliveriesAnswerUnavailable(t *testing.T) {
	h := newHarness(t, testKinds)
	h.do(req{method: "GET", path: "/v1/webhooks", token: tokOperator}).wantProblem(t, http.StatusServiceUnavailable, "unavailable")
}
