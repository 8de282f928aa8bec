package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// The environment the suite reads:
//
//	LAALEDGER_CRASH_ROUNDS   kill/restart rounds (default 3, so that go test ./... stays quick)
//	LAALEDGER_CRASH_SEED     seed of the kill moments, sampled keys and byte to corrupt (default: the clock)
//	LAALEDGER_CRASH_CLIENTS  concurrent HTTP clients (default 4)
//	LAALEDGER_CRASH_MAX_LOAD longest time under load before a kill (default 1s)
//	LAALEDGER_CRASH_DIR      keep each run's ledger, logs, exports and acknowledgements under this directory
const (
	defaultRounds  = 3
	defaultClients = 4
	defaultMaxLoad = time.Second
	minLoad        = 20 * time.Millisecond
	// maxStartKill is the latest a start is killed: past the demo load and
	// the projections' catch-up of a small ledger.
	maxStartKill = 400 * time.Millisecond
	// answerTimeout bounds the retry of one unanswered command after a
	// restart: it must get a final answer within it.
	answerTimeout = time.Minute
	// replayedAcks is how many already acknowledged commands each round
	// sends again, whose answer must be the original one.
	replayedAcks = 3
)

// TestCrashRoundsLoseAndDuplicateNothing runs the kill -9 rounds: clients
// post outturns in a tight loop, each with a fresh Idempotency-Key; the
// server is killed with SIGKILL at a random moment, restarted, and every
// command that had no answer is sent again with its key. After each round
// the stopped ledger is exported and checked against the clients' journal,
// `verify` must pass, and the read models the restarted server resumed
// (snapshot plus tail) must equal those `rebuild` makes from sequence 1.
func TestCrashRoundsLoseAndDuplicateNothing(t *testing.T) {
	rounds := envInt(t, "LAALEDGER_CRASH_ROUNDS", defaultRounds)
	clients := envInt(t, "LAALEDGER_CRASH_CLIENTS", defaultClients)
	maxLoad := envDuration(t, "LAALEDGER_CRASH_MAX_LOAD", defaultMaxLoad)
	seed := envSeed(t)
	rng := seededRand(seed)
	t.Logf("seed %d (LAALEDGER_CRASH_SEED=%d repeats the kill delays and key samples; the interleaving is the machine's), %d rounds, %d clients",
		seed, seed, rounds, clients)

	bin := buildLaaledger(t)
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	j := journalIn(t, dir)
	httpc := newHTTPClient()

	// The first start is killed too, somewhere in creating the stream,
	// loading the demo history or catching up: the next start must finish
	// the job without storing anything twice.
	var total struct {
		kills, startKills, unanswered, foundStored, storedOnRetry, replayed int
	}
	d := time.Duration(rng.Int64N(int64(maxStartKill))).Round(time.Millisecond)
	t.Logf("first start killed after %s, %s", d, killWhileStarting(t, bin, data, dir, "0-killed-starting", d))
	total.startKills++
	srv := mustStartServer(t, bin, data, dir, "0-initial")
	var last findings
	for round := 1; round <= rounds; round++ {
		j.setRound(round)
		cl := &client{base: srv.base, http: httpc, j: j}

		// Load, then a kill at a random moment under it. Wait for the
		// round's first acknowledgement so every round kills a server that
		// is writing, then let it run a random while.
		before := j.ackCount()
		ctx, cancel := context.WithCancel(t.Context())
		wg := startClients(ctx, cl, clients)
		if err := waitFor(30*time.Second, func() bool { return j.ackCount() > before }); err != nil {
			cancel()
			t.Fatalf("round %d: no command acknowledged: %v (answers so far: %s)\n%s", round, err, j.statusSummary(), srv.logTail())
		}
		delay := minLoad + time.Duration(rng.Int64N(int64(maxLoad-minLoad)))
		time.Sleep(delay) // the random moment of the kill: the point of the test, not a wait for anything
		srv.kill(t)
		total.kills++
		cancel()
		if err := waitGroup(wg, 30*time.Second); err != nil {
			t.Fatalf("round %d: clients did not stop after the kill: %v", round, err)
		}
		ackedInRound := j.ackCount() - before

		// Sometimes a second crash while recovering from the first.
		restartKill := ""
		if rng.IntN(3) == 0 {
			d := time.Duration(rng.Int64N(int64(maxStartKill))).Round(time.Millisecond)
			restartKill = fmt.Sprintf("; the restart killed after %s, %s", d, killWhileStarting(t, bin, data, dir, fmt.Sprintf("%d-killed-restarting", round), d))
			total.startKills++
		}

		// Restart, then a final answer for every command that had none.
		srv = mustStartServer(t, bin, data, dir, fmt.Sprintf("%d-restart", round))
		cl = &client{base: srv.base, http: httpc, j: j}
		pending := j.takePending()
		total.unanswered += len(pending)
		found, stored := resend(t, cl, pending)
		total.foundStored += found
		total.storedOnRetry += stored

		// Some commands acknowledged in earlier rounds, again: the answer
		// must be the original one, marked as a duplicate.
		total.replayed += replayAcks(t, cl, j, rng, round)

		resumed, err := fetchViews(t, cl, j.maxSequence())
		if err != nil {
			t.Fatalf("round %d: read models after the restart: %v", round, err)
		}
		srv.stop(t)

		// The ledger from the outside, while no server holds it.
		l, r := exportLedger(t, bin, data, dir, "latest") // one file, overwritten: the last is the one to read after a failure
		if r.code != 0 {
			t.Fatalf("round %d: %s", round, r)
		}
		last = checkLedger(j, l)
		if !last.ok() {
			t.Errorf("round %d: the ledger does not hold what was acknowledged: %s", round, last)
			for _, p := range last.problems {
				t.Errorf("  %s", p)
			}
		}
		if r := runCLI(t, bin, "verify", "--data", data); r.code != 0 {
			t.Errorf("round %d: verify failed: %s", round, r)
		} else if m := verifiedLine.FindStringSubmatch(r.stdout); m == nil || m[3] != strconv.FormatUint(l.last, 10) {
			t.Errorf("round %d: verify does not cover the ledger up to stream sequence %d: %s", round, l.last, r)
		}
		if err := checkTimeline(resumed, l); err != nil {
			t.Errorf("round %d: resumed projections: %v", round, err)
		}
		if r := runCLI(t, bin, "rebuild", "--data", data); r.code != 0 {
			t.Fatalf("round %d: %s", round, r)
		}
		srv = mustStartServer(t, bin, data, dir, fmt.Sprintf("%d-rebuilt", round))
		rebuilt, err := fetchViews(t, &client{base: srv.base, http: httpc, j: j}, l.last)
		if err != nil {
			t.Fatalf("round %d: read models after rebuild: %v", round, err)
		}
		if d := firstDiff("", map[string]any(resumed), map[string]any(rebuilt)); d != "" {
			t.Errorf("round %d: projections resumed after the crash differ from projections rebuilt from sequence 1 (resumed vs rebuilt) at %s", round, d)
		}
		t.Logf("round %d: killed after %s of load, %d acknowledged in the round%s; %d unanswered at the kill: %d found stored, %d stored on retry; ledger: %s",
			round, delay.Round(time.Millisecond), ackedInRound, restartKill, len(pending), found, stored, last)
		// Every command sent is legal (a new value and source for an agreed
		// target): a refusal is a fault, whichever answer it was.
		j.mu.Lock()
		for k, why := range j.refused {
			t.Errorf("round %d: command %s was refused: %s", round, k, why)
		}
		j.mu.Unlock()
		if t.Failed() {
			break
		}
	}
	srv.stop(t)
	j.mu.Lock()
	sent, refused := len(j.sent), len(j.refused)
	j.mu.Unlock()
	t.Logf("crash suite: seed %d, %d rounds (%d kills under load, %d while starting): %d commands sent, %d acknowledged, %d refused; lost %d, duplicated %d, unknown %d, mismatched %d, gaps %d; %d unanswered at a kill (%d found already stored, %d stored on retry); %d acknowledged commands replayed; non-2xx answers: %s",
		seed, rounds, total.kills, total.startKills, sent, last.acknowledged, refused, last.lost, last.duplicated, last.unknown, last.mismatched, last.gaps,
		total.unanswered, total.foundStored, total.storedOnRetry, total.replayed, j.statusSummary())
}

