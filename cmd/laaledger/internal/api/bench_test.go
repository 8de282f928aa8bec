package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// The HTTP benchmarks run against a ledger of LAALEDGER_BENCH_EVENTS
// synthetic events (default 100,000) written through the domain's
// decisions by scripts/genhistory, generated once per run. With LAALEDGER_BENCH_DIR set the ledger is kept
// there and reused by later runs, as the projections benchmarks do; the
// command benchmark appends to it, so give these benchmarks a directory of
// their own.

// benchClients is the number of concurrent HTTP clients.
const benchClients = 64

func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}

// benchServer is the API over the shared benchmark ledger, with the
// projections caught up and running.
type benchServer struct {
	store   *eventstore.Store
	svc     *service.Service
	reads   *projections.Reader
	srv     *httptest.Server
	client  *http.Client
	targets []benchTarget // one agreed target per agreement
}

// benchTarget is an agreed target an outturn can be recorded on, and the
// token of a lead authority party to its agreement.
type benchTarget struct {
	agreement, target, token string
	actor                    domain.Actor
}

var (
	benchOnce sync.Once
	benchSrv  *benchServer
	benchErr  error
)

func sharedServer(b *testing.B) *benchServer {
	benchOnce.Do(func() { benchSrv, benchErr = startBenchServer(b) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchSrv
}

func startBenchServer(b *testing.B) (*benchServer, error) {
	ctx := context.Background()
	dir := os.Getenv("LAALEDGER_BENCH_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "laaledger-api-bench-"); err != nil {
			return nil, err
		}
	}
	tb := &onceTB{TB: b}
	// Generate with interval syncing, as the projections benchmarks do,
	// then serve with the default, a sync before every acknowledgement.
	l := estest.Open(tb, func(c *eventstore.Config) { c.DataDir, c.SyncInterval = dir, time.Minute })
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		return nil, err
	}
	if last == 0 {
		began := time.Now()
		n, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: benchEvents(), Seed: 1})
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "generated %d commands in %s\n", n, time.Since(began).Round(time.Millisecond))
		if last, err = l.Store.LastSequence(ctx); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintf(os.Stderr, "reusing the ledger in %s: %d commits\n", dir, last)
	}
	l.Cfg.SyncInterval = 0
	// The commands write to every agreement; at 1M events that is more
	// than the default aggregate cache holds (500,000 events), and then
	// each command reloads its agreement through a consumer of its own,
	// 64 at a time, which runs into JetStream's consumer limit.
	l.Cfg.CacheEvents = max(500_000, 2*int(last))
	l.Restart()

	reads, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Logger: quietLog})
	if err != nil {
		return nil, err
	}
	runner, tl, ag := reads.Runner(), reads.Timelines(), reads.Agreements()
	began := time.Now()
	go runner.Run(context.Background()) // for the rest of the process
	if err := runner.WaitFor(ctx, last); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "projections caught up with %d events in %s\n", tl.Len(), time.Since(began).Round(time.Millisecond))

	bs := &benchServer{store: l.Store, svc: service.New(l.Store, service.Kinds()), reads: reads}
	entries := DemoTokens()
	for _, a := range ag.List() {
		for _, t := range a.Targets {
			if t.State != projections.TargetLocked && t.State != projections.TargetRefreshed {
				continue
			}
			bt := benchTarget{agreement: a.ID, target: t.Key, token: "bench-lead-authority-" + a.Area,
				actor: domain.Actor{ID: "bench.la." + a.Area, Role: domain.RoleLA, Organisation: a.Area}}
			bs.targets = append(bs.targets, bt)
			entries = append(entries, TokenEntry{Token: bt.token, Actor: bt.actor})
			break
		}
	}
	if len(bs.targets) < benchClients {
		return nil, fmt.Errorf("the ledger has %d agreements with an agreed target; the benchmark needs %d", len(bs.targets), benchClients)
	}
	// Warm what a long-running server has warm: the store's cache of each
	// aggregate written to and the service's folds of it.
	for _, t := range bs.targets {
		if _, _, err := bs.svc.State(ctx, domain.AggregateRef{Kind: domain.KindAgreement, ID: t.agreement}); err != nil {
			return nil, err
		}
	}
	if _, _, err := bs.svc.State(ctx, service.CatalogueRef); err != nil {
		return nil, err
	}
	tokens, err := NewTokens(entries)
	if err != nil {
		return nil, err
	}
	// LAALEDGER_BENCH_TIMELINE_CACHE=-1 measures the timeline without the
	// cache of encoded pages (a size in bytes sets its bound).
	cacheBytes, _ := strconv.ParseInt(os.Getenv("LAALEDGER_BENCH_TIMELINE_CACHE"), 10, 64)
	a, err := New(Config{Executor: bs.svc, Queries: bs.reads, Progress: bs.reads, Feed: l.Store, Tokens: tokens, Registry: prometheus.NewRegistry(),
		TimelineCacheBytes: cacheBytes})
	if err != nil {
		return nil, err
	}
	bs.srv = httptest.NewServer(a)
	bs.client = &http.Client{Transport: &http.Transport{MaxIdleConns: benchClients, MaxIdleConnsPerHost: benchClients}}
	return bs, nil
}

