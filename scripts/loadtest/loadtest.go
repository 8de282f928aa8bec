package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	server               string
	clients              int
	duration             time.Duration
	bin, data            string
	writeToken           string
	readToken            string
	agreement            string
	seed                 uint64
	progress             io.Writer
	terminal             bool
	serverLog            io.Writer // the started server's output, if not nil
	startTimeout         time.Duration
	requestTimeout       time.Duration
	progressEvery        time.Duration
	onlyOps              []string // the operations to run, by name; all when empty
	unexpectedStatusHook func(op string, status int, body []byte)
}

// op is one kind of request in the mix.
type op struct {
	name   string
	weight int
	// expected are the statuses that are a correct answer to it beside 2xx
	// (a deliberate conflict's 412, a race's 412).
	expected []int
}

// The mix: what a server with a few writers and many readers sees. The
// commands record outturns on the agreement's agreed targets; a tenth of
// them state the version they decided on (If-Match, and lose a race now
// and then: 412), a few state a stale one on purpose (412), and a few are
// retried with the same Idempotency-Key (the original answer, 200).
var mix = []op{
	{name: "record", weight: 20},
	{name: "record_if_match", weight: 10, expected: []int{http.StatusPreconditionFailed}},
	{name: "record_stale", weight: 4, expected: []int{http.StatusPreconditionFailed}},
	{name: "record_retry", weight: 6},
	{name: "state", weight: 25},
	{name: "timeline", weight: 20},
	{name: "as_of", weight: 15},
}

// result is the outcome of one request.
type result struct {
	op      string
	latency time.Duration
	status  int
	kind    string // "" for a success, else the error's kind
	unexp   bool   // the kind is an error, not a correct answer
}

type opStats struct {
	n         int
	latencies []time.Duration
}

// report is what a run measured.
type report struct {
	clients    int
	duration   time.Duration
	server     string
	started    bool
	ops        map[string]*opStats
	kinds      map[string]int // answers by kind: expected ones and errors
	unexpKinds map[string]int
	retried    int64
	verified   bool
	verifyOut  string
}

func (r *report) total() int {
	n := 0
	for _, s := range r.ops {
		n += s.n
	}
	return n
}

func (r *report) unexpected() int {
	n := 0
	for _, c := range r.unexpKinds {
		n += c
	}
	return n
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "load test: %d clients for %s against %s\n", r.clients, r.duration.Round(time.Millisecond), r.server)
	fmt.Fprintf(w, "requests: %d, %.0f/s; unexpected errors: %d\n", r.total(), float64(r.total())/r.duration.Seconds(), r.unexpected())
	fmt.Fprintf(w, "%-16s %8s %8s %10s %10s\n", "operation", "count", "per s", "p50 ms", "p99 ms")
	for _, o := range mix {
		s := r.ops[o.name]
		if s == nil || s.n == 0 {
			continue
		}
		slices.Sort(s.latencies)
		fmt.Fprintf(w, "%-16s %8d %8.1f %10.2f %10.2f\n", o.name, s.n, float64(s.n)/r.duration.Seconds(), ms(quantile(s.latencies, .5)), ms(quantile(s.latencies, .99)))
	}
	if r.retried > 0 {
		fmt.Fprintf(w, "commands sent again with the same Idempotency-Key after a 409: %d\n", r.retried)
	}
	for _, k := range slices.Sorted(mapsKeys(r.kinds)) {
		what := "expected"
		if r.unexpKinds[k] > 0 {
			what = "ERROR"
		}
		fmt.Fprintf(w, "answers %-40s %8d  %s\n", k, r.kinds[k], what)
	}
	switch {
	case !r.started:
		fmt.Fprintln(w, "verification: skipped (--server); run `laaledger verify --projections` on the server's data directory")
	case r.verified:
		fmt.Fprintf(w, "verification: passed\n%s", indent(r.verifyOut))
	default:
		fmt.Fprintf(w, "verification: FAILED\n%s", indent(r.verifyOut))
	}
}

func mapsKeys(m map[string]int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func indent(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("  " + l)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func quantile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1))]
}

