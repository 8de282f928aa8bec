package webhook_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"

	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

// managerKey is the secret of the webhooks the manager tests register.
var managerKey = []byte("0123456789abcdef0123456789abcdef")

var managerSecret = "whsec_" + base64.StdEncoding.EncodeToString(managerKey)

// seqReceiver is a webhook endpoint that records the stream sequence of
// each event it accepts. While failing it answers 500; while gate is set
// each request first reports itself on entered and then waits for gate.
type seqReceiver struct {
	srv *httptest.Server

	mu      sync.Mutex
	failing bool
	gate    chan struct{}
	entered chan struct{}     // buffered beyond the letters a test sends
	seqs    map[string]uint64 // event id → stream sequence
}

func newSeqReceiver(t *testing.T) *seqReceiver {
	r := &seqReceiver{seqs: map[string]uint64{}, entered: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		gate, failing := r.gate, r.failing
		r.mu.Unlock()
		if gate != nil {
			r.entered <- struct{}{}
			<-gate
		}
		if err := webhook.Verify(managerKey, req.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if failing {
			http.Error(w, "not now", http.StatusInternalServerError)
			return
		}
		var ev ce.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		var seq uint64
		fmt.Sscan(fmt.Sprint(ev.Extensions()["streamseq"]), &seq)
		r.mu.Lock()
		r.seqs[ev.ID()] = seq
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *seqReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seqs)
}

// commits returns the distinct stream sequences received, in order.
func (r *seqReceiver) commits() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := map[uint64]bool{}
	for _, s := range r.seqs {
		set[s] = true
	}
	out := make([]uint64, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func startManager(t *testing.T, l *estest.Ledger) (*webhook.Manager, string) {
	t.Helper()
	dir := t.TempDir()
	m := webhook.NewManager(webhook.ManagerConfig{Store: l.Store, DataDir: dir,
		Tune: func(d *webhook.Deliverer) {
			d.MaxAttempts, d.Backoff, d.MaxBackoff = 1, time.Millisecond, time.Millisecond
		}})
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Wait() })
	return m, dir
}

func TestManagerStartsDeliveriesWhereTheRegistrationSays(t *testing.T) {
	l := estest.Open(t)
	appendEvents(t, l, "a", 3) // commits 1 to 3, two events each
	cut := time.Now()
	m, _ := startManager(t, l)
	ctx := estest.Context(t)
	rcv := map[string]*seqReceiver{}
	add := func(name string, r webhook.Registration) webhook.Registration {
		rcv[name] = newSeqReceiver(t)
		r.Name, r.URL, r.Secret = name, rcv[name].srv.URL, managerSecret
		reg, err := m.Add(ctx, r)
		if err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		return reg
	}
	add("all", webhook.Registration{})
	add("from2", webhook.Registration{Start: webhook.Start{FromSequence: 2}})
	add("after", webhook.Registration{Start: webhook.Start{FromTime: &cut}})
	reg := add("new", webhook.Registration{Start: webhook.Start{NewOnly: true}})
	if reg.FromSequence != 4 || reg.NewOnly {
		t.Errorf("new events only is kept as the sequence after the ledger's last: %+v", reg)
	}
	if got, _ := m.Get("new"); got.FromSequence != 4 {
		t.Errorf("the registry holds from_sequence %d, want 4", got.FromSequence)
	}
	appendEvents(t, l, "b", 2) // commits 4 and 5

	want := map[string][]uint64{"all": {1, 2, 3, 4, 5}, "from2": {2, 3, 4, 5}, "after": {4, 5}, "new": {4, 5}}
	for name, seqs := range want {
		estest.WaitFor(t, name+"'s deliveries", func() bool { return rcv[name].count() == 2*len(seqs) })
	}
	// Deliveries are in stream order, so an earlier commit delivered by
	// mistake came before the last expected one.
	for name, seqs := range want {
		if got := rcv[name].commits(); fmt.Sprint(got) != fmt.Sprint(seqs) {
			t.Errorf("%s: commits %v delivered, want %v", name, got, seqs)
		}
	}

	for _, tc := range []struct {
		desc string
		r    webhook.Registration
	}{
		{"two starts", webhook.Registration{Start: webhook.Start{FromSequence: 2, NewOnly: true}}},
		{"beyond the ledger", webhook.Registration{Start: webhook.Start{FromSequence: 7}}},
		{"zero time", webhook.Registration{Start: webhook.Start{FromTime: &time.Time{}}}},
	} {
		tc.r.Name, tc.r.URL = "bad", "http://127.0.0.1:1/"
		_, err := m.Add(ctx, tc.r)
		var we *webhook.Error
		if !errors.As(err, &we) || we.Rule != "webhook.start" {
			t.Errorf("%s: %v, want a webhook.start refusal", tc.desc, err)
		}
	}
	if _, err := m.Get("bad"); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("a refused start registered the webhook: %v", err)
	}
}

// A replay of dead letters racing the webhook's removal: the removal does
// not wait for the receiver, and the replay, finding the webhook gone,
// leaves no dead-letter file behind for a webhook registered later under
// the same name.
func TestReplayRacingRemoveLeavesNoDeadLetters(t *testing.T) {
	l := estest.Open(t)
	ids, _ := appendEvents(t, l, "a", 2)
	m, dir := startManager(t, l)
	ctx := estest.Context(t)
	rcv := newSeqReceiver(t)
	rcv.failing = true
	if _, err := m.Add(ctx, webhook.Registration{Name: "down", URL: rcv.srv.URL, Secret: managerSecret}); err != nil {
		t.Fatal(err)
	}
	estest.WaitFor(t, "the dead letters", func() bool {
		list, err := m.DeadLetters("down")
		return err == nil && len(list) == len(ids)
	})
	if _, err := m.SetDisabled("down", true); err != nil {
		t.Fatal(err)
	}

	gate := make(chan struct{})
	rcv.mu.Lock()
	rcv.gate, rcv.failing = gate, false
	rcv.mu.Unlock()
	var released sync.Once
	release := func() { released.Do(func() { close(gate) }) }
	t.Cleanup(release)
	replayed := make(chan error, 1)
	go func() {
		_, _, err := m.Replay(context.Background(), "down")
		replayed <- err
	}()
	select {
	case <-rcv.entered: // the replay is sending its first letter
	case <-time.After(30 * time.Second):
		t.Fatal("the replay sent nothing")
	}
	removed := make(chan error, 1)
	go func() { removed <- m.Remove(context.Background(), "down") }()
	select {
	case err := <-removed:
		if err != nil {
			t.Fatalf("remove: %v", err)
		}
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("remove waited for the replay's receiver")
	}
	release() // the gate stays open: the other letter passes it
	select {
	case err := <-replayed:
		if !errors.Is(err, webhook.ErrNotFound) {
			t.Errorf("a replay that outlived its webhook: %v, want not found", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the replay did not end")
	}
	path := filepath.Join(dir, "webhook-dead", "down.jsonl")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead-letter file of the removed webhook: %v", err)
	}
	if _, err := m.Add(ctx, webhook.Registration{Name: "down", URL: rcv.srv.URL, Secret: managerSecret, Start: webhook.Start{NewOnly: true}}); err != nil {
		t.Fatal(err)
	}
	if list, err := m.DeadLetters("down"); err != nil || len(list) != 0 {
		t.Errorf("the webhook registered again under the name has %d dead letters (%v)", len(list), err)
	}
}
