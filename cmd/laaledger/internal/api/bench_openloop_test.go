package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The open-loop read benchmark of the performance target: one agreement's
// timeline over HTTP from 64 connections, p99 at half the maximum request
// rate, and the maximum rate against a trivial net/http handler serving
// the same bytes in the same run (see docs/PERFORMANCE.md, "Timeline over
// HTTP, open loop").

// openLoopPath is the one agreement's timeline every request reads.
const openLoopPath = "/v1/agreements/00EB/2008-11/timeline?limit=50"

// benchPhase is how long each measured phase runs:
// LAALEDGER_BENCH_PHASE (a Go duration), default 10s.
func benchPhase() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("LAALEDGER_BENCH_PHASE")); err == nil && d > 0 {
		return d
	}
	return 10 * time.Second
}

// getter issues GETs of one URL, each worker over a connection of its own.
type getter struct {
	url     string
	token   string
	clients []*http.Client
}

func newGetter(url, token string, conns int) *getter {
	g := &getter{url: url, token: token}
	for range conns {
		g.clients = append(g.clients, &http.Client{Transport: &http.Transport{
			MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}})
	}
	return g
}

func (g *getter) close() {
	for _, c := range g.clients {
		c.CloseIdleConnections()
	}
}

// get reads the whole answer over connection c and returns its body.
func (g *getter) get(c int, buf *bytes.Buffer) error {
	hr, err := http.NewRequest("GET", g.url, nil)
	if err != nil {
		return err
	}
	if g.token != "" {
		hr.Header.Set("Authorization", "Bearer "+g.token)
	}
	res, err := g.clients[c].Do(hr)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", g.url, res.StatusCode, buf.Bytes())
	}
	return nil
}