// run puts the load on the server (started here unless o.server is set)
// and, for a server started here, stops it and verifies the ledger.
func run(ctx context.Context, o options) (*report, error) {
	if o.clients <= 0 || o.duration <= 0 {
		return nil, fmt.Errorf("clients and duration must be positive")
	}
	if o.startTimeout == 0 {
		o.startTimeout = 2 * time.Minute
	}
	if o.requestTimeout == 0 {
		o.requestTimeout = 30 * time.Second
	}
	if o.progressEvery == 0 {
		o.progressEvery = time.Second
		if !o.terminal {
			o.progressEvery = 10 * time.Second
		}
	}
	if o.progress == nil {
		o.progress = io.Discard
	}
	rep := &report{clients: o.clients, server: o.server, ops: map[string]*opStats{}, kinds: map[string]int{}, unexpKinds: map[string]int{}}
	var srv *started
	if o.server == "" {
		var err error
		if srv, err = start(ctx, &o); err != nil {
			return nil, err
		}
		defer srv.cleanup()
		rep.server, rep.started = o.server+" (started here, data "+o.data+")", true
	}
	c := &client{base: strings.TrimSuffix(o.server, "/"), o: &o,
		http: &http.Client{Timeout: o.requestTimeout, Transport: &http.Transport{MaxIdleConns: o.clients, MaxIdleConnsPerHost: o.clients}}}
	targets, err := c.targets(ctx)
	if err != nil {
		return nil, err
	}
	c.targetKeys, c.ready = targets, time.Now().Add(time.Second)

	results := make(chan result, 4096)
	var done atomic.Int64
	loadCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	began := time.Now()
	var wg sync.WaitGroup
	for i := range o.clients {
		wg.Go(func() { c.loop(loadCtx, i, results) })
	}
	go func() { wg.Wait(); close(results) }()
	tick := time.NewTicker(o.progressEvery)
	defer tick.Stop()
	var errs atomic.Int64
loop:
	for {
		select {
		case r, ok := <-results:
			if !ok {
				break loop
			}
			done.Add(1)
			s := rep.ops[r.op]
			if s == nil {
				s = &opStats{}
				rep.ops[r.op] = s
			}
			s.n++
			s.latencies = append(s.latencies, r.latency)
			if r.kind != "" {
				rep.kinds[r.op+" "+r.kind]++
				if r.unexp {
					rep.unexpKinds[r.op+" "+r.kind]++
					errs.Add(1)
				}
			}
		case <-tick.C:
			el := time.Since(began)
			line := fmt.Sprintf("%5.0fs of %s: %d requests, %.0f/s, %d unexpected errors",
				el.Seconds(), o.duration, done.Load(), float64(done.Load())/el.Seconds(), errs.Load())
			if o.terminal {
				fmt.Fprintf(o.progress, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(o.progress, line)
			}
		}
	}
	rep.duration = time.Since(began)
	rep.retried = c.retried.Load()
	if o.terminal {
		fmt.Fprint(o.progress, "\r\033[K")
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if srv != nil {
		out, err := srv.stopAndVerify(ctx)
		rep.verifyOut = out
		if err != nil {
			return rep, err
		}
		rep.verified = true
	}
	return rep, nil
}

// started is a server this run started, and its data directory.
type started struct {
	cmd     *exec.Cmd
	exited  chan error
	bin     string
	data    string
	removes []string
	log     *bytes.Buffer
}

func (s *started) cleanup() {
	if s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	for _, d := range s.removes {
		os.RemoveAll(d)
	}
}

// start builds laaledger if no binary is given and starts `serve --demo`
// on a free loopback port, waiting for /readyz.
func start(ctx context.Context, o *options) (*started, error) {
	tmp, err := os.MkdirTemp("", "laaledger-load-")
	if err != nil {
		return nil, err
	}
	s := &started{removes: []string{tmp}, exited: make(chan error, 1), log: &bytes.Buffer{}}
	fail := func(err error) (*started, error) {
		for _, d := range s.removes {
			os.RemoveAll(d)
		}
		return nil, err
	}
	s.bin = o.bin
	if s.bin == "" {
		s.bin = filepath.Join(tmp, "laaledger")
		fmt.Fprintln(o.progress, "building laaledger")
		build := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/laaledger")
		build.Dir = moduleRoot()
		if out, err := build.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("build laaledger: %v\n%s", err, out))
		}
	}
	s.data = o.data
	if s.data == "" {
		s.data = filepath.Join(tmp, "data")
	}
	o.data = s.data
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.cmd = exec.Command(s.bin, "serve", "--demo", "--data", s.data, "--http", addr)
	var w io.Writer = s.log
	if o.serverLog != nil {
		w = io.MultiWriter(s.log, o.serverLog)
	}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		return fail(err)
	}
	go func() { s.exited <- s.cmd.Wait() }()
	o.server = "http://" + addr
	fmt.Fprintf(o.progress, "started laaledger serve on %s, data in %s\n", addr, s.data)
	deadline := time.Now().Add(o.startTimeout)
	for {
		res, err := http.Get(o.server + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fail(fmt.Errorf("serve exited before it was ready: %v\n%s", err, s.log))
		case <-ctx.Done():
			s.cleanup()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling interval
		}
		if time.Now().After(deadline) {
			s.cleanup()
			return nil, fmt.Errorf("serve not ready after %s\n%s", o.startTimeout, s.log)
		}
	}
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// stopAndVerify stops the server as an operator would (SIGINT: it saves
// its projections snapshot) and runs verify --projections on its data.
func (s *started) stopAndVerify(ctx context.Context) (string, error) {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return "", err
	}
	select {
	case err := <-s.exited:
		if err != nil {
			return "", fmt.Errorf("serve did not stop cleanly: %v\n%s", err, s.log)
		}
	case <-time.After(time.Minute):
		return "", fmt.Errorf("serve did not stop within a minute of SIGINT")
	}
	out, err := exec.CommandContext(ctx, s.bin, "verify", "--data", s.data, "--projections").CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("verify --projections after the load: %v\n%s", err, out)
	}
	return string(out), nil
}

