package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/webhook"
)

// BenchmarkWebhookDeliveries measures signed deliveries per second from a
// ledger of N one-event commits to a local httptest receiver that verifies
// every signature, through the deliverer (durable consumer, one commit in
// flight, acknowledged after its delivery). In the same run, the same
// requests posted in a plain loop (signing and HTTP, no ledger) give the
// ceiling. LAALEDGER_BENCH_EVENTS sets N (default 5,000).
func BenchmarkWebhookDeliveries(b *testing.B) {
	n := estest.BenchEvents(5_000)
	l := estest.Open(b, func(c *eventstore.Config) { c.SyncInterval = time.Minute })
	ctx := estest.Context(b)
	ev := eventstore.Event{Type: "laa.TargetProposed", SchemaVersion: 1, OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC),
		Actor: eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"},
		Data:  json.RawMessage(`{"indicator":112,"kind":"designated","baseline":{"value":1.5,"year":"2006/07","source":"ONS conception statistics"},"values":{"2008/09":1.1,"2009/10":1.2,"2010/11":1.3},"rationale":"Reduce under-18 conceptions in line with the national strategy."}`)}
	for i := range n {
		agg := eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("B%d/2008-11", i)}
		if _, err := l.Store.Append(ctx, agg, 0, []eventstore.Event{ev}, fmt.Sprint("c", i)); err != nil {
			b.Fatal(err)
		}
	}
	var received, bad atomic.Int64
	done := make(chan struct{}, 1)
	var want atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			bad.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if received.Add(1) == want.Load() {
			done <- struct{}{}
		}
	}))
	b.Cleanup(rcv.Close)
	ep := webhook.Endpoint{URL: rcv.URL, Secret: secret}

	for i := range b.N {
		// The ceiling: the same signed requests, no ledger.
		c, err := l.Store.Load(ctx, eventstore.Aggregate{Kind: "laa", ID: "B0/2008-11"})
		if err != nil {
			b.Fatal(err)
		}
		var m cloudevent.Mapper
		body := m.Marshal(&c.Events[0], 0)
		client := rcv.Client()
		want.Store(-1) // the plain posts signal nothing
		start := time.Now()
		for range n {
			if err := webhook.Send(ctx, client, ep, c.Events[0].EventID, body, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		plain := float64(n) / time.Since(start).Seconds()

		received.Store(0)
		want.Store(int64(n))
		ep.Name = fmt.Sprint("bench-", i)
		d := &webhook.Deliverer{Store: l.Store, Endpoint: ep, Client: client}
		runCtx, cancel := context.WithCancel(ctx)
		stopped := make(chan error, 1)
		start = time.Now()
		go func() { stopped <- d.Run(runCtx) }()
		select {
		case <-done:
		case <-ctx.Done():
			b.Fatalf("%d of %d delivered", received.Load(), n)
		}
		rate := float64(n) / time.Since(start).Seconds()
		cancel()
		<-stopped
		if bad.Load() != 0 {
			b.Fatalf("%d bad signatures", bad.Load())
		}
		b.ReportMetric(rate, "deliveries/s")
		b.ReportMetric(plain, "plain-posts/s")
		b.ReportMetric(rate/plain, "deliveries/plain")
	}
}
