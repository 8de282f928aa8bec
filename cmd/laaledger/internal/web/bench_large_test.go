package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/cmd/laaledger/internal/web"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// BenchmarkPagesLarge renders the area and target pages over a synthetic
// ledger of LAALEDGER_BENCH_EVENTS events (default 100,000) written by
// scripts/genhistory, kept in LAALEDGER_BENCH_DIR when set so that later
// runs reuse it (as the API and projection benchmarks do), and reports the
// server time per page at p50 and p99.
func BenchmarkPagesLarge(b *testing.B) {
	ctx := context.Background()
	events := 100_000
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	dir := os.Getenv("LAALEDGER_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	l := estest.Open(b, func(c *eventstore.Config) { c.DataDir, c.SyncInterval = dir, time.Minute })
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if last == 0 {
		began := time.Now()
		if _, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: events, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		if last, err = l.Store.LastSequence(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d commits in %s", last, time.Since(began).Round(time.Millisecond))
	}
	q, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = q.Runner().Run(runCtx) }()
	if err := q.WaitFor(ctx, last); err != nil {
		b.Fatal(err)
	}
	tokens, err := api.NewTokens(api.DemoTokens())
	if err != nil {
		b.Fatal(err)
	}
	ui, err := web.New(web.Config{Queries: q, Tokens: tokens, Commits: l.Store})
	if err != nil {
		b.Fatal(err)
	}
	// The busiest agreement and one of its agreed targets.
	var area, target string
	most := 0
	for _, a := range q.Agreements().List() {
		if a.Version > most {
			for _, t := range a.Targets {
				if t.State == projections.TargetLocked || t.State == projections.TargetRefreshed {
					area, target, most = a.Area, t.Key, a.Version
					break
				}
			}
		}
	}
	if area == "" {
		b.Fatal("no agreed target in the ledger")
	}
	b.Logf("%d commits; agreement %s/2008-11 has %d events; target %s", last, area, most, target)
	srv := httptest.NewServer(ui)
	defer srv.Close()
	s := &site{t: b, srv: srv}
	br := s.browser()
	br.signIn(tokScrutiny)
	for _, p := range []struct{ name, path string }{
		{"area", "/areas/" + area},
		{"area_known_at", "/areas/" + area + "?known_at=2009-06-30"},
		{"target", "/agreements/" + area + "/2008-11/targets/" + url.PathEscape(target)},
		{"home", "/"},
	} {
		b.Run(p.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				began := time.Now()
				if got := br.get(p.path); got.Status != http.StatusOK {
					b.Fatalf("%s: %d", p.path, got.Status)
				}
				took = append(took, time.Since(began))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99_ms")
		})
	}
}