// client is the HTTP side shared by every simulated user.
type client struct {
	base       string
	o          *options
	http       *http.Client
	targetKeys []string
	seq        atomic.Int64
	retried    atomic.Int64 // commands sent again after a 409
	ready      time.Time    // when the agreement was read: the ledger held it then
}

// maxRetries bounds the retries of a command answered 409; with the
// exponential backoff below they span several seconds, as a client under
// heavy contention on one agreement needs.
const maxRetries = 20

// targets lists the agreement's targets outturns can be recorded on.
func (c *client) targets(ctx context.Context) ([]string, error) {
	var view struct {
		View struct {
			Targets []struct {
				Key   string `json:"key"`
				State string `json:"state"`
			} `json:"targets"`
		} `json:"view"`
	}
	status, body, _, err := c.do(ctx, "GET", c.agreementPath(), c.o.readToken, nil, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", c.agreementPath(), status, body)
	}
	if err := json.Unmarshal(body, &view); err != nil {
		return nil, err
	}
	var keys []string
	for _, t := range view.View.Targets {
		if t.State == "locked" || t.State == "refreshed" {
			keys = append(keys, t.Key)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("agreement %s has no agreed target to record outturns on", c.o.agreement)
	}
	return keys, nil
}

func (c *client) agreementPath() string { return "/v1/agreements/" + c.o.agreement }

func (c *client) do(ctx context.Context, method, path, token string, body []byte, header map[string]string) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header, err
}

// sent is a command a user sent, kept to retry it.
type sent struct {
	key  string
	body []byte
}

// loop is one simulated user: it picks operations from the mix until ctx
// ends.
func (c *client) loop(ctx context.Context, id int, out chan<- result) {
	rng := rand.New(rand.NewPCG(c.o.seed, uint64(id)))
	ops := mix
	if len(c.o.onlyOps) > 0 {
		ops = slices.DeleteFunc(slices.Clone(mix), func(o op) bool { return !slices.Contains(c.o.onlyOps, o.name) })
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	var last *sent
	for ctx.Err() == nil {
		n := rng.IntN(total)
		var o op
		for _, o = range ops {
			if n < o.weight {
				break
			}
			n -= o.weight
		}
		if o.name == "record_retry" && last == nil {
			o = mix[0]
		}
		began := time.Now()
		status, body, err := c.one(ctx, rng, id, o, &last)
		if ctx.Err() != nil && err != nil {
			return // cut off by the end of the run, not an answer
		}
		r := result{op: o.name, latency: time.Since(began), status: status}
		switch {
		case err != nil:
			r.kind, r.unexp = "transport: "+errKind(err), true
		case status >= 200 && status < 300:
		case slices.Contains(o.expected, status):
			r.kind = strconv.Itoa(status) + " " + problemCode(body)
		default:
			r.kind, r.unexp = strconv.Itoa(status)+" "+problemCode(body), true
			if c.o.unexpectedStatusHook != nil {
				c.o.unexpectedStatusHook(o.name, status, body)
			}
		}
		out <- r
	}
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return "other"
}

func problemCode(body []byte) string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code
}

