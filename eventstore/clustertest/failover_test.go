package clustertest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

// Bounds of the failover test. The rounds are small so the whole test stays
// well inside its budget under -race on two shared cores; what matters is
// that appends are in flight while nodes go away.
const (
	workers         = 4
	aggsPerWorker   = 2
	attemptTimeout  = 3 * time.Second  // one Append; then retry the same command
	resumeDeadline  = 30 * time.Second // appends must resume within this after a loss
	catchUpDeadline = 30 * time.Second // a restarted node must be current within this
	acksPerPhase    = 20
)

// ack is one acknowledged command as its client saw it.
type ack struct {
	worker, n     int
	agg           eventstore.Aggregate
	command       string
	res           eventstore.AppendResult
	attemptedAt   time.Time // start of the attempt that was acknowledged
	acknowledged  time.Time
	failedBefore  int // attempts of this command that failed first
	answeredByDup bool
}

// ackLog collects what the clients saw.
type ackLog struct {
	mu       sync.Mutex
	acks     []ack
	errs     map[string]int // failed attempts by error text, ids removed
	failures []string       // what must never happen
}

func (l *ackLog) add(a ack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks = append(l.acks, a)
}

func (l *ackLog) failedAttempt(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs[errorKind(err)]++
}

func (l *ackLog) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, fmt.Sprintf(format, args...))
}