// onceTB keeps the shared ledger alive past the benchmark that opened it.
type onceTB struct{ testing.TB }

func (onceTB) Cleanup(func()) {}
func (onceTB) TempDir() string {
	d, _ := os.MkdirTemp("", "laaledger-api-bench-")
	return d
}

// loadPhase gathers what the workers of a load phase measure: their
// latencies, and the first error any of them met.
type loadPhase struct {
	mu        sync.Mutex
	latencies []time.Duration
	err       error
}

// fail keeps err if it is the first of the phase.
func (p *loadPhase) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// add keeps one worker's latencies.
func (p *loadPhase) add(lat []time.Duration) {
	p.mu.Lock()
	p.latencies = append(p.latencies, lat...)
	p.mu.Unlock()
}

// concurrently runs n operations over that many client goroutines, client c
// doing op(c, i) for its share of i, and returns each operation's latency
// and the wall time.
func concurrently(clients, n int, op func(client, i int) error) ([]time.Duration, time.Duration, error) {
	var (
		next  atomic.Int64
		phase = loadPhase{latencies: make([]time.Duration, 0, n)}
		wg    sync.WaitGroup
	)
	began := time.Now()
	for c := range clients {
		wg.Go(func() {
			lat := make([]time.Duration, 0, n/clients+1)
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t0 := time.Now()
				if err := op(c, i); err != nil {
					phase.fail(err)
					break
				}
				lat = append(lat, time.Since(t0))
			}
			phase.add(lat)
		})
	}
	wg.Wait()
	return phase.latencies, time.Since(began), phase.err
}

func quantileMs(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e6
}

// benchRun makes the command ids of one process unique across the runs of
// a reused ledger, where the aggregates already hold earlier runs' ids.
var benchRun = strconv.FormatInt(time.Now().UnixNano(), 36)

// benchSeq numbers the commands of a process, across the benchmark's runs.
var benchSeq atomic.Int64