// closedLoop has every connection issue requests back to back for d and
// returns the completed requests per second.
func closedLoop(g *getter, d time.Duration) (float64, error) {
	var (
		done  atomic.Int64
		stop  atomic.Bool
		phase loadPhase
		wg    sync.WaitGroup
	)
	began := time.Now()
	deadline := began.Add(d)
	for c := range g.clients {
		wg.Go(func() {
			var buf bytes.Buffer
			for !stop.Load() && time.Now().Before(deadline) {
				if err := g.get(c, &buf); err != nil {
					phase.fail(err)
					stop.Store(true)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(began).Seconds(), phase.err
}

// openLoopResult is what an open-loop phase measured.
type openLoopResult struct {
	latencies []time.Duration // each from its request's scheduled send time
	sent      int
	rate      float64 // completed requests per second, over the phase
}

// openLoop issues requests on a fixed schedule, rate per second for d:
// request i is due at start + i/rate, on connection i mod conns. Each
// latency runs from the scheduled send time, not from when the request
// went out, so a request that waits for its connection (or for a worker
// late after a slow answer) counts its wait: the schedule does not slow
// down when the server does.
func openLoop(g *getter, rate float64, d time.Duration) (openLoopResult, error) {
	conns := len(g.clients)
	n := int(rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	var (
		phase = loadPhase{latencies: make([]time.Duration, 0, n)}
		wg    sync.WaitGroup
		stop  atomic.Bool
	)
	start := time.Now().Add(10 * time.Millisecond)
	for c := range conns {
		wg.Go(func() {
			var buf bytes.Buffer
			lat := make([]time.Duration, 0, n/conns+1)
			timer := time.NewTimer(0)
			<-timer.C
			for i := c; i < n && !stop.Load(); i += conns {
				due := start.Add(time.Duration(i) * interval)
				if wait := time.Until(due); wait > 0 {
					timer.Reset(wait)
					<-timer.C
				}
				if err := g.get(c, &buf); err != nil {
					phase.fail(err)
					stop.Store(true)
					break
				}
				lat = append(lat, time.Since(due))
			}
			phase.add(lat)
		})
	}
	wg.Wait()
	wall := time.Since(start)
	return openLoopResult{latencies: phase.latencies, sent: n, rate: float64(len(phase.latencies)) / wall.Seconds()}, phase.err
}

// BenchmarkHTTPTimelineOpenLoop measures, in one run, the maximum rate of
// one agreement's timeline (closed loop, 64 connections) and of a trivial
// net/http handler serving the same bytes, then the timeline open loop at
// half its maximum rate over 64 connections, with the latency from each
// request's scheduled send time; and, for reference, the trivial handler
// open loop at the same rate (the share of client and loopback).
// Run it with -test.benchtime 1x: each phase lasts LAALEDGER_BENCH_PHASE.
func BenchmarkHTTPTimelineOpenLoop(b *testing.B) {
	bs := sharedServer(b)
	phase := benchPhase()

	// The bytes and headers the trivial handler serves, captured once.
	hr, _ := http.NewRequestWithContext(context.Background(), "GET", bs.srv.URL+openLoopPath, nil)
	hr.Header.Set("Authorization", "Bearer "+tokAuditor)
	res, err := bs.client.Do(hr)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v %s", openLoopPath, res.StatusCode, err, body)
	}
	header := res.Header.Clone()
	header.Del("Date")
	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		_, _ = w.Write(body)
	}))
	defer trivial.Close()

	ledger := newGetter(bs.srv.URL+openLoopPath, tokAuditor, benchClients)
	triv := newGetter(trivial.URL+openLoopPath, tokAuditor, benchClients)
	defer ledger.close()
	defer triv.close()
	var buf bytes.Buffer
	if err := triv.get(0, &buf); err != nil || !bytes.Equal(buf.Bytes(), body) {
		b.Fatalf("the trivial handler does not serve the captured %d bytes: %v", len(body), err)
	}

	for b.Loop() {
		// Warm both (connections, caches) before measuring.
		for _, g := range []*getter{ledger, triv} {
			if _, err := closedLoop(g, phase/10); err != nil {
				b.Fatal(err)
			}
		}
		realMax, err := closedLoop(ledger, phase)
		if err != nil {
			b.Fatal(err)
		}
		trivMax, err := closedLoop(triv, phase)
		if err != nil {
			b.Fatal(err)
		}
		target := realMax / 2
		open, err := openLoop(ledger, target, phase)
		if err != nil {
			b.Fatal(err)
		}
		ref, err := openLoop(triv, target, phase)
		if err != nil {
			b.Fatal(err)
		}
		if len(open.latencies) != open.sent || len(ref.latencies) != ref.sent {
			b.Fatalf("open loop: %d of %d answered, trivial %d of %d", len(open.latencies), open.sent, len(ref.latencies), ref.sent)
		}
		p50, p99, p999 := quantileMs(open.latencies, 0.50), quantileMs(open.latencies, 0.99), quantileMs(open.latencies, 0.999)
		rp99 := quantileMs(ref.latencies, 0.99)
		b.ReportMetric(realMax, "max_req/s")
		b.ReportMetric(trivMax, "trivial_max_req/s")
		b.ReportMetric(realMax/trivMax, "max/trivial")
		b.ReportMetric(open.rate, "open_req/s")
		b.ReportMetric(p50, "p50_ms")
		b.ReportMetric(p99, "p99_ms")
		b.ReportMetric(p999, "p999_ms")
		b.ReportMetric(rp99, "trivial_open_p99_ms")
		b.Logf("%d-byte timeline page, %d connections, %s phases: closed loop max %.0f req/s, trivial handler %.0f req/s, ratio %.2f; "+
			"open loop at %.0f req/s (achieved %.0f): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; trivial handler at the same rate p50 %.2f ms, p99 %.2f ms",
			len(body), benchClients, phase, realMax, trivMax, realMax/trivMax,
			target, open.rate, p50, p99, p999, quantileMs(ref.latencies, 0.50), rp99)
	}
}

// TestOpenLoopCountsQueueing checks that the open loop measures from the
// scheduled send time: one answer stalled for 300 ms on a connection that
// is due a request every 4 ms delays the ~75 requests scheduled behind it,
// and each of them must count the wait. A closed loop (latency from the
// actual send) would see one slow request.
func TestOpenLoopCountsQueueing(t *testing.T) {
	var first atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(300 * time.Millisecond) // a slow answer, not synchronisation
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	g := newGetter(srv.URL, "", 1)
	defer g.close()
	res, err := openLoop(g, 250, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.latencies) != res.sent || res.sent != 250 {
		t.Fatalf("answered %d of %d, want 250", len(res.latencies), res.sent)
	}
	slow := 0
	for _, l := range res.latencies {
		if l >= 100*time.Millisecond {
			slow++
		}
	}
	if slow < 40 {
		t.Fatalf("%d requests took ≥ 100 ms from their scheduled time; the stall should delay ~50", slow)
	}
}