func (l *ackLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// longestGap is the longest time without an acknowledgement between from
// and to.
func (l *ackLog) longestGap(from, to time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := []time.Time{from}
	for _, a := range l.acks {
		if a.acknowledged.After(from) && a.acknowledged.Before(to) {
			times = append(times, a.acknowledged)
		}
	}
	times = append(times, to)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	var gap time.Duration
	for i := 1; i < len(times); i++ {
		gap = max(gap, times[i].Sub(times[i-1]))
	}
	return gap
}

// errorKind strips the aggregate and command from an append error so that
// failures group by cause.
func errorKind(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "append ") {
		msg = msg[i+2:]
	}
	if strings.HasPrefix(msg, "laa ") || strings.HasPrefix(msg, "command ") {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	return msg
}

// definite reports whether an append error is an answer rather than an
// unknown outcome: such a command must not be retried, and in this test
// (one writer per aggregate, one command per id) none may occur.
func definite(err error) bool {
	return errors.Is(err, eventstore.ErrConflict) || errors.Is(err, eventstore.ErrDuplicate) ||
		errors.Is(err, eventstore.ErrInvalid) || errors.Is(err, eventstore.ErrTampered)
}

// runWorker appends commands to its own aggregates until stop is closed,
// retrying each command with the same id until it is acknowledged, as a
// client of `serve` retries with the same Idempotency-Key.
func runWorker(ctx context.Context, s *eventstore.Store, w int, stop <-chan struct{}, log *ackLog) {
	aggs := make([]eventstore.Aggregate, aggsPerWorker)
	versions := make([]uint64, aggsPerWorker)
	for i := range aggs {
		aggs[i] = eventstore.Aggregate{Kind: "laa", ID: fmt.Sprintf("W%d%c/2008-11", w, 'A'+i)}
	}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		k := n % aggsPerWorker
		events := commandEvents(w, n)
		command := fmt.Sprintf("w%d-c%d", w, n)
		for attempt := 0; ; attempt++ {
			started := time.Now()
			actx, cancel := context.WithTimeout(ctx, attemptTimeout)
			res, err := s.Append(actx, aggs[k], versions[k], events, command)
			cancel()
			if err == nil {
				versions[k] = res.LastVersion
				log.add(ack{worker: w, n: n, agg: aggs[k], command: command, res: res, attemptedAt: started,
					acknowledged: time.Now(), failedBefore: attempt, answeredByDup: res.Duplicate})
				break
			}
			if definite(err) {
				log.fail("worker %d command %s (attempt %d): %v", w, command, attempt+1, err)
				return
			}
			log.failedAttempt(err)
			if ctx.Err() != nil {
				log.fail("worker %d command %s: not acknowledged before the test's deadline: %v", w, command, err)
				return
			}
			// Pace the retries: an election takes seconds, and spinning
			// on "no responders" would starve the nodes of CPU.
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
}

// commandEvents are the events of worker w's n-th command: one or, every
// third command, two (a command is one commit however many events it has).
func commandEvents(w, n int) []eventstore.Event {
	count := 1
	if n%3 == 2 {
		count = 2
	}
	at := time.Date(2009, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	events := make([]eventstore.Event, count)
	for i := range events {
		events[i] = eventstore.Event{
			Type:          "laa.TargetProposed",
			SchemaVersion: 1,
			Data:          []byte(fmt.Sprintf(`{"worker":%d,"command":%d,"event":%d}`, w, n, i)),
			Actor:         eventstore.Actor{ID: fmt.Sprintf("officer-%d", w), Role: "negotiator", Organisation: "LSP"},
			OccurredAt:    at,
		}
	}
	return events
}

// streamLeader asks JetStream which node leads the ledger stream.
func streamLeader(ctx context.Context, s *eventstore.Store) (string, error) {
	info, err := conns.Of(s).Stream.Info(ctx)
	if err != nil {
		return "", err
	}
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return "", errors.New("stream has no leader")
	}
	return info.Cluster.Leader, nil
}

// leader waits for the ledger stream to have a leader other than not (""
// for any) and returns its name. Each question has its own short deadline:
// while leadership moves, a JetStream API request is now and then never
// answered.
func (c *cluster) leader(ctx context.Context, s *eventstore.Store, not string) string {
	c.t.Helper()
	var name string
	what := "a stream leader"
	if not != "" {
		what = "a stream leader other than " + not
	}
	c.waitFor(what, resumeDeadline, func() bool {
		lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		l, err := streamLeader(lctx, s)
		name = l
		return err == nil && l != not
	})
	return name
}

// TestAppendsSurviveLeaderLossAndNodeRestart appends from several clients
// while the stream leader is shut down (and later restarted on its store),
// then while a follower is shut down and restarted; a second store follows
// the ledger with a subscription throughout. Appends must resume within
// resumeDeadline, and afterwards the ledger holds every acknowledged command
// exactly once, where its acknowledgement said, in each client's order, with
// no version gap and with every hash chain intact, and the subscriber has
// seen exactly that ledger.
func TestAppendsSurviveLeaderLossAndNodeRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	c := startCluster(t, 3)
	s := c.open(ctx)

	ictx, icancel := context.WithTimeout(ctx, 10*time.Second)
	info, err := conns.Of(s).Stream.Info(ictx)
	icancel()
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Config.Replicas; got != 3 {
		t.Fatalf("stream replicas: got %d, want 3", got)
	}
	if err := eventstore.CheckStreamConfig(info.Config); err != nil {
		t.Fatalf("the stream the store created on the cluster: %v", err)
	}
	c.waitFor("three current replicas", catchUpDeadline, c.streamCurrent)

	// A second store, as a second serve process would, follows the ledger
	// through every failure below.
	follower := c.open(ctx)
	sub := startSubscriber(ctx, follower)

	log := &ackLog{errs: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			runWorker(ctx, s, w, stop, log)
		})
	}
	stopped := false
	stopWorkers := func() {
		if !stopped {
			stopped = true
			close(stop)
		}
	}
	defer func() { stopWorkers(); wg.Wait() }()
	acksAtLeast := func(n int) func() bool { return func() bool { return log.count() >= n } }
	probe := &prober{s: s, log: log, worker: workers}

	c.waitFor("the first acknowledgements", resumeDeadline, acksAtLeast(acksPerPhase))

	// (a) The stream leader goes away.
	leader := c.leader(ctx, s, "")
	lost := c.byName(leader)
	metaAtLoss := c.metaLeader()
	lostAt := time.Now()
	c.stop(lost)
	resumed := probe.append(t, ctx)
	newLeader := c.leader(ctx, s, leader)
	c.waitFor("appends from every client after the leader's loss", resumeDeadline, func() bool {
		return log.everyWorkerAttemptedAfter(lostAt)
	})
	mark := log.count()
	c.waitFor("appends to continue with two nodes", resumeDeadline, acksAtLeast(mark+acksPerPhase))
	gapLeader := log.longestGap(lostAt, time.Now())

	c.start(lost)
	rejoined := c.waitFor(lost.name+" to catch up after its restart", catchUpDeadline, c.streamCurrent)
	mark = log.count()
	c.waitFor("appends with three nodes again", resumeDeadline, acksAtLeast(mark+acksPerPhase))

	// (b) A follower is shut down under load and restarted on its store.
	leader = c.leader(ctx, s, "")
	var victim *node // a follower, preferably not the node just restarted
	for _, n := range c.nodes {
		if n.name != leader && (victim == nil || victim == lost) {
			victim = n
		}
	}
	metaAtKill := c.metaLeader()
	killedAt := time.Now()
	c.stop(victim)
	withoutVictim := probe.append(t, ctx)
	mark = log.count()
	c.waitFor("appends to continue without "+victim.name, resumeDeadline, acksAtLeast(mark+acksPerPhase))
	gapFollower := log.longestGap(killedAt, time.Now())
	c.start(victim)
	c.waitFor(victim.name+" to catch up after its restart", catchUpDeadline, c.streamCurrent)
	mark = log.count()
	c.waitFor("appends after "+victim.name+" rejoined", resumeDeadline, acksAtLeast(mark+acksPerPhase))

	stopWorkers()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(resumeDeadline):
		t.Fatal("clients did not finish their last commands")
	}
	c.waitFor("every replica current at the end", catchUpDeadline, c.streamCurrent)

	log.mu.Lock()
	acks, failures, errs := log.acks, log.failures, log.errs
	log.mu.Unlock()
	for _, f := range failures {
		t.Error(f)
	}
	retried, dupAnswers := 0, 0
	for _, a := range acks {
		if a.failedBefore > 0 {
			retried++
		}
		if a.answeredByDup {
			dupAnswers++
		}
	}
	var kinds []string
	for k, n := range errs {
		kinds = append(kinds, fmt.Sprintf("%d× %s", n, k))
	}
	sort.Strings(kinds)
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	t.Logf("stream leader %s shut down (meta leader %s): a new append acknowledged after %s (new leader %s); longest time without any acknowledgement %s",
		lost.name, metaAtLoss, ms(resumed), newLeader, ms(gapLeader))
	t.Logf("%s restarted on its store: current again after %s", lost.name, ms(rejoined))
	t.Logf("follower %s shut down (meta leader %s): a new append acknowledged after %s; longest time without any acknowledgement %s",
		victim.name, metaAtKill, ms(withoutVictim), ms(gapFollower))
	t.Logf("%d commands acknowledged, %d after failed attempts, %d of those answered as already stored; the clients' failed attempts: %s",
		len(acks), retried, dupAnswers, strings.Join(kinds, "; "))

	commits := readAll(t, ctx, s)
	lostCount, dupCount := verifyLedger(t, ctx, s, acks, commits)
	t.Logf("ledger: %d commits; lost %d, duplicated %d", len(commits), lostCount, dupCount)

	last := uint64(len(commits))
	c.waitFor("the subscriber to reach the end of the ledger", catchUpDeadline, func() bool { return sub.reached() >= last })
	if err := sub.stop(); err != nil {
		t.Errorf("subscription through the failures: %v", err)
	}
	got := sub.commands()
	if len(got) != len(commits) {
		t.Errorf("subscriber saw %d commits, the ledger holds %d", len(got), len(commits))
	}
	for i := 0; i < min(len(got), len(commits)); i++ {
		if got[i] != commits[i].CommandID {
			t.Errorf("subscriber's commit %d is command %s, the ledger's is %s", i+1, got[i], commits[i].CommandID)
			break
		}
	}
}

