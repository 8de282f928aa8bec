package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// doc:begin
// follow reads the ledger as CloudEvents through an integration's own
// consumer until ctx ends. apply must be idempotent by ev.ID(): what was
// not acknowledged when a reader stopped comes again.
func follow(ctx context.Context, url, user, password, inboxPrefix, consumer string,
	apply func(event.Event) error, opts ...nats.Option) error {
	opts = append(opts, nats.UserInfo(user, password), nats.CustomInboxPrefix(inboxPrefix))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cons, err := js.Consumer(ctx, "LEDGER", consumer)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		return err
	}
	defer msgs.Stop()
	var m cloudevent.Mapper // serve's --cloudevents-source, if not the default
	var buf []byte
	var last jetstream.Msg // the last commit applied and not yet acknowledged
	for n := 1; ; n++ {
		wait, cancel := context.WithTimeout(ctx, time.Second)
		msg, err := msgs.Next(jetstream.NextContext(wait))
		cancel()
		if err != nil {
			if last != nil { // idle or stopping: acknowledge what was applied
				_ = last.Ack()
				last = nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) {
				continue
			}
			return err
		}
		meta, err := msg.Metadata()
		if err != nil {
			return err
		}
		// One message is one command's commit: its events, in order.
		c, err := eventstore.DecodeCommit(msg.Data(), meta.Sequence.Stream)
		if err != nil {
			return err
		}
		for i := range c.Events {
			buf = m.AppendJSON(buf[:0], &c.Events[i], i)
			var ev event.Event
			if err := json.Unmarshal(buf, &ev); err != nil {
				return err
			}
			if err := apply(ev); err != nil {
				return err
			}
		}
		last = msg
		if n%500 == 0 { // AckAll: acknowledges every commit before it too
			if err := msg.DoubleAck(ctx); err != nil {
				return err
			}
			last = nil
		}
	}
}

// doc:end

// TestTheDocumentedIntegratorReadsEveryEventAndAcknowledgesWhenIdle runs
// the Go program of docs/INTEGRATION.md, which must hold it verbatim.
func TestTheDocumentedIntegratorReadsEveryEventAndAcknowledgesWhenIdle(t *testing.T) {
	estest.Documented(t, "follow_test.go", "../../docs/INTEGRATION.md", "follow")

	l := openListening(t)
	appendCommits(t, l, "a", 3)
	ctx := estest.Context(t)
	cred := addIntegration(t, l, integration.Spec{Name: "dashboard"})
	l.Restart()
	got := make(chan event.Event, 100)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- follow(runCtx, l.Server().ClientURL(), cred.User, cred.Password, cred.InboxPrefix, cred.Consumer,
			func(ev event.Event) error { got <- ev; return nil }, slowAuth)
	}()
	next := func() event.Event {
		select {
		case ev := <-got:
			return ev
		case err := <-done:
			t.Fatalf("follow stopped: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("no event")
		}
		return event.Event{}
	}
	for range 3 {
		if ev := next(); ev.Validate() != nil || ev.Subject() != "00EB/2008-11" {
			t.Errorf("event %+v", ev)
		}
	}
	appendCommits(t, l, "b", 2)
	for range 2 {
		next()
	}
	// Idle, it acknowledges the last commit it applied.
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := l.JetStream().Consumer(ctx, cred.Stream, cred.Consumer)
		if err != nil {
			t.Fatal(err)
		}
		if c.CachedInfo().AckFloor.Stream == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acknowledged up to %d, want %d", c.CachedInfo().AckFloor.Stream, last)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("follow: %v", err)
	}
}
