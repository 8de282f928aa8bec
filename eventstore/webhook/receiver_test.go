package webhook_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

// doc:begin
// receive is a webhook endpoint. secret is what the registration printed
// (whsec_…); keep stores one CloudEvent (JSON) and must ignore an id it
// has kept already: a retry or a replay repeats it.
func receive(secret string, keep func(id string, cloudEvent []byte) error) (http.HandlerFunc, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if err := keep(r.Header.Get(webhook.HeaderID), body); err != nil {
			http.Error(w, "not kept; send it again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent) // any 2xx: kept
	}, nil
}

// doc:end

// TestTheDocumentedReceiverKeepsSignedDeliveriesAndRefusesForgedOnes runs
// the receiver of docs/INTEGRATION.md, which must hold it verbatim.
func TestTheDocumentedReceiverKeepsSignedDeliveriesAndRefusesForgedOnes(t *testing.T) {
	estest.Documented(t, "receiver_test.go", "../../docs/INTEGRATION.md", "receive")

	l := estest.Open(t)
	ids, _ := appendEvents(t, l, "a", 3)
	dir := t.TempDir()
	reg, err := webhook.Register(dir, webhook.Registration{Name: "perf", URL: "http://127.0.0.1:1/"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	kept := map[string]bool{}
	all := make(chan struct{})
	h, err := receive(reg.Secret, func(id string, _ []byte) error {
		mu.Lock()
		defer mu.Unlock()
		kept[id] = true
		if len(kept) == len(ids) {
			close(all)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ep, err := reg.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	ep.URL = srv.URL
	stop := run(t, &webhook.Deliverer{Store: l.Store, Endpoint: ep})
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatal("not every event was kept")
	}
	stop()

	// Signed with another key: refused, and not kept.
	forged := ep
	forged.Secret = []byte("not-the-secret-of-this-webhook")
	if err := webhook.Send(t.Context(), srv.Client(), forged, "forged-id", []byte(`{}`), time.Now()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a forged delivery: %v, want a 401", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if kept["forged-id"] {
		t.Error("a forged delivery was kept")
	}
}