// prober measures how long the ledger takes to accept a new command: it
// appends to its own aggregate, retrying the same command every half
// second, until one is acknowledged.
type prober struct {
	s       *eventstore.Store
	log     *ackLog
	worker  int
	n       int
	version uint64
}

func (p *prober) append(t *testing.T, ctx context.Context) time.Duration {
	t.Helper()
	agg := eventstore.Aggregate{Kind: "laa", ID: "PROBE/2008-11"}
	events := commandEvents(p.worker, p.n)
	command := fmt.Sprintf("probe-c%d", p.n)
	start := time.Now()
	deadline := start.Add(resumeDeadline)
	for attempt := 0; ; attempt++ {
		began := time.Now()
		actx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		res, err := p.s.Append(actx, agg, p.version, events, command)
		cancel()
		if err == nil {
			took := time.Since(start)
			p.log.add(ack{worker: p.worker, n: p.n, agg: agg, command: command, res: res, attemptedAt: began,
				acknowledged: time.Now(), failedBefore: attempt, answeredByDup: res.Duplicate})
			p.version = res.LastVersion
			p.n++
			return took
		}
		if definite(err) || time.Now().After(deadline) {
			t.Fatalf("probe command %s after %s: %v", command, time.Since(start).Round(time.Millisecond), err)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// everyWorkerAttemptedAfter reports whether every client has had an attempt
// that began after t acknowledged.
func (l *ackLog) everyWorkerAttemptedAfter(t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[int]bool{}
	for _, a := range l.acks {
		if a.worker < workers && a.attemptedAt.After(t) {
			seen[a.worker] = true
		}
	}
	return len(seen) == workers
}

// subscriber follows the ledger through [eventstore.Store.Subscribe].
type subscriber struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	cmds   []string
	last   uint64
}

func startSubscriber(ctx context.Context, s *eventstore.Store) *subscriber {
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscriber{cancel: cancel, done: make(chan error, 1)}
	go func() {
		sub.done <- s.Subscribe(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
			sub.mu.Lock()
			defer sub.mu.Unlock()
			seq := c.Events[0].Sequence
			if seq != sub.last+1 {
				return fmt.Errorf("commit %d delivered after %d", seq, sub.last)
			}
			sub.last = seq
			sub.cmds = append(sub.cmds, c.CommandID)
			return nil
		})
	}()
	return sub
}

func (sub *subscriber) reached() uint64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.last
}

