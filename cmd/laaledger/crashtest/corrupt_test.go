package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// corruptAcks is how many acknowledged commands the corruption round
	// wants in the ledger before the crash, so that the block holds
	// acknowledged commits on both sides of the flipped byte.
	corruptAcks = 400
	// corruptReadyWait is how long the corrupted server is given to become
	// ready before it is judged not ready.
	corruptReadyWait = 10 * time.Second
	// corruptReplays bounds how many acknowledged commands are sent again
	// to the corrupted server.
	corruptReplays = 200
)

// TestCorruptBlockFailsClosed crashes the server under load, flips one byte
// in the middle of the ledger stream's last message block, and restarts
// it. The ledger must then fail closed: the server refuses to start, or it
// starts without being ready and refuses every command (never storing a
// new commit at a sequence that was acknowledged before, never storing an
// acknowledged command a second time), and `verify` exits non-zero.
//
// It runs twice: after a SIGKILL (the server has written no block index
// and rebuilds its state from the blocks on restart) and after a clean stop
// (the block index is there and describes the block before the flip).
//
// The ledger's watermark (eventstore.Watermark) and the notary's signed
// checkpoints are what make it fail closed here.
func TestCorruptBlockFailsClosed(t *testing.T) {
	bin := buildLaaledger(t)
	t.Run("after a kill", func(t *testing.T) { corruptRound(t, bin, false) })
	t.Run("after a clean stop", func(t *testing.T) { corruptRound(t, bin, true) })
}