// resend sends every unanswered command again, with its key, until each
// has a final answer, and returns how many turned out to be stored already
// (200, duplicate) and how many were stored now (201). A refusal is a
// failure: the command was legal when first sent and a retry must not
// change that.
func resend(t *testing.T, cl *client, pending []*command) (found, stored int) {
	t.Helper()
	type answer struct {
		c   *command
		o   outcome
		a   ack
		err error
	}
	answers := make([]answer, len(pending))
	var wg sync.WaitGroup
	for i, c := range pending {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), answerTimeout)
			defer cancel()
			for {
				o, a, err := cl.post(ctx, c, true)
				answers[i] = answer{c, o, a, err}
				if o == outcomeAcked || o == outcomeRefused || ctx.Err() != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(retryBackoff):
				}
			}
		})
	}
	wg.Wait()
	for _, an := range answers {
		switch an.o {
		case outcomeAcked:
			if an.a.Duplicate {
				found++
			} else {
				stored++
			}
		case outcomeRefused:
			t.Errorf("retry of %s refused: %v", an.c.key, an.err)
		default:
			t.Errorf("retry of %s: no final answer within %s: %v", an.c.key, answerTimeout, an.err)
		}
	}
	return found, stored
}

// replayAcks sends a few commands acknowledged in earlier rounds again and
// checks that each gets its original answer. It returns how many it sent.
func replayAcks(t *testing.T, cl *client, j *journal, rng *rand.Rand, round int) int {
	t.Helper()
	var earlier []ack
	for _, a := range j.sortedAcks() {
		if a.Round < round {
			earlier = append(earlier, a)
		}
	}
	n := 0
	for range min(replayedAcks, len(earlier)) {
		orig := earlier[rng.IntN(len(earlier))]
		j.mu.Lock()
		c := j.sent[orig.Key]
		j.mu.Unlock()
		o, got, err := cl.post(t.Context(), c, true)
		n++
		switch {
		case o != outcomeAcked:
			t.Errorf("round %d: replay of acknowledged %s (sequence %d): %v", round, orig.Key, orig.Sequence, err)
		case !got.Duplicate || got.Sequence != orig.Sequence || got.FirstVersion != orig.FirstVersion || got.LastVersion != orig.LastVersion:
			t.Errorf("round %d: replay of acknowledged %s got %d sequence %d versions %d..%d duplicate %v; first answer sequence %d versions %d..%d",
				round, orig.Key, got.Status, got.Sequence, got.FirstVersion, got.LastVersion, got.Duplicate, orig.Sequence, orig.FirstVersion, orig.LastVersion)
		}
	}
	return n
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %s", timeout)
		}
		time.Sleep(pollInterval)
	}
	return nil
}

// waitGroup waits for wg, up to the timeout.
func waitGroup(wg *sync.WaitGroup, timeout time.Duration) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("still running after %s", timeout)
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= minLoad {
		t.Fatalf("%s=%q: want a duration above %s", name, v, minLoad)
	}
	return d
}

// seededRand is the random source a test draws its kill delays and key
// samples from, repeatable by its seed.
func seededRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func envSeed(t *testing.T) uint64 {
	t.Helper()
	v := os.Getenv("LAALEDGER_CRASH_SEED")
	if v == "" {
		return uint64(time.Now().UnixNano())
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("LAALEDGER_CRASH_SEED=%q: want an unsigned integer", v)
	}
	return n
}
