// Command bench-genhistory runs the history generator ([genhistory.Run],
// the one behind `laaledger gen-history`) on a fresh embedded ledger and
// prints the command rate in windows, so that a rate that changes with the
// ledger's size (an aggregate cache that stops holding what decisions
// need) shows where it changes. See docs/PERFORMANCE.md.
//
//	go run ./scripts/bench-genhistory -events 400000 -cache-events 50000 -window 25000 -timeout 5m
//
// It imports scripts/genhistory, the service and the event store; nothing
// imports it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

func main() {
	events := flag.Int("events", 400_000, "approximate number of events to write")
	cacheEvents := flag.Int("cache-events", 50_000, "the store's aggregate cache bound, in events")
	syncInterval := flag.Duration("sync-interval", time.Minute, "embedded server's sync interval")
	window := flag.Int64("window", 25_000, "commands per reported window")
	timeout := flag.Duration("timeout", 10*time.Minute, "stop after this long")
	dir := flag.String("dir", "", "data directory (default a new temporary one, removed at the end)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}

	d := *dir
	if d == "" {
		var err error
		if d, err = os.MkdirTemp("", "bench-genhistory-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	s, err := eventstore.Open(ctx, eventstore.Config{DataDir: d, SyncInterval: *syncInterval, CacheEvents: *cacheEvents,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	var mu sync.Mutex
	start := time.Now()
	last, lastN := start, int64(0)
	report := func(n int64, now time.Time) {
		dt := now.Sub(last).Seconds()
		fmt.Printf("commands %7d–%7d  %6.1f s  %8.0f commands/s\n", lastN, n, now.Sub(start).Seconds(), float64(n-lastN)/dt)
		last, lastN = now, n
	}
	opt := genhistory.Options{Events: *events, Progress: func(n int64) {
		mu.Lock()
		defer mu.Unlock()
		if n >= lastN+*window {
			report(n, time.Now())
		}
	}}
	n, err := genhistory.Run(ctx, service.New(s, service.Kinds()), opt)
	mu.Lock()
	if n > lastN {
		report(n, time.Now())
	}
	mu.Unlock()
	seq, _ := s.LastSequence(context.Background())
	total := time.Since(start)
	fmt.Printf("total: %d commands in %.1f s (%.0f/s), ledger at stream sequence %d (cache %d events)\n",
		n, total.Seconds(), float64(n)/total.Seconds(), seq, *cacheEvents)
	if err != nil {
		fmt.Println("stopped:", err)
	}
}
