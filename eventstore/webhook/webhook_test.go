package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

var secret = []byte("whsec-test-secret")

// receiver is a webhook endpoint that verifies every request, fails the
// first failFirst of them (or all, while failing is set) with 500, and
// records the ids it accepted, in order.
type receiver struct {
	mu        sync.Mutex
	failFirst int
	failing   bool
	requests  int
	badSigs   int
	accepted  []string
	seqs      []string
	seen      map[string]bool
	distinct  chan string // each id the first time it is accepted
}

func newReceiver(t *testing.T, failFirst int) (*receiver, *httptest.Server) {
	r := &receiver{failFirst: failFirst, seen: map[string]bool{}, distinct: make(chan string, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		if err := webhook.Verify(secret, req.Header, body, time.Now(), 5*time.Minute); err != nil {
			r.badSigs++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if r.failing || r.requests <= r.failFirst {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		var ev ce.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.Validate() != nil || ev.ID() != req.Header.Get(webhook.HeaderID) {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		r.accepted = append(r.accepted, ev.ID())
		if !r.seen[ev.ID()] {
			r.seen[ev.ID()] = true
			r.seqs = append(r.seqs, fmt.Sprint(ev.Extensions()["streamseq"], ":", ev.Extensions()["streamindex"]))
			r.distinct <- ev.ID()
		}
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

// waitDistinct waits for n new distinct ids.
func (r *receiver) waitDistinct(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for range n {
		select {
		case <-r.distinct:
		case <-deadline:
			t.Fatalf("timed out waiting for deliveries")
		}
	}
}

// appendEvents appends commits of two events each and returns the ids of
// all the events, in stream order, and their <seq>:<index>.
func appendEvents(t *testing.T, l *estest.Ledger, prefix string, commits int) (ids, pos []string) {
	t.Helper()
	ctx := estest.Context(t)
	for i := range commits {
		agg := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("00E%d/2008-11", i%3)}
		h, err := l.Store.Load(ctx, agg)
		if err != nil {
			t.Fatal(err)
		}
		ev := eventstore.Event{Type: "laa.Noted", SchemaVersion: 1, Data: json.RawMessage(`{"n":1}`),
			Actor: eventstore.Actor{ID: "a", Role: "r", Organisation: "o"}, OccurredAt: time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)}
		res, err := l.Store.Append(ctx, agg, h.Version, []eventstore.Event{ev, ev}, fmt.Sprint(prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		for j, e := range res.Events {
			ids = append(ids, e.EventID)
			pos = append(pos, fmt.Sprint(res.Sequence, ":", j))
		}
	}
	return ids, pos
}

func run(t *testing.T, d *webhook.Deliverer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop = func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("deliverer: %v", err)
		}
	}
	t.Cleanup(func() {
		select {
		case <-ctx.Done():
		default:
			stop()
		}
	})
	return stop
}

func TestWebhookRetriesUntilTheEndpointRecoversAndDeliversInOrder(t *testing.T) {
	l := estest.Open(t)
	ids, pos := appendEvents(t, l, "a", 4)
	rcv, srv := newReceiver(t, 5)
	d := &webhook.Deliverer{Store: l.Store, Endpoint: webhook.Endpoint{Name: "perf", URL: srv.URL, Secret: secret},
		Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond}
	stop := run(t, d)
	rcv.waitDistinct(t, len(ids))
	// Live events follow.
	more, morePos := appendEvents(t, l, "b", 2)
	rcv.waitDistinct(t, len(more))
	stop()

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.badSigs != 0 {
		t.Errorf("%d requests failed verification", rcv.badSigs)
	}
	if got, want := fmt.Sprint(rcv.seqs), fmt.Sprint(append(pos, morePos...)); got != want {
		t.Errorf("delivery order:\n got %s\nwant %s", got, want)
	}
	if rcv.requests < len(ids)+len(more)+5 {
		t.Errorf("%d requests: the five failures were not retried", rcv.requests)
	}
}

func TestWebhookResumesAfterARestartWithNothingLost(t *testing.T) {
	l := estest.Open(t)
	ids, _ := appendEvents(t, l, "a", 3)
	rcv, srv := newReceiver(t, 0)
	// The stop leaves a fetch behind on the server, which takes the next
	// commit; a short AckWait brings it back soon.
	d := &webhook.Deliverer{Store: l.Store, Endpoint: webhook.Endpoint{Name: "perf", URL: srv.URL, Secret: secret}, AckWait: time.Second}
	stop := run(t, d)
	rcv.waitDistinct(t, len(ids))
	stop()

	missed, _ := appendEvents(t, l, "b", 3)
	l.Restart()
	d.Store = l.Store
	stop = run(t, d)
	rcv.waitDistinct(t, len(missed))
	stop()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, id := range append(ids, missed...) {
		if !rcv.seen[id] {
			t.Errorf("event %s never delivered", id)
		}
	}
	// At least once: a repeat is possible only for a commit in flight at
	// the stop; the receiver's idempotency key is webhook-id.
	if extra := len(rcv.accepted) - len(rcv.seen); extra > 2 {
		t.Errorf("%d repeated deliveries", extra)
	}
}

func TestWebhookDeadLettersAfterTheLastAttemptAndReplays(t *testing.T) {
	l := estest.Open(t)
	ids, _ := appendEvents(t, l, "a", 2)
	rcv, srv := newReceiver(t, 0)
	rcv.failing = true
	dead := make(chan webhook.DeadLetter, 10)
	ep := webhook.Endpoint{Name: "down", URL: srv.URL, Secret: secret}
	d := &webhook.Deliverer{Store: l.Store, Endpoint: ep, MaxAttempts: 3, Backoff: time.Millisecond,
		DeadLetter: func(_ context.Context, dl webhook.DeadLetter) error { dead <- dl; return nil }}
	stop := run(t, d)
	var letters []webhook.DeadLetter
	for range ids {
		select {
		case dl := <-dead:
			if dl.Attempts != 3 {
				t.Errorf("dead letter after %d attempts", dl.Attempts)
			}
			letters = append(letters, dl)
		case <-time.After(30 * time.Second):
			t.Fatal("no dead letter")
		}
	}
	stop()

	rcv.mu.Lock()
	rcv.failing = false
	rcv.mu.Unlock()
	for _, dl := range letters {
		if err := webhook.Send(context.Background(), srv.Client(), ep, dl.EventID, dl.Body, time.Now()); err != nil {
			t.Fatalf("replay %s: %v", dl.EventID, err)
		}
	}
	rcv.waitDistinct(t, len(ids))
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for _, id := range ids {
		if !rcv.seen[id] {
			t.Errorf("event %s not replayed", id)
		}
	}
}

func TestVerifyRefusesATamperedOrStaleDelivery(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"e1"}`)
	h := http.Header{}
	h.Set(webhook.HeaderID, "e1")
	h.Set(webhook.HeaderTimestamp, fmt.Sprint(now.Unix()))
	h.Set(webhook.HeaderSignature, "v1,bm90LWl0 "+webhook.Sign(secret, "e1", now, body))
	for _, tc := range []struct {
		desc   string
		secret []byte
		body   string
		now    time.Time
		want   error
	}{
		{"as sent, one of two signatures", secret, string(body), now, nil},
		{"another secret", []byte("other"), string(body), now, webhook.ErrBadSignature},
		{"body changed", secret, `{"id":"e2"}`, now, webhook.ErrBadSignature},
		{"too old", secret, string(body), now.Add(10 * time.Minute), webhook.ErrStale},
	} {
		if err := webhook.Verify(tc.secret, h, []byte(tc.body), tc.now, 5*time.Minute); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.desc, err, tc.want)
		}
	}
}

// A redirect is an answer that is not 2xx: the delivery fails, saying so,
// and the signed headers go nowhere else; even a client that would follow
// redirects does not.
func TestSendDoesNotFollowARedirect(t *testing.T) {
	var landed sync.Mutex
	landings := 0
	landing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		landed.Lock()
		landings++
		landed.Unlock()
	}))
	defer landing.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, landing.URL+"/landing", http.StatusFound)
	}))
	defer hook.Close()

	ep := webhook.Endpoint{Name: "wr", URL: hook.URL + "/hook", Secret: secret}
	err := webhook.Send(context.Background(), &http.Client{Timeout: 5 * time.Second}, ep, "e1", []byte(`{"id":"e1"}`), time.Now())
	if err == nil || !strings.Contains(err.Error(), "answered 302, a redirect") {
		t.Fatalf("delivery to a redirect: %v, want it to fail naming the redirect", err)
	}
	landed.Lock()
	defer landed.Unlock()
	if landings != 0 {
		t.Errorf("the redirect was followed %d times", landings)
	}
}