// one runs one operation of the mix.
func (c *client) one(ctx context.Context, rng *rand.Rand, id int, o op, last **sent) (int, []byte, error) {
	switch o.name {
	case "state":
		status, body, _, err := c.do(ctx, "GET", c.agreementPath(), c.o.readToken, nil, nil)
		return status, body, err
	case "timeline":
		status, body, _, err := c.do(ctx, "GET", c.agreementPath()+"/timeline?limit=50", c.o.readToken, nil, nil)
		return status, body, err
	case "as_of":
		// As now known at a date in the agreement's life (business time),
		// or as recorded a moment ago, while the load was writing.
		param := []string{"as_of", "known_at"}[rng.IntN(2)]
		at := time.Date(2008, 7, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(3*365)) * 24 * time.Hour).Format(time.RFC3339)
		if param == "as_of" {
			t := time.Now().Add(-time.Duration(rng.IntN(1000)) * time.Millisecond)
			if t.Before(c.ready) {
				t = c.ready
			}
			at = t.UTC().Format(time.RFC3339Nano)
		}
		status, body, _, err := c.do(ctx, "GET", c.agreementPath()+"?"+param+"="+url.QueryEscape(at), c.o.readToken, nil, nil)
		return status, body, err
	case "record_retry":
		s := *last
		status, body, _, err := c.do(ctx, "POST", "/v1/commands/laa.RecordOutturn", c.o.writeToken, s.body, map[string]string{"Idempotency-Key": s.key})
		if err == nil && status != http.StatusOK && status < 300 {
			return status, body, fmt.Errorf("a retried command was stored again (%d), not answered with its original result", status)
		}
		return status, body, err
	}
	header := map[string]string{}
	switch o.name {
	case "record_if_match":
		status, body, h, err := c.do(ctx, "GET", c.agreementPath(), c.o.readToken, nil, nil)
		if err != nil || status != http.StatusOK {
			return status, body, err
		}
		header["If-Match"] = h.Get("ETag")
	case "record_stale":
		header["If-Match"] = `"1"`
	}
	n := c.seq.Add(1)
	key := fmt.Sprintf("load-%d-%d-%d", c.o.seed, time.Now().UnixNano(), n)
	header["Idempotency-Key"] = key
	body, _ := json.Marshal(map[string]any{
		"occurred_at": "2011-12-01T10:00:00Z",
		"reason":      "load test",
		"command": map[string]any{"agreement": c.o.agreement, "target": c.targetKeys[rng.IntN(len(c.targetKeys))],
			"year": "2010/11", "value": float64(rng.IntN(1000)) / 10, "source": fmt.Sprintf("load test client %d", id)},
	})
	// A 409 is a race the server could not resolve by itself (without
	// If-Match); the client sends the same command again, same key.
	var (
		status int
		rbody  []byte
		err    error
	)
	for attempt := 0; ; attempt++ {
		status, rbody, _, err = c.do(ctx, "POST", "/v1/commands/laa.RecordOutturn", c.o.writeToken, body, header)
		if err != nil || status != http.StatusConflict || o.name != "record" || attempt == maxRetries {
			break
		}
		c.retried.Add(1)
		// Back off exponentially (5 ms doubling, at most 250 ms), with full
		// jitter, as a client should.
		backoff := min(5*time.Millisecond<<min(attempt, 6), 250*time.Millisecond)
		select {
		case <-time.After(time.Duration(rng.Int64N(int64(backoff)) + 1)):
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
	if err == nil && status == http.StatusCreated {
		*last = &sent{key: key, body: body}
	}
	return status, rbody, err
}
