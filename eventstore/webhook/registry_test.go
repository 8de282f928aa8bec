package webhook_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

func TestRegisteredWebhookDeadLettersAreKeptAndReplayedOnceTheEndpointRecovers(t *testing.T) {
	l := estest.Open(t)
	ids, _ := appendEvents(t, l, "a", 2)
	rcv, srv := newReceiver(t, 0)
	rcv.failing = true

	dir := t.TempDir()
	reg, err := webhook.Register(dir, webhook.Registration{Name: "perf", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reg.Secret, "whsec_") {
		t.Errorf("secret %q", reg.Secret)
	}
	if _, err := webhook.Register(dir, webhook.Registration{Name: "perf", URL: srv.URL}); !errors.Is(err, webhook.ErrExists) {
		t.Errorf("second registration: %v", err)
	}
	if _, err := webhook.Register(dir, webhook.Registration{Name: "x", URL: "ftp://example"}); err == nil {
		t.Error("an ftp URL was registered")
	}
	list, err := webhook.Load(dir)
	if err != nil || len(list) != 1 || list[0].Secret != reg.Secret {
		t.Fatalf("kept: %+v, %v", list, err)
	}
	ep, err := list[0].Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	// The receiver knows the key behind the secret the registration gave.
	old := secret
	secret = ep.Secret
	t.Cleanup(func() { secret = old })

	dead := &webhook.DeadLetters{Dir: dir}
	kept := make(chan struct{}, 10)
	d := &webhook.Deliverer{Store: l.Store, Endpoint: ep, MaxAttempts: 2, Backoff: time.Millisecond,
		DeadLetter: func(ctx context.Context, dl webhook.DeadLetter) error {
			err := dead.Keep(ctx, dl)
			kept <- struct{}{}
			return err
		}}
	stop := run(t, d)
	for range ids {
		select {
		case <-kept:
		case <-time.After(30 * time.Second):
			t.Fatal("no dead letter")
		}
	}
	stop()
	letters, err := dead.List("perf")
	if err != nil || len(letters) != len(ids) {
		t.Fatalf("dead letters: %d, %v", len(letters), err)
	}

	// Still down: replay keeps them.
	if n, left, err := dead.Replay(context.Background(), srv.Client(), ep, nil); err != nil || n != 0 || left != len(ids) {
		t.Fatalf("replay while down: %d delivered, %d left, %v", n, left, err)
	}
	rcv.mu.Lock()
	rcv.failing = false
	rcv.mu.Unlock()
	if n, left, err := dead.Replay(context.Background(), srv.Client(), ep, nil); err != nil || n != len(ids) || left != 0 {
		t.Fatalf("replay: %d delivered, %d left, %v", n, left, err)
	}
	rcv.waitDistinct(t, len(ids))
	if letters, _ := dead.List("perf"); len(letters) != 0 {
		t.Errorf("%d dead letters left after a full replay", len(letters))
	}
}

func TestADeliveryErrorMasksThePasswordInTheEndpointURL(t *testing.T) {
	_, srv := newReceiver(t, 0)
	ep := webhook.Endpoint{Name: "perf", URL: strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1), Secret: []byte("other-key")}
	err := webhook.Send(context.Background(), srv.Client(), ep, "e1", []byte(`{}`), time.Now())
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a delivery the receiver refused: %v", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error shows the URL's password: %v", err)
	}
	if got := (webhook.Registration{Name: "perf", URL: ep.URL, Secret: "whsec_c2VjcmV0"}).Public(); got.Secret != "" || strings.Contains(got.URL, "hunter2") {
		t.Errorf("public form: %+v", got)
	}
}

func TestRegisterRefusesAnUnregisteredIntegration(t *testing.T) {
	l := estest.Open(t)
	dir := t.TempDir()
	r := webhook.Registration{Name: "perf", Integration: "perf-system", URL: "http://127.0.0.1:1/"}
	_, err := webhook.Register(dir, r)
	var we *webhook.Error
	if !errors.As(err, &we) || we.Rule != "webhook.integration_unknown" || we.Code != errcode.EINVALID {
		t.Fatalf("a webhook naming no registered integration: %v", err)
	}
	if !strings.Contains(err.Error(), `integration "perf-system" is not registered (none is registered)`) {
		t.Errorf("the refusal does not say what is wrong: %v", err)
	}
	if list, _ := webhook.Load(dir); len(list) != 0 {
		t.Errorf("the refused webhook was kept: %+v", list)
	}
	if _, err := integration.Add(estest.Context(t), l.Store, dir, integration.Spec{Name: "dashboard"}); err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.Register(dir, r); err == nil || !strings.Contains(err.Error(), "registered: dashboard") {
		t.Errorf("the refusal names the registered integrations: %v", err)
	}
	if _, err := integration.Add(estest.Context(t), l.Store, dir, integration.Spec{Name: "perf-system"}); err != nil {
		t.Fatal(err)
	}
	reg, err := webhook.Register(dir, r)
	if err != nil || reg.Integration != "perf-system" {
		t.Fatalf("a webhook of a registered integration: %+v, %v", reg, err)
	}
}