func corruptRound(t *testing.T, bin string, cleanStop bool) {
	seed := envSeed(t)
	rng := seededRand(seed)
	t.Logf("seed %d", seed)
	dir := workDir(t)
	data := filepath.Join(dir, "data")
	j := journalIn(t, dir)
	httpc := newHTTPClient()

	// Load until enough is acknowledged, then SIGKILL under load.
	srv := mustStartServer(t, bin, data, dir, "0-initial")
	j.setRound(1)
	cl := &client{base: srv.base, http: httpc, j: j}
	ctx, cancel := context.WithCancel(t.Context())
	wg := startClients(ctx, cl, defaultClients)
	if err := waitFor(time.Minute, func() bool { return j.ackCount() >= corruptAcks }); err != nil {
		cancel()
		t.Fatalf("fewer than %d commands acknowledged: %v", corruptAcks, err)
	}
	time.Sleep(time.Duration(rng.Int64N(int64(200 * time.Millisecond)))) // a random moment of the kill
	if cleanStop {
		cancel()
		if err := waitGroup(wg, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		srv.stop(t)
	} else {
		srv.kill(t)
		cancel()
		if err := waitGroup(wg, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	acks := j.sortedAcks()
	maxAcked := j.maxSequence()
	t.Logf("before the restart: %d commands acknowledged, up to stream sequence %d; %d unanswered", len(acks), maxAcked, len(j.takePending()))

	// One flipped byte in the middle of the last message block.
	blk, off, was := flipByte(t, data, rng)
	_, err := os.Stat(filepath.Join(filepath.Dir(blk), "index.db"))
	t.Logf("flipped the byte at offset %d of %s (0x%02x → 0x%02x); block index present: %v", off, blk, was, was^0xff, err == nil)

	// The restart: refusing to start is failing closed.
	srv, err = launchServer(t, bin, data, dir, "1-corrupt")
	if err != nil {
		t.Logf("observed: serve did not start: %v", err)
	} else {
		observeCorruptServer(t, srv, &client{base: srv.base, http: httpc, j: j}, j, acks, maxAcked, rng)
		srv.stop(t)
	}

	r := runCLI(t, bin, "verify", "--data", data)
	t.Logf("observed: verify exit %d: %s%s", r.code, strings.TrimSpace(r.stdout), strings.TrimSpace(r.stderr))
	if r.code == 0 {
		t.Errorf("verify exits 0 on a ledger whose block was corrupted")
	}
	if l, r := exportLedger(t, bin, data, dir, "corrupt"); r.code != 0 {
		t.Logf("observed: export exit %d: %s", r.code, strings.TrimSpace(r.stderr))
	} else {
		t.Logf("observed: export exit 0: %s", strings.TrimSpace(r.stderr))
		f := checkLedger(j, l)
		t.Logf("observed: the exported ledger against the clients' journal: %s", f)
		for _, p := range f.problems {
			t.Logf("  %s", p)
		}
	}
}

// observeCorruptServer probes a server started on a corrupted store: is it
// ready, does it accept a new command, what does it answer to commands
// acknowledged before the crash. Accepting anything is reported as an error.
func observeCorruptServer(t *testing.T, srv *server, cl *client, j *journal, acks []ack, maxAcked uint64, rng *rand.Rand) {
	t.Helper()
	status, body := pollReady(srv, corruptReadyWait)
	t.Logf("observed: /readyz %d %s", status, body)
	if status == http.StatusOK {
		t.Errorf("/readyz answers 200 on a corrupted store")
	}

	c := j.next(0)
	o, a, err := cl.post(t.Context(), c, false)
	switch o {
	case outcomeAcked:
		t.Logf("observed: a new command was accepted: %d, stream sequence %d, version %d", a.Status, a.Sequence, a.LastVersion)
		t.Errorf("a new command was accepted on a corrupted store (%d, sequence %d)", a.Status, a.Sequence)
		if a.Sequence <= maxAcked {
			t.Errorf("the new command took stream sequence %d, at or below %d acknowledged before the crash: a sequence number reused", a.Sequence, maxAcked)
		}
	default:
		t.Logf("observed: a new command was not accepted: %v", err)
	}

	// Acknowledged commands sent again: a fresh 201 means the ledger no
	// longer knew the key and stored the command a second time.
	sample := acks
	if len(sample) > corruptReplays {
		sample = make([]ack, corruptReplays)
		for i, k := range rng.Perm(len(acks))[:corruptReplays] {
			sample[i] = acks[k]
		}
		sort.Slice(sample, func(a, b int) bool { return sample[a].Sequence < sample[b].Sequence })
	}
	answers := map[string]int{}
	var restored []string
	for _, orig := range sample {
		j.mu.Lock()
		c := j.sent[orig.Key]
		j.mu.Unlock()
		o, got, err := cl.post(t.Context(), c, true)
		switch {
		case o == outcomeAcked && got.Duplicate && got.Sequence == orig.Sequence:
			answers["original answer"]++
		case o == outcomeAcked && got.Duplicate:
			answers["duplicate at another sequence"]++
		case o == outcomeAcked:
			answers[fmt.Sprintf("%d stored again", got.Status)]++
			restored = append(restored, fmt.Sprintf("%s (sequence %d → %d)", orig.Key, orig.Sequence, got.Sequence))
		default:
			answers[fmt.Sprint(err)]++
		}
	}
	t.Logf("observed: %d acknowledged commands sent again: %v", len(sample), answers)
	if len(restored) > 0 {
		t.Errorf("%d acknowledged commands were stored a second time, e.g. %v", len(restored), clipList(restored))
	}
	status, body = pollReady(srv, 0)
	t.Logf("observed: /readyz afterwards %d %s", status, body)
}

// pollReady polls /readyz until it answers 200 or wait passes, and returns
// the last answer.
func pollReady(srv *server, wait time.Duration) (int, string) {
	deadline := time.Now().Add(wait)
	for {
		status, body := 0, ""
		resp, err := http.Get(srv.base + "/readyz")
		if err != nil {
			body = err.Error()
		} else {
			status, body = resp.StatusCode, strings.TrimSpace(string(readBody(resp)))
		}
		if status == http.StatusOK || time.Now().After(deadline) {
			return status, body
		}
		time.Sleep(pollInterval)
	}
}

// flipByte inverts one byte in the middle third of the ledger stream's last
// message block and returns the file, the offset and the byte it was.
func flipByte(t *testing.T, data string, rng *rand.Rand) (string, int64, byte) {
	t.Helper()
	blocks, err := filepath.Glob(filepath.Join(data, "jetstream", "jetstream", "*", "streams", "LEDGER", "msgs", "*.blk"))
	if err != nil || len(blocks) == 0 {
		t.Fatalf("no message block of the LEDGER stream under %s (%v)", data, err)
	}
	sort.Slice(blocks, func(a, b int) bool { return blockNumber(blocks[a]) < blockNumber(blocks[b]) })
	blk := blocks[len(blocks)-1]
	f, err := os.OpenFile(blk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 3 {
		t.Fatalf("%s holds %d bytes", blk, st.Size())
	}
	off := st.Size()/3 + rng.Int64N(st.Size()/3)
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	was := b[0]
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return blk, off, was
}

func blockNumber(path string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), ".blk"))
	return n
}
