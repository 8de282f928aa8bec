package projections_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// seqLog is a read model that remembers every sequence it was handed and
// refuses one out of order, so a double-applied or missed commit fails.
type seqLog struct {
	version int
	mu      sync.Mutex
	seqs    []uint64
	applied int // commits applied by this process, not snapshotted
}

func (m *seqLog) Name() string { return "seqlog" }
func (m *seqLog) Version() int { return m.version }
func (m *seqLog) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs = nil
}

func (m *seqLog) Apply(c *eventstore.Commit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	seq := c.Events[0].Sequence
	if n := len(m.seqs); n > 0 && m.seqs[n-1] != seq-1 || n == 0 && seq != 1 {
		return fmt.Errorf("sequence %d after %v", seq, m.seqs[max(0, n-3):])
	}
	m.seqs = append(m.seqs, seq)
	m.applied++
	return nil
}

func (m *seqLog) WriteSnapshot(w io.Writer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := make([]byte, 8*len(m.seqs))
	for i, s := range m.seqs {
		binary.LittleEndian.PutUint64(b[8*i:], s)
	}
	_, err := w.Write(b)
	return err
}

func (m *seqLog) ReadSnapshot(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs = nil
	for i := 0; i+8 <= len(b); i += 8 {
		m.seqs = append(m.seqs, binary.LittleEndian.Uint64(b[i:]))
	}
	return nil
}

func (m *seqLog) check(t *testing.T, last uint64) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if uint64(len(m.seqs)) != last {
		t.Fatalf("read model holds %d commits, ledger has %d", len(m.seqs), last)
	}
	for i, s := range m.seqs {
		if s != uint64(i+1) {
			t.Fatalf("commit %d of the read model is sequence %d", i+1, s)
		}
	}
}