// BenchmarkHTTPCommands records single-event outturns over HTTP from 64
// clients, each on agreements of its own, and the same number through
// service.Execute directly from 64 goroutines, for the ratio.
func BenchmarkHTTPCommands(b *testing.B) {
	bs := sharedServer(b)
	seq := &benchSeq
	// targetFor gives client c the agreements c, c+64, c+128, … in turn,
	// so no two clients write to the same aggregate.
	targetFor := func(c, i int) benchTarget {
		own := (len(bs.targets) - c + benchClients - 1) / benchClients
		return bs.targets[c+benchClients*(i%own)]
	}
	occurred := time.Date(2011, 12, 1, 10, 0, 0, 0, time.UTC)
	b.ResetTimer()

	direct, directWall, err := concurrently(benchClients, b.N, func(c, i int) error {
		t, n := targetFor(c, i), seq.Add(1)
		m := domain.Meta{CommandID: fmt.Sprintf("bench-%s-direct-%d", benchRun, n), Actor: t.actor, OccurredAt: occurred, Reason: "benchmark"}
		_, err := bs.svc.Execute(context.Background(), m, laa.RecordOutturn{Agreement: t.agreement, Target: t.target,
			Year: "2010/11", Value: float64(n), Source: "benchmark " + benchRun}, nil)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}

	overHTTP, httpWall, err := concurrently(benchClients, b.N, func(c, i int) error {
		t, n := targetFor(c, i), seq.Add(1)
		body := fmt.Sprintf(`{"occurred_at":"2011-12-01T10:00:00Z","reason":"benchmark","command":{"agreement":%q,"target":%q,"year":"2010/11","value":%d,"source":"benchmark %s"}}`,
			t.agreement, t.target, n, benchRun)
		hr, _ := http.NewRequest("POST", bs.srv.URL+"/v1/commands/laa.RecordOutturn", strings.NewReader(body))
		hr.Header.Set("Authorization", "Bearer "+t.token)
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%s-http-%d", benchRun, n))
		res, err := bs.client.Do(hr)
		if err != nil {
			return err
		}
		out, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("command: %d %s", res.StatusCode, out)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()

	httpRate, directRate := float64(b.N)/httpWall.Seconds(), float64(b.N)/directWall.Seconds()
	b.ReportMetric(httpRate, "http_cmd/s")
	b.ReportMetric(directRate, "direct_cmd/s")
	b.ReportMetric(httpRate/directRate, "http/direct")
	b.ReportMetric(quantileMs(overHTTP, 0.50), "http_p50_ms")
	b.ReportMetric(quantileMs(overHTTP, 0.99), "http_p99_ms")
	b.ReportMetric(quantileMs(direct, 0.50), "direct_p50_ms")
	b.ReportMetric(quantileMs(direct, 0.99), "direct_p99_ms")
}

// BenchmarkHTTPQueries reads over HTTP from 1 client (the service time)
// and from 64 (with the queueing two cores add): the first page of
// one agreement's timeline, one agreement as now known at an instant, one
// agreement's current state, and one indicator across every area.
func BenchmarkHTTPQueries(b *testing.B) {
	bs := sharedServer(b)
	for _, q := range []struct {
		name string
		path func(agreement string) string
	}{
		{"agreement_timeline", func(a string) string { return "/v1/agreements/" + a + "/timeline?limit=50" }},
		{"agreement_as_of", func(a string) string { return "/v1/agreements/" + a + "?known_at=2009-10-01T00:00:00Z" }},
		{"agreement_current", func(a string) string { return "/v1/agreements/" + a }},
		{"indicator_all_areas", func(string) string { return "/v1/indicators/112" }},
	} {
		for _, clients := range []int{1, benchClients} {
			b.Run(fmt.Sprintf("%s/clients=%d", q.name, clients), func(b *testing.B) {
				b.ResetTimer()
				lat, wall, err := concurrently(clients, b.N, func(c, i int) error {
					hr, _ := http.NewRequest("GET", bs.srv.URL+q.path(bs.targets[i%len(bs.targets)].agreement), nil)
					hr.Header.Set("Authorization", "Bearer "+tokAuditor)
					res, err := bs.client.Do(hr)
					if err != nil {
						return err
					}
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						return fmt.Errorf("%s: %d", hr.URL.Path, res.StatusCode)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/wall.Seconds(), "req/s")
				b.ReportMetric(quantileMs(lat, 0.50), "p50_ms")
				b.ReportMetric(quantileMs(lat, 0.99), "p99_ms")
			})
		}
	}
}
