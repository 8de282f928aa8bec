package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// BenchmarkIntegrationConsumers measures ten integration users reading
// the whole ledger at once, each through its own durable consumer with
// acknowledgements every 500 commits, against one raw ordered consumer reading the
// same stream in the same run. It reports events/s per integration
// consumer, in total, and the ratios to the raw consumer. The ledger is
// filled with copies of one real commit (one event of about 400 bytes);
// LAALEDGER_BENCH_EVENTS sets how many (default 20,000).
func BenchmarkIntegrationConsumers(b *testing.B) {
	events := 20_000
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	const consumers = 10
	l := estest.Open(b, func(c *eventstore.Config) {
		c.ListenAddr = "127.0.0.1:-1"
		c.EmbeddedUsers = integration.Users(c.DataDir)
		c.SyncInterval = time.Minute // the benchmark reads; filling it fast is all
	})
	ctx := estest.Context(b)
	res, err := l.Store.Append(ctx, eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}, 0, []eventstore.Event{{
		Type: "laa.TargetProposed", SchemaVersion: 1, OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC),
		Actor: eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"},
		Data:  json.RawMessage(`{"indicator":112,"kind":"designated","baseline":{"value":1.5,"year":"2006/07","source":"ONS conception statistics"},"values":{"2008/09":1.1,"2009/10":1.2,"2010/11":1.3},"rationale":"Reduce under-18 conceptions in line with the national strategy; trajectory agreed with the PCT and checked against the regional average."}`),
	}}, "c0")
	if err != nil {
		b.Fatal(err)
	}
	stored, err := l.Store.StoredCommit(ctx, res.Sequence)
	if err != nil {
		b.Fatal(err)
	}
	raw := l.JetStream()
	for i := 1; i < events; i++ {
		if _, err := raw.PublishAsync(fmt.Sprintf("ledger.laa.B%d.2008-11", i%1000), stored.Data); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-raw.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("fill timed out")
	}

	for i := 0; i < b.N; i++ {
		// The raw baseline: one ordered consumer, no acknowledgements.
		start := time.Now()
		oc, err := raw.OrderedConsumer(ctx, l.Store.StreamConfig().Name, jetstream.OrderedConsumerConfig{})
		if err != nil {
			b.Fatal(err)
		}
		readAll(b, oc, events, false)
		rawRate := float64(events) / time.Since(start).Seconds()

		var creds []integration.Credentials
		for c := range consumers {
			cred, err := integration.Add(ctx, l.Store, l.Cfg.DataDir, integration.Spec{Name: fmt.Sprintf("bench-%d-%d", i, c)})
			if err != nil {
				b.Fatal(err)
			}
			creds = append(creds, cred)
		}
		l.Restart()
		var conns []jetstream.Consumer
		for _, cred := range creds {
			nc, err := nats.Connect(l.Server().ClientURL(), nats.UserInfo(cred.User, cred.Password), nats.CustomInboxPrefix(cred.InboxPrefix), slowAuth)
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			js, _ := jetstream.New(nc)
			cons, err := js.Consumer(ctx, cred.Stream, cred.Consumer)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, cons)
		}
		raw = l.JetStream()
		rates := make([]float64, consumers)
		var wg sync.WaitGroup
		start = time.Now()
		for c, cons := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				readAll(b, cons, events, true)
				rates[c] = float64(events) / time.Since(t0).Seconds()
			}()
		}
		wg.Wait()
		total := float64(consumers*events) / time.Since(start).Seconds()
		slowest := rates[0]
		for _, r := range rates {
			slowest = min(slowest, r)
		}
		b.ReportMetric(rawRate, "raw-events/s")
		b.ReportMetric(total, "total-events/s")
		b.ReportMetric(slowest, "slowest-consumer-events/s")
		b.ReportMetric(total/rawRate, "total/raw")
		b.ReportMetric(slowest/rawRate, "slowest/raw")
	}
}

// readAll reads n messages from a consumer, acknowledging each if asked.
func readAll(b *testing.B, cons jetstream.Consumer, n int, ack bool) {
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		b.Error(err)
		return
	}
	defer it.Stop()
	for i := range n {
		msg, err := it.Next(jetstream.NextContext(context.Background()))
		if err != nil {
			b.Error(err)
			return
		}
		// One acknowledgement per 500 commits, and for the last: the
		// consumers acknowledge all before the one acknowledged.
		if ack && (i%500 == 499 || i == n-1) {
			if err := msg.Ack(); err != nil {
				b.Error(err)
				return
			}
		}
	}
}