func TestRestartMidStreamResumesWithoutMissingOrRepeating(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	dir := t.TempDir()
	h := newHistory(1)
	h.appendN(t, ctx, l.Store, 60)

	log1 := &seqLog{version: 1}
	r1 := openRunner(t, l, dir, projections.NewTimelines(), log1)
	stop := running(t, r1)
	// Live appends while the runner is catching up and following.
	last1 := h.appendN(t, ctx, l.Store, 40)
	if err := r1.WaitFor(ctx, last1); err != nil {
		t.Fatal(err)
	}
	if err := r1.Snapshot(); err != nil {
		t.Fatal(err)
	}
	crashed, err := os.ReadFile(filepath.Join(dir, projections.SnapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	last2 := h.appendN(t, ctx, l.Store, 30)
	if err := r1.WaitFor(ctx, last2); err != nil {
		t.Fatal(err)
	}
	stop()

	// The process dies after the snapshot at last1 but before the one it
	// would have written at last2; the ledger moves on meanwhile.
	if err := os.WriteFile(filepath.Join(dir, projections.SnapshotFile), crashed, 0o600); err != nil {
		t.Fatal(err)
	}
	last3 := h.appendN(t, ctx, l.Store, 25)
	l.Restart()

	tl := projections.NewTimelines()
	log2 := &seqLog{version: 1}
	r2 := openRunner(t, l, dir, tl, log2)
	if got := r2.Position(); got != last1 {
		t.Fatalf("restored position %d, want the snapshot's %d", got, last1)
	}
	running(t, r2)
	if err := r2.WaitFor(ctx, last3); err != nil {
		t.Fatal(err)
	}
	log2.check(t, last3)
	if got, want := log2.applied, int(last3-last1); got != want {
		t.Errorf("after restart applied %d commits, want only the tail of %d", got, want)
	}
	checkTimelines(t, tl, ledgerEntries(t, ctx, l.Store))

}

func TestCleanStopLeavesNothingToReplay(t *testing.T) {
	l, dir, last := stoppedAfter(t, 2, 50, projections.NewTimelines(), &seqLog{version: 1})
	log2 := &seqLog{version: 1}
	r2 := openRunner(t, l, dir, projections.NewTimelines(), log2)
	if r2.Position() != last {
		t.Fatalf("position after a clean stop %d, want %d", r2.Position(), last)
	}
	log2.check(t, last)
}

func TestChangedModelVersionRebuildsOnlyThatModel(t *testing.T) {
	ctx := estest.Context(t)
	l, dir, last := stoppedAfter(t, 3, 50, projections.NewTimelines(), &seqLog{version: 1})

	log2 := &seqLog{version: 2}
	r2 := openRunner(t, l, dir, projections.NewTimelines(), log2)
	pos := r2.Positions()
	if pos["timelines"] != last || pos["seqlog"] != 0 {
		t.Fatalf("positions after a code change %v, want timelines at %d and seqlog at 0", pos, last)
	}
	running(t, r2)
	if err := r2.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	log2.check(t, last)
}

func TestSnapshotOfAnotherLedgerIsDiscarded(t *testing.T) {
	ctx := estest.Context(t)
	_, dir, _ := stoppedAfter(t, 4, 20, &seqLog{version: 1})

	l2 := estest.Open(t)
	last2 := newHistory(5).appendN(t, ctx, l2.Store, 30)
	log2 := &seqLog{version: 1}
	r2 := openRunner(t, l2, dir, log2)
	if r2.Position() != 0 {
		t.Fatalf("position %d restored from another ledger's snapshot", r2.Position())
	}
	running(t, r2)
	if err := r2.WaitFor(ctx, last2); err != nil {
		t.Fatal(err)
	}
	log2.check(t, last2)
}

func TestDamagedSnapshotMeansRebuildNotWrongAnswers(t *testing.T) {
	ctx := estest.Context(t)
	l, dir, last := stoppedAfter(t, 6, 30, projections.NewTimelines())
	path := filepath.Join(dir, projections.SnapshotFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	tl := projections.NewTimelines()
	r2 := openRunner(t, l, dir, tl)
	if r2.Position() != 0 {
		t.Fatalf("position %d restored from a damaged snapshot", r2.Position())
	}
	running(t, r2)
	if err := r2.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	checkTimelines(t, tl, ledgerEntries(t, ctx, l.Store))
}

func TestWaitForReturnsOnceReached(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	h := newHistory(7)
	h.appendN(t, ctx, l.Store, 5)
	r := openRunner(t, l, "", &seqLog{version: 1})
	running(t, r)

	// A waiter for a sequence not yet written returns once it is written
	// and applied.
	errc := make(chan error, 1)
	go func() { errc <- r.WaitFor(ctx, 8) }()
	last := h.appendN(t, ctx, l.Store, 3)
	if last != 8 {
		t.Fatalf("ledger at %d, want 8", last)
	}
	if err := <-errc; err != nil {
		t.Fatalf("WaitFor(8): %v", err)
	}
	if r.Position() < 8 {
		t.Fatalf("WaitFor returned at position %d", r.Position())
	}
	// A sequence already applied returns at once.
	if err := r.WaitFor(ctx, 3); err != nil {
		t.Fatal(err)
	}
}

func TestWaitForTimesOutNamingTheSequenceReached(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	last := newHistory(8).appendN(t, ctx, l.Store, 4)
	r := openRunner(t, l, "", &seqLog{version: 1})
	running(t, r)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := r.WaitFor(wctx, last+10)
	var nr *projections.NotReachedError
	if !errors.As(err, &nr) || !errors.Is(err, projections.ErrNotReached) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor past the end: %v, want a NotReachedError", err)
	}
	if nr.Want != last+10 || nr.Reached != last {
		t.Fatalf("NotReachedError want %d reached %d; want %d and %d", nr.Want, nr.Reached, last+10, last)
	}
	want := fmt.Sprintf("projections at sequence %d, waited for %d", last, last+10)
	if got := err.Error(); len(got) < len(want) || got[:len(want)] != want {
		t.Fatalf("error %q does not start %q", got, want)
	}
}

func TestWaitForReportsAStoppedRunner(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	last := newHistory(9).appendN(t, ctx, l.Store, 3)
	r := openRunner(t, l, "", &seqLog{version: 1})
	catchUp(t, ctx, r, last)
	if err := r.WaitFor(ctx, last+1); !errors.Is(err, projections.ErrStopped) {
		t.Fatalf("WaitFor on a stopped runner: %v, want ErrStopped", err)
	}
}

func TestRebuildReportsProgressAndRestoresTheSameState(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	h := newHistory(10)
	last := h.appendN(t, ctx, l.Store, 80)
	tl := projections.NewTimelines()
	log := &seqLog{version: 1}
	r := openRunner(t, l, t.TempDir(), tl, log)
	running(t, r)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	var calls [][2]uint64
	if err := r.Rebuild(ctx, func(done, total uint64) { calls = append(calls, [2]uint64{done, total}) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) < 2 || calls[0] != [2]uint64{0, last} || calls[len(calls)-1] != [2]uint64{last, last} {
		t.Fatalf("progress calls %v, want 0/%d first and %d/%d last", calls, last, last, last)
	}
	if !slices.IsSortedFunc(calls, func(a, b [2]uint64) int { return int(a[0]) - int(b[0]) }) {
		t.Fatalf("progress went backwards: %v", calls)
	}
	log.check(t, last)
	// The live subscription carries on after the rebuild.
	last = h.appendN(t, ctx, l.Store, 10)
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	log.check(t, last)
	checkTimelines(t, tl, ledgerEntries(t, ctx, l.Store))
}
