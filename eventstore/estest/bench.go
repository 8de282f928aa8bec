package estest

import (
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchEvents is the events per measurement of a ledger benchmark:
// LAALEDGER_BENCH_EVENTS when set to a positive number, def otherwise.
func BenchEvents(def int) int {
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return def
}

// RunWorkers shares events 0 to n-1 among workers goroutines, giving event i
// to worker (i % aggregates) % workers so that one aggregate always belongs
// to one worker, runs work on each share and returns how long they all
// took. Any error work returns fails b.
func RunWorkers(b testing.TB, n, aggregates, workers int, work func(w int, idx []int) error) time.Duration {
	shares := make([][]int, workers)
	for i := 0; i < n; i++ {
		w := (i % aggregates) % workers
		shares[w] = append(shares[w], i)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for w := range shares {
		wg.Go(func() {
			if err := work(w, shares[w]); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return d
}

// Percentile returns the p-th percentile of d in microseconds, the unit
// the benchmarks report latencies in.
func Percentile(d []time.Duration, p int) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[(len(s)-1)*p/100].Nanoseconds()) / 1e3
}

// SyncMode is a durability setting the append benchmarks run under, and how
// many events they append under it.
type SyncMode struct {
	Name string
	Sync time.Duration // Config.SyncInterval
	N    int
}

// SyncModes are the append benchmarks' settings: a flush to disk on every
// write (sync_always, nAlways events) and the server's periodic flush every
// two minutes (interval_sync, nInterval events), each count subject to
// [BenchEvents].
func SyncModes(nAlways, nInterval int) []SyncMode {
	return []SyncMode{
		{"sync_always", 0, BenchEvents(nAlways)},
		{"interval_sync", 2 * time.Minute, BenchEvents(nInterval)},
	}
}
