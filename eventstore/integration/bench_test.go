package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// feedVariant is one way the ten integration consumers read.
type feedVariant struct {
	name string
	// maxAckPending overrides the consumer's (0: integration.MaxAckPending).
	maxAckPending int
	// pull is the client's pull batch (PullMaxMessages).
	pull int
	// ackEvery acknowledges every ackEvery-th commit (AckAll does the rest).
	ackEvery int
	// ackNone makes the consumer AckNone (and the client acknowledge
	// nothing): what acknowledgements cost.
	ackNone bool
	// fetch reads with Fetch batches of pull instead of the Messages
	// iterator.
	fetch bool
	// cloudEvents decodes each commit and converts each event to a
	// CloudEvent, as an integrator does; otherwise the bytes are only read.
	cloudEvents bool
}

// BenchmarkIntegrationConsumers measures ten integration users reading
// the whole ledger at once, each over loopback TCP through its own durable
// consumer, against one raw ordered JetStream consumer reading the same
// stream over loopback TCP in the same iteration (and, for scale, one on
// the in-process connection). It reports events/s per integration
// consumer (the slowest), in total, and the ratios to the raw consumer.
//
// Variants, each against its own raw baseline: "read" (pulls of 5,000,
// an acknowledgement every 1,000 commits) only reads the bytes;
// "cloudevents" also decodes each commit and converts its events to
// CloudEvents, consumers and raw baseline alike; "before" is the
// configuration measured at 0.4–0.95× (MaxAckPending at the JetStream
// default of 1,000, pulls of 1,000, an acknowledgement every 500);
// "maxackpending-only" changes only MaxAckPending from "before"; "acknone"
// makes the consumers AckNone, to show what acknowledgements cost; "fetch"
// reads with Fetch batches instead of the Messages iterator. Each also
// reports the CPU cores the process used in each phase: a phase near the
// machine's cores is CPU-bound. The ledger is filled with copies of one
// real commit (one event of about 400 bytes);
// LAALEDGER_BENCH_EVENTS sets how many (default 20,000).
func BenchmarkIntegrationConsumers(b *testing.B) {
	events := estest.BenchEvents(20_000)
	const consumers = 10
	l := estest.Open(b, func(c *eventstore.Config) {
		c.ListenAddr = "127.0.0.1:-1"
		c.EmbeddedUsers = integration.Users(c.DataDir)
		c.SyncInterval = time.Minute // the benchmark reads; filling it fast is all
	})
	ctx := estest.Context(b)
	fill(b, l, events)

	var creds []integration.Credentials
	for c := range consumers {
		cred := addIntegration(b, l, integration.Spec{Name: fmt.Sprintf("bench-%d", c)})
		creds = append(creds, cred)
	}
	l.Restart() // admits the users
	var conns []jetstream.JetStream
	for _, cred := range creds {
		nc, err := nats.Connect(l.Server().ClientURL(), nats.UserInfo(cred.User, cred.Password), nats.CustomInboxPrefix(cred.InboxPrefix), slowAuth)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		js, _ := jetstream.New(nc)
		conns = append(conns, js)
	}
	rawNC, err := nats.Connect(l.Server().ClientURL(), l.ServiceIdentity()...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rawNC.Close)
	rawTCP, _ := jetstream.New(rawNC)
	stream := l.Store.StreamConfig().Name

	for _, v := range []feedVariant{
		{name: "read", pull: 5000, ackEvery: 1000},
		{name: "cloudevents", pull: 5000, ackEvery: 1000, cloudEvents: true},
		{name: "before", maxAckPending: 1000, pull: 1000, ackEvery: 500},
		{name: "maxackpending-only", pull: 1000, ackEvery: 500},
		{name: "acknone", pull: 5000, ackNone: true},
		{name: "fetch", pull: 5000, ackEvery: 1000, fetch: true},
	} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				// Each iteration starts every consumer afresh at the first commit.
				cons := make([]jetstream.Consumer, consumers)
				for c, cred := range creds {
					cc, err := integration.ConsumerConfig(cred.Integration, integration.Start{})
					if err != nil {
						b.Fatal(err)
					}
					if v.maxAckPending > 0 {
						cc.MaxAckPending = v.maxAckPending
					}
					if v.ackNone {
						cc.AckPolicy, cc.MaxAckPending = jetstream.AckNonePolicy, 0
					}
					if err := l.JetStream().DeleteConsumer(ctx, stream, cred.Consumer); err != nil {
						b.Fatal(err)
					}
					if _, err := l.JetStream().CreateConsumer(ctx, stream, cc); err != nil {
						b.Fatal(err)
					}
					if cons[c], err = conns[c].Consumer(ctx, stream, cred.Consumer); err != nil {
						b.Fatal(err)
					}
				}

				inproc, _ := rawRate(b, l.JetStream(), stream, events, v)
				raw, rawCores := rawRate(b, rawTCP, stream, events, v)
				rates := make([]float64, consumers)
				var wg sync.WaitGroup
				cpu0 := cpuTime()
				start := time.Now()
				for c := range cons {
					wg.Go(func() {
						t0 := time.Now()
						readAll(b, cons[c], events, v, !v.ackNone)
						rates[c] = float64(events) / time.Since(t0).Seconds()
					})
				}
				wg.Wait()
				wall := time.Since(start)
				total := float64(consumers*events) / wall.Seconds()
				cores := (cpuTime() - cpu0).Seconds() / wall.Seconds()
				slowest := rates[0]
				for _, r := range rates {
					slowest = min(slowest, r)
				}
				b.ReportMetric(inproc, "raw-inprocess-events/s")
				b.ReportMetric(raw, "raw-events/s")
				b.ReportMetric(total, "total-events/s")
				b.ReportMetric(slowest, "slowest-consumer-events/s")
				b.ReportMetric(total/raw, "total/raw")
				b.ReportMetric(slowest/raw, "slowest/raw")
				// CPU the process (server and clients) used per second of
				// each phase: near the machine's cores, the phase is
				// CPU-bound, and more consumers cannot add throughput.
				b.ReportMetric(rawCores, "raw-cpu-cores")
				b.ReportMetric(cores, "consumers-cpu-cores")
			}
		})
	}
}

