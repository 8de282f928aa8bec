// Command subjectmem measures what the ledger's subject granularity costs
// the embedded nats-server: it fills a fresh ledger (interval sync) with
// -events raw commits of about 500 bytes spread at random over -aggs
// aggregates, on one subject per aggregate (-types 0) or one subject per
// aggregate and event type (-types N), then reports the process heap after
// GC, the stream's state, and the cost of finding an aggregate's last
// commit and of reading one aggregate back with a filtered ordered
// consumer.
//
// Run each layout in its own process so the heaps do not mix:
//
//	go run ./eventstore/internal/subjectmem -events 1000000 -aggs 1000 -types 0
//	go run ./eventstore/internal/subjectmem -events 1000000 -aggs 1000 -types 25
//
// It imports the event store and its internal connections, never the
// domain; nothing imports it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

func main() {
	events := flag.Int("events", 1_000_000, "events to store")
	aggs := flag.Int("aggs", 1000, "aggregates")
	types := flag.Int("types", 0, "event types per aggregate, each its own subject token (0: one subject per aggregate)")
	idle := flag.Duration("idle", 15*time.Second, "idle time before the second heap reading (the server's block cache expires after 10s)")
	idleLong := flag.Duration("idle-long", 0, "further idle time before a third reading (per-block subject state expires after 2m)")
	samples := flag.Int("samples", 200, "aggregates sampled for the read costs")
	flag.Parse()

	dir, err := os.MkdirTemp("", "subjectmem")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Config{DataDir: dir, SyncInterval: 2 * time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	base := heap()
	fmt.Printf("layout: %d aggregates × %s, %d events, GOMAXPROCS %d, %s\n", *aggs, typesText(*types), *events, runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("heap after open:            %8.1f MiB\n", mib(base))

	subject := func(a, t int) string {
		if *types == 0 {
			return fmt.Sprintf("ledger.laa.A%05d", a)
		}
		return fmt.Sprintf("ledger.laa.A%05d.T%02d", a, t)
	}
	aggFilter := func(a int) string {
		if *types == 0 {
			return subject(a, 0)
		}
		return fmt.Sprintf("ledger.laa.A%05d.*", a)
	}

	h := conns.Of(s)
	js := h.JetStream
	rng := rand.New(rand.NewPCG(1, 2))
	body := []byte(`{"command_id":"cmd","events":[{"type":"laa.TargetProposed","data":{"indicator":112,"rationale":"` + strings.Repeat("x", 400) + `"}}]}`)
	start := time.Now()
	for i := 0; i < *events; i++ {
		a := rng.IntN(*aggs)
		t := 0
		if *types > 0 {
			t = rng.IntN(*types)
		}
		subj := subject(a, t)
		_, err := js.PublishAsync(subj, body)
		for errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			<-js.PublishAsyncComplete()
			_, err = js.PublishAsync(subj, body)
		}
		if err != nil {
			log.Fatalf("publish %d: %v", i, err)
		}
	}
	<-js.PublishAsyncComplete()
	fill := time.Since(start)
	fmt.Printf("fill: %s (%.0f events/s), body %d bytes\n", fill.Round(time.Millisecond), float64(*events)/fill.Seconds(), len(body))

	info, err := h.Stream.Info(ctx)
	if err != nil {
		log.Fatal(err)
	}
	st := info.State
	blks := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".blk") {
			blks++
		}
		return nil
	})
	fmt.Printf("stream: %d messages, %d subjects, %.1f MiB stored in %d blocks\n", st.Msgs, st.NumSubjects, float64(st.Bytes)/(1<<20), blks)

	after := heap()
	report := func(label string, h uint64) {
		d := float64(h) - float64(base)
		fmt.Printf("%-27s %8.1f MiB (+%.1f MiB over open: %.0f bytes/subject, %.1f bytes/event)\n",
			label, mib(h), d/(1<<20), d/float64(st.NumSubjects), d/float64(st.Msgs))
	}
	report("heap after fill:", after)

	// Read costs while the stream is warm.
	picks := make([]int, *samples)
	for i := range picks {
		picks[i] = rng.IntN(*aggs)
	}
	var last []time.Duration
	for _, a := range picks {
		t0 := time.Now()
		if _, err := h.Stream.GetLastMsgForSubject(ctx, aggFilter(a)); err != nil {
			log.Fatal(err)
		}
		last = append(last, time.Since(t0))
	}
	fmt.Printf("GetLastMsgForSubject(%s): p50 %s p99 %s\n", aggFilter(0), pct(last, 50), pct(last, 99))

	var reads []time.Duration
	var n int
	for _, a := range picks[:min(len(picks), 20)] {
		t0 := time.Now()
		n = readAll(ctx, h.Stream, aggFilter(a))
		reads = append(reads, time.Since(t0))
	}
	fmt.Printf("ordered-consumer read of one aggregate (%d events): p50 %s p99 %s\n", n, pct(reads, 50), pct(reads, 99))

	time.Sleep(*idle)
	report(fmt.Sprintf("heap after %s idle:", *idle), heap())
	if *idleLong > 0 {
		time.Sleep(*idleLong)
		report(fmt.Sprintf("heap after %s idle:", *idle+*idleLong), heap())
	}
}

// readAll reads every message on filter with an ordered consumer and
// returns how many there were.
func readAll(ctx context.Context, stream jetstream.Stream, filter string) int {
	lm, err := stream.GetLastMsgForSubject(ctx, filter)
	if err != nil {
		log.Fatal(err)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		log.Fatal(err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000))
	if err != nil {
		log.Fatal(err)
	}
	defer it.Stop()
	n := 0
	for {
		m, err := it.Next()
		if err != nil {
			log.Fatal(err)
		}
		n++
		meta, err := m.Metadata()
		if err != nil {
			log.Fatal(err)
		}
		if meta.Sequence.Stream >= lm.Sequence {
			return n
		}
	}
}

func heap() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func pct(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100].Round(time.Microsecond)
}

func typesText(types int) string {
	if types == 0 {
		return "1 subject"
	}
	return fmt.Sprintf("%d event-type subjects", types)
}