func (sub *subscriber) commands() []string {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.cmds
}

// stop ends the subscription and returns what ended it, if not the stop.
func (sub *subscriber) stop() error {
	select {
	case err := <-sub.done: // ended by itself
		if err == nil {
			err = errors.New("ended before it was stopped")
		}
		return err
	default:
	}
	sub.cancel()
	select {
	case err := <-sub.done:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("did not stop within 10s")
	}
}

// readAll reads the whole ledger back through the store.
func readAll(t *testing.T, ctx context.Context, s *eventstore.Store) []*eventstore.Commit {
	t.Helper()
	var commits []*eventstore.Commit
	retryRead(t, ctx, "read the ledger back", func(ctx context.Context) error {
		commits = commits[:0]
		_, err := s.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
			commits = append(commits, c)
			return nil
		})
		return err
	})
	return commits
}

// retryRead runs a read with a deadline of its own, up to three times. On a
// cluster whose leadership has just changed, a JetStream API request
// (creating a reader, a direct get) is now and then never answered; the
// store then reports ErrUnavailable at the caller's deadline, and a read,
// which changes nothing, can simply be repeated. Each repetition is logged.
func retryRead(t *testing.T, ctx context.Context, what string, read func(context.Context) error) {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		began := time.Now()
		err = read(rctx)
		cancel()
		if took := time.Since(began); took > 2*time.Second {
			t.Logf("%s, attempt %d, took %s: %v", what, attempt, took.Round(time.Millisecond), err)
		}
		if err == nil {
			return
		}
		t.Logf("%s, attempt %d: %v", what, attempt, err)
		if !errors.Is(err, eventstore.ErrUnavailable) {
			break
		}
	}
	t.Fatalf("%s: %v", what, err)
}