// fill appends one real commit and publishes events-1 copies of it.
func fill(b *testing.B, l *estest.Ledger, events int) {
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
}

// rawRate reads the stream with an ordered consumer (no acknowledgements)
// and returns its events/s and the CPU cores the process used meanwhile.
func rawRate(b *testing.B, js jetstream.JetStream, stream string, events int, v feedVariant) (rate, cores float64) {
	cpu0 := cpuTime()
	start := time.Now()
	oc, err := js.OrderedConsumer(context.Background(), stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	readAll(b, oc, events, v, false)
	wall := time.Since(start)
	return float64(events) / wall.Seconds(), (cpuTime() - cpu0).Seconds() / wall.Seconds()
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readAll reads n commits from a consumer, acknowledging every
// v.ackEvery-th and the last if ack is set, and converting them to
// CloudEvents if v says so.
func readAll(b *testing.B, cons jetstream.Consumer, n int, v feedVariant, ack bool) {
	if v.fetch && ack {
		fetchAll(b, cons, n, v)
		return
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(v.pull))
	if err != nil {
		b.Error(err)
		return
	}
	defer it.Stop()
	var m cloudevent.Mapper
	var buf []byte
	for i := range n {
		msg, err := it.Next(jetstream.NextContext(context.Background()))
		if err != nil {
			b.Error(err)
			return
		}
		if v.cloudEvents {
			meta, err := msg.Metadata()
			if err != nil {
				b.Error(err)
				return
			}
			c, err := eventstore.DecodeCommit(msg.Data(), meta.Sequence.Stream)
			if err != nil {
				b.Error(err)
				return
			}
			for j := range c.Events {
				buf = m.AppendJSON(buf[:0], &c.Events[j], j)
			}
		}
		if ack && (i%v.ackEvery == v.ackEvery-1 || i == n-1) {
			if err := msg.Ack(); err != nil {
				b.Error(err)
				return
			}
		}
	}
}

// fetchAll reads n commits with Fetch batches, acknowledging the last of
// each batch.
func fetchAll(b *testing.B, cons jetstream.Consumer, n int, v feedVariant) {
	for read := 0; read < n; {
		batch, err := cons.Fetch(min(v.pull, n-read), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			b.Error(err)
			return
		}
		var last jetstream.Msg
		for msg := range batch.Messages() {
			last = msg
			read++
		}
		if err := batch.Error(); err != nil {
			b.Error(err)
			return
		}
		if last != nil {
			if err := last.Ack(); err != nil {
				b.Error(err)
				return
			}
		}
	}
}

// BenchmarkIntegratorDecode measures what an integrator spends on each
// commit it reads, beside the feed itself: decoding the stored commit and
// converting its event to a CloudEvent. "reflection" is the way
// docs/INTEGRATION.md showed before (encoding/json into eventstore.Commit,
// Mapper.Marshal, then the CloudEvents SDK's event.Event); "ledger-codec"
// is the ledger's own commit parser (eventstore.DecodeCommit) and
// Mapper.AppendJSON into a reused buffer, handing on the CloudEvent's
// bytes; "ledger-codec+sdk" adds the SDK's event.Event, as the program
// in docs/INTEGRATION.md does. Reported per event.
func BenchmarkIntegratorDecode(b *testing.B) {
	l := estest.Open(b)
	fill(b, l, 1)
	stored, err := l.Store.StoredCommit(estest.Context(b), 1)
	if err != nil {
		b.Fatal(err)
	}
	var m cloudevent.Mapper
	b.Run("reflection", func(b *testing.B) {
		for range b.N {
			var c eventstore.Commit
			if err := json.Unmarshal(stored.Data, &c); err != nil {
				b.Fatal(err)
			}
			for i := range c.Events {
				c.Events[i].Sequence = stored.Sequence
				var ev ce.Event
				if err := json.Unmarshal(m.Marshal(&c.Events[i], i), &ev); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("ledger-codec", func(b *testing.B) {
		var buf []byte
		for range b.N {
			c, err := eventstore.DecodeCommit(stored.Data, stored.Sequence)
			if err != nil {
				b.Fatal(err)
			}
			for i := range c.Events {
				buf = m.AppendJSON(buf[:0], &c.Events[i], i)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("ledger-codec+sdk", func(b *testing.B) {
		var buf []byte
		for range b.N {
			c, err := eventstore.DecodeCommit(stored.Data, stored.Sequence)
			if err != nil {
				b.Fatal(err)
			}
			for i := range c.Events {
				buf = m.AppendJSON(buf[:0], &c.Events[i], i)
				var ev ce.Event
				if err := json.Unmarshal(buf, &ev); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
