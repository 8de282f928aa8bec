package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// startupProbe is what a fresh serving process measured.
type startupProbe struct {
	OpenStoreMS  float64 `json:"open_store_ms"`
	OpenModelsMS float64 `json:"open_models_ms"`
	FirstQueryMS float64 `json:"first_query_ms"`
	TotalMS      float64 `json:"total_ms"`
	HeapMiB      float64 `json:"heap_mib"`
	RSSMiB       float64 `json:"rss_mib"`
	Position     uint64  `json:"position"`
}

// TestStartupProbe is not a test: BenchmarkStartupProcess runs the test
// binary again with LAALEDGER_PROBE_LEDGER and LAALEDGER_PROBE_SNAPSHOTS
// set, so that start-up time and resident memory are those of a process
// that did nothing but open the ledger and load the projections.
func TestStartupProbe(t *testing.T) {
	ledgerDir, snapDir := os.Getenv("LAALEDGER_PROBE_LEDGER"), os.Getenv("LAALEDGER_PROBE_SNAPSHOTS")
	if ledgerDir == "" {
		t.Skip("run by BenchmarkStartupProcess")
	}
	ctx := context.Background()
	if f := os.Getenv("LAALEDGER_PROBE_CPUPROFILE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(w)
		defer func() { pprof.StopCPUProfile(); w.Close() }()
	}
	began := time.Now()
	s, err := eventstore.Open(ctx, eventstore.Config{DataDir: ledgerDir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var p startupProbe
	p.OpenStoreMS = ms(time.Since(began))
	mid := time.Now()
	tl := projections.NewTimelines()
	r, err := projections.Open(ctx, projections.Config{Store: s, Dir: snapDir, Logger: quiet}, benchModels(tl)...)
	if err != nil {
		t.Fatal(err)
	}
	p.OpenModelsMS = ms(time.Since(mid))
	mid = time.Now()
	if _, err := tl.Aggregate(benchAggregates()[0], projections.TimelineQuery{}); err != nil {
		t.Fatal(err)
	}
	p.FirstQueryMS = ms(time.Since(mid))
	p.TotalMS = ms(time.Since(began))
	p.Position = r.Position()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.HeapMiB = float64(m.HeapAlloc) / (1 << 20)
	p.RSSMiB = rssMiB()
	runtime.KeepAlive(r)
	runtime.KeepAlive(tl)
	if f := os.Getenv("LAALEDGER_PROBE_HEAPPROFILE"); f != "" {
		w, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		pprof.WriteHeapProfile(w)
		w.Close()
	}
	out, _ := json.Marshal(p)
	fmt.Printf("PROBE %s\n", out)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkStartupProcess measures start-up to first served query, and the
// resident memory with every projection loaded, in a fresh process on the
// benchmark ledger and a snapshot of all models. It closes the shared
// ledger while the probe runs (one server per store directory) and reopens
// it after.
func BenchmarkStartupProcess(b *testing.B) {
	l, _, _ := sharedLedger(b)
	ctx := context.Background()
	snapDir := b.TempDir()
	r, err := projections.Open(ctx, projections.Config{Store: l.Store, Dir: snapDir, Logger: quiet}, benchModels(projections.NewTimelines())...)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Rebuild(ctx, nil); err != nil { // ends with a snapshot
		b.Fatal(err)
	}
	began := time.Now()
	if err := r.Snapshot(); err != nil {
		b.Fatal(err)
	}
	write := time.Since(began)
	st, err := os.Stat(snapDir + "/" + projections.SnapshotFile)
	if err != nil {
		b.Fatal(err)
	}
	pos := r.Position()
	if err := l.Store.Close(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		s, err := eventstore.Open(ctx, l.Cfg)
		if err != nil {
			b.Fatal(err)
		}
		l.Store = s
	}()
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartupProbe$", "-test.v")
		cmd.Env = append(os.Environ(), "LAALEDGER_PROBE_LEDGER="+l.Cfg.DataDir, "LAALEDGER_PROBE_SNAPSHOTS="+snapDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("probe: %v\n%s", err, out)
		}
		var p startupProbe
		for _, line := range splitLines(string(out)) {
			if len(line) > 6 && line[:6] == "PROBE " {
				if err := json.Unmarshal([]byte(line[6:]), &p); err != nil {
					b.Fatal(err)
				}
			}
		}
		if p.Position != pos {
			b.Fatalf("probe restored position %d, want %d\n%s", p.Position, pos, out)
		}
		b.ReportMetric(p.OpenStoreMS, "open_ledger_ms")
		b.ReportMetric(p.OpenModelsMS, "load_projections_ms")
		b.ReportMetric(p.TotalMS, "start_to_first_query_ms")
		b.ReportMetric(p.HeapMiB, "heap_MiB")
		b.ReportMetric(p.RSSMiB, "rss_MiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "snapshot_MiB")
		b.ReportMetric(ms(write), "snapshot_write_ms")
	}
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}