// verifyLedger checks the ledger's commits against the acknowledgements:
// every acknowledged command once, at the sequence it was acknowledged
// with, nothing else, contiguous sequences from 1, each client's commands in
// its order, chains intact, and each aggregate's history, read fresh, ending
// where its client left it. It returns how many acknowledged commands were
// missing and how many were stored twice.
func verifyLedger(t *testing.T, ctx context.Context, s *eventstore.Store, acks []ack, commits []*eventstore.Commit) (lost, duplicated int) {
	t.Helper()
	byCommand := map[string]ack{}
	for _, a := range acks {
		if _, ok := byCommand[a.command]; ok {
			t.Errorf("command %s acknowledged twice to its client", a.command)
		}
		byCommand[a.command] = a
	}
	seen := map[string]uint64{}
	verifier := eventstore.NewChainVerifier()
	for i, cm := range commits {
		seq := cm.Events[0].Sequence
		if seq != uint64(i+1) {
			t.Errorf("commit %d of the ledger has sequence %d", i+1, seq)
		}
		if first, ok := seen[cm.CommandID]; ok {
			t.Errorf("command %s stored twice: sequences %d and %d", cm.CommandID, first, seq)
			duplicated++
			continue
		}
		seen[cm.CommandID] = seq
		a, ok := byCommand[cm.CommandID]
		switch {
		case !ok:
			t.Errorf("sequence %d holds command %s, which no client saw acknowledged", seq, cm.CommandID)
		case a.res.Sequence != seq:
			t.Errorf("command %s acknowledged at sequence %d, stored at %d", cm.CommandID, a.res.Sequence, seq)
		case len(cm.Events) != len(a.res.Events):
			t.Errorf("command %s: %d events stored, %d acknowledged", cm.CommandID, len(cm.Events), len(a.res.Events))
		}
		for i := range cm.Events {
			if err := verifier.Check(&cm.Events[i]); err != nil {
				t.Errorf("sequence %d: %v", seq, err)
			}
		}
	}
	for cmd, a := range byCommand {
		if _, ok := seen[cmd]; !ok {
			t.Errorf("acknowledged command %s (sequence %d) is missing", cmd, a.res.Sequence)
			lost++
		}
	}

	lastOf := map[int]ack{}
	final := map[eventstore.Aggregate]uint64{}
	sorted := append([]ack(nil), acks...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].worker != sorted[j].worker {
			return sorted[i].worker < sorted[j].worker
		}
		return sorted[i].n < sorted[j].n
	})
	for _, a := range sorted {
		if p, ok := lastOf[a.worker]; ok && (a.n != p.n+1 || a.res.Sequence <= p.res.Sequence) {
			t.Errorf("client %d: command %d (sequence %d) after command %d (sequence %d)", a.worker, a.n, a.res.Sequence, p.n, p.res.Sequence)
		}
		lastOf[a.worker] = a
		final[a.agg] = a.res.LastVersion
	}
	for agg, version := range final {
		var h eventstore.History
		retryRead(t, ctx, "load "+agg.String(), func(ctx context.Context) (err error) {
			h, err = s.LoadFresh(ctx, agg)
			return err
		})
		if h.Version != version || uint64(len(h.Events)) != version {
			t.Errorf("%s: version %d with %d events, want %d", agg, h.Version, len(h.Events), version)
		}
	}
	return lost, duplicated
}
