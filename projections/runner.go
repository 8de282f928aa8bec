package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// Config says where a [Runner] reads and where it keeps its snapshots.
type Config struct {
	// Store is the ledger to project.
	Store *eventstore.Store
	// Dir holds the snapshot file (usually <data dir>/projections). Empty
	// keeps nothing: every start rebuilds from sequence 1.
	Dir string
	// SnapshotInterval is the least time between two snapshots taken while
	// running; it bounds how much of the stream a crash makes the next start
	// replay. Default one minute. A snapshot is also taken at the end of a
	// long catch-up, after [Runner.Rebuild] and when [Runner.Run] returns.
	SnapshotInterval time.Duration
	// CatchUpSnapshot is the number of commits a catch-up must have applied
	// for its end to be worth a snapshot. Default 10,000.
	CatchUpSnapshot uint64
	// Logger receives the runner's log lines; default slog.Default().
	Logger *slog.Logger
	// AsOfCheckpoints is the most states a [Reader] keeps, across all
	// aggregates, to answer a state as now known at a past instant
	// without folding the whole timeline (see asof_checkpoints.go): up to
	// 32 per aggregate, about 145 MB for every agreement of a
	// million-event ledger. Default 5,120; a negative number keeps none,
	// and every such read folds the aggregate's timeline up to the
	// instant.
	AsOfCheckpoints int
}

// Runner feeds the ledger to read models and keeps track of how far each
// has got. It is safe for concurrent use.
type Runner struct {
	cfg   Config
	store *eventstore.Store
	log   *slog.Logger
	slots []*slot

	// applyMu is held while a commit is applied, while the models are
	// rebuilt and while a snapshot is written, so a snapshot always shows
	// every model exactly at its recorded position.
	applyMu  sync.Mutex
	lastSnap time.Time
	snapPos  uint64

	pos     atomic.Uint64 // the lowest position of any model
	waiters atomic.Int32
	mu      sync.Mutex
	advance chan struct{} // closed and replaced when pos moves and someone waits
	stopErr error         // why Run stopped, if it did
}

// slot is a read model and the last sequence it has applied.
type slot struct {
	m    ReadModel
	pos  uint64
	hash string // hash of the last event of the commit at pos
}

// Open restores the models from the snapshot in cfg.Dir, if any, checking
// that the snapshot belongs to this ledger (the hash of the event at its
// position must match the stream's). A model missing from the snapshot, or
// snapshotted by another Version of its code, starts from sequence 1.
// Open does not read the stream beyond that check; call [Runner.Run].
func Open(ctx context.Context, cfg Config, models ...ReadModel) (*Runner, error) {
	if cfg.Store == nil {
		return nil, invalidf("projection runner: no store")
	}
	if len(models) == 0 {
		return nil, invalidf("projection runner: no read models")
	}
	if cfg.SnapshotInterval <= 0 {
		cfg.SnapshotInterval = time.Minute
	}
	if cfg.CatchUpSnapshot == 0 {
		cfg.CatchUpSnapshot = 10_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runner{cfg: cfg, store: cfg.Store, log: cfg.Logger, advance: make(chan struct{}), lastSnap: time.Now()}
	seen := map[string]bool{}
	for _, m := range models {
		if seen[m.Name()] {
			return nil, invalidf("projection runner: read model %q registered twice", m.Name())
		}
		seen[m.Name()] = true
		m.Reset()
		r.slots = append(r.slots, &slot{m: m})
	}
	if err := r.restore(ctx); err != nil {
		return nil, err
	}
	r.pos.Store(r.minPos())
	r.snapPos = r.pos.Load()
	return r, nil
}

// Position is the stream sequence every read model has applied.
func (r *Runner) Position() uint64 { return r.pos.Load() }

// Positions gives each read model's own position, by name.
func (r *Runner) Positions() map[string]uint64 {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	out := make(map[string]uint64, len(r.slots))
	for _, s := range r.slots {
		out[s.m.Name()] = s.pos
	}
	return out
}

func (r *Runner) minPos() uint64 {
	min := r.slots[0].pos
	for _, s := range r.slots[1:] {
		if s.pos < min {
			min = s.pos
		}
	}
	return min
}

// Run applies the ledger to the read models, from the lowest model
// position onwards, and then each new commit as it is stored, until ctx is
// cancelled (it then writes a snapshot and returns nil) or a read model or
// the subscription fails (it returns the error; [Runner.WaitFor] reports it
// to waiters). Run once at a time.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	r.stopErr = nil
	r.mu.Unlock()
	last, err := r.store.LastSequence(ctx)
	if err != nil {
		if ctx.Err() != nil {
			r.stop(fmt.Errorf("%w: context ended", ErrStopped))
			return nil
		}
		return r.stop(fmt.Errorf("projections: %w", err))
	}
	start := r.Position()
	caughtUp := start >= last
	from := start + 1
	r.log.Info("projections starting", "from", from, "ledger_at", last)
	began := time.Now()
	err = pipelined(ctx, func(ctx context.Context, fn func(*eventstore.Commit) error) error {
		return r.store.Subscribe(ctx, eventstore.ReadOptions{FromSequence: from}, fn)
	}, func(c *eventstore.Commit) error {
		r.applyMu.Lock()
		defer r.applyMu.Unlock()
		if err := r.applyLocked(ctx, c); err != nil {
			return err
		}
		seq := c.Events[0].Sequence
		switch {
		case !caughtUp && seq >= last:
			caughtUp = true
			n := seq - start
			r.log.Info("projections caught up", "position", seq, "applied", n, "took", time.Since(began))
			if n >= r.cfg.CatchUpSnapshot {
				return r.snapshotLocked()
			}
		case time.Since(r.lastSnap) >= r.cfg.SnapshotInterval:
			return r.snapshotLocked()
		}
		return nil
	})
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil // stopped by the caller while handing over a commit
	}
	if err != nil {
		return r.stop(fmt.Errorf("projections at sequence %d: %w", r.Position(), err))
	}
	r.applyMu.Lock()
	serr := r.snapshotLocked()
	r.applyMu.Unlock()
	r.stop(fmt.Errorf("%w: context ended", ErrStopped))
	return serr
}

// stop records why Run ended and wakes every waiter.
func (r *Runner) stop(err error) error {
	r.mu.Lock()
	r.stopErr = err
	close(r.advance)
	r.advance = make(chan struct{})
	r.mu.Unlock()
	return err
}

// applyLocked hands c to every model that has not seen it, and refolds in
// a [Refolder] the aggregates c changes the past of. The caller holds
// applyMu.
func (r *Runner) applyLocked(ctx context.Context, c *eventstore.Commit) error {
	seq := c.Events[0].Sequence
	hash := c.Events[len(c.Events)-1].Hash
	for _, s := range r.slots {
		switch {
		case seq <= s.pos:
			continue // already in this model (a rebuild overtook the subscription)
		case seq != s.pos+1:
			return fmt.Errorf("read model %s is at sequence %d and was handed %d: commits %d..%d are missing", s.m.Name(), s.pos, seq, s.pos+1, seq-1)
		}
		if err := s.m.Apply(c); err != nil {
			return fmt.Errorf("read model %s: apply commit %d (command %s): %w", s.m.Name(), seq, c.CommandID, err)
		}
		if rf, ok := s.m.(Refolder); ok {
			if err := refoldTaken(ctx, r.store, rf, seq); err != nil {
				return fmt.Errorf("read model %s: apply commit %d (command %s): %w", s.m.Name(), seq, c.CommandID, err)
			}
		}
		s.pos, s.hash = seq, hash
	}
	r.setPos(r.minPos())
	return nil
}

func (r *Runner) setPos(p uint64) {
	r.pos.Store(p)
	if r.waiters.Load() > 0 {
		r.mu.Lock()
		close(r.advance)
		r.advance = make(chan struct{})
		r.mu.Unlock()
	}
}

// WaitFor returns once every read model has applied the commit at stream
// sequence seq (read-your-writes: pass the sequence a command's append
// returned). When ctx ends first it returns a *NotReachedError naming the
// sequence reached; when the runner has stopped on an error it returns that
// error, wrapped with ErrStopped.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	r.waiters.Add(1)
	defer r.waiters.Add(-1)
	for {
		r.mu.Lock()
		ch, stopErr := r.advance, r.stopErr
		r.mu.Unlock()
		at := r.pos.Load()
		if at >= seq {
			return nil
		}
		if stopErr != nil {
			if errors.Is(stopErr, ErrStopped) {
				return fmt.Errorf("wait for sequence %d (projections at %d): %w", seq, at, stopErr)
			}
			return fmt.Errorf("wait for sequence %d (projections at %d): %w: %w", seq, at, ErrStopped, stopErr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &NotReachedError{Want: seq, Reached: r.pos.Load(), Cause: ctx.Err()}
		}
	}
}

// Rebuild empties every read model and applies the ledger again from
// sequence 1 to the last commit stored when it began, calling progress
// (if not nil) with the sequences done and the total now and then and at
// the end; then it writes a snapshot. A running [Runner.Run] waits
// meanwhile and resumes after the rebuilt position. Queries during a
// rebuild see partial state; [Runner.WaitFor] holds them back until the
// rebuild reaches their sequence.
func (r *Runner) Rebuild(ctx context.Context, progress func(done, total uint64)) error {
	return r.rebuild(ctx, nil, progress)
}

// RebuildModel is [Runner.Rebuild] for the named read models only.
func (r *Runner) RebuildModel(ctx context.Context, progress func(done, total uint64), names ...string) error {
	if len(names) == 0 {
		return invalidf("rebuild: no read model named")
	}
	return r.rebuild(ctx, names, progress)
}

func (r *Runner) rebuild(ctx context.Context, names []string, progress func(done, total uint64)) error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	var slots []*slot
	for _, n := range names {
		found := false
		for _, s := range r.slots {
			if s.m.Name() == n {
				slots, found = append(slots, s), true
			}
		}
		if !found {
			return invalidf("rebuild: no read model %q", n)
		}
	}
	if names == nil {
		slots = r.slots
	}
	total, err := r.store.LastSequence(ctx)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	for _, s := range slots {
		s.m.Reset()
		s.pos, s.hash = 0, ""
	}
	r.setPos(r.minPos())
	if progress != nil {
		progress(0, total)
	}
	began, tick := time.Now(), time.Now()
	if total > 0 {
		err = pipelined(ctx, func(ctx context.Context, fn func(*eventstore.Commit) error) error {
			_, err := r.store.Read(ctx, eventstore.ReadOptions{FromSequence: 1}, fn)
			return err
		}, func(c *eventstore.Commit) error {
			if c.Events[0].Sequence > total {
				return errDone
			}
			if err := r.applyLocked(ctx, c); err != nil {
				return err
			}
			if progress != nil && time.Since(tick) >= 100*time.Millisecond {
				tick = time.Now()
				progress(c.Events[0].Sequence, total)
			}
			return nil
		})
		if err != nil && !errors.Is(err, errDone) {
			return fmt.Errorf("rebuild at sequence %d: %w", r.minPos(), err)
		}
	}
	if progress != nil {
		progress(total, total)
	}
	r.log.Info("projections rebuilt", "sequences", total, "took", time.Since(began))
	return r.snapshotLocked()
}

var errDone = errors.New("done")

// pipelined runs read, which hands each commit to its fn in stream order,
// on this goroutine and apply on another, so that decoding the next commits
// (done by the event store as it reads) overlaps applying the previous
// ones. Commits are applied in order, each once; every commit read before
// an error or the end of ctx is applied before pipelined returns. An apply
// error stops the read and is returned in preference to the read's.
func pipelined(ctx context.Context, read func(context.Context, func(*eventstore.Commit) error) error, apply func(*eventstore.Commit) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan *eventstore.Commit, 256)
	applied := make(chan error, 1)
	go func() {
		var err error
		for c := range ch {
			if err == nil {
				if err = apply(c); err != nil {
					cancel()
				}
			}
		}
		applied <- err
	}()
	rerr := read(ctx, func(c *eventstore.Commit) error {
		select {
		case ch <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(ch)
	if aerr := <-applied; aerr != nil {
		return aerr
	}
	return rerr
}

// refoldTaken rebuilds, in m, every aggregate its last Apply left for a
// refold, from the aggregate's events up to seq (the rare path: a late
// fact or a correction). The runner and the rebuild that checks a
// snapshot refold the same way.
func refoldTaken(ctx context.Context, store *eventstore.Store, m Refolder, seq uint64) error {
	for _, agg := range m.TakeRefolds() {
		h, err := store.LoadFresh(ctx, agg)
		if err != nil {
			return fmt.Errorf("refold %s: %w", agg, err)
		}
		if err := m.RebuildAggregate(agg, upTo(h.Events, seq)); err != nil {
			return fmt.Errorf("refold %s: %w", agg, err)
		}
	}
	return nil
}

// RebuildAggregate refolds one aggregate from the stream in every read
// model that implements [AggregateRebuilder] (the agreement and assessment
// states), on demand: the aggregate's history is read afresh, its hash
// chain verified, and each model given the events up to its own position,
// while the runner applies nothing else.
func (r *Runner) RebuildAggregate(ctx context.Context, agg eventstore.Aggregate) error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	h, err := r.store.LoadFresh(ctx, agg)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", agg, err)
	}
	for _, s := range r.slots {
		m, ok := s.m.(AggregateRebuilder)
		if !ok {
			continue
		}
		if err := m.RebuildAggregate(agg, upTo(h.Events, s.pos)); err != nil {
			return fmt.Errorf("rebuild %s in read model %s: %w", agg, s.m.Name(), err)
		}
	}
	return nil
}

// upTo returns the leading events (in stream order) stored at or before
// sequence seq.
func upTo(events []eventstore.Envelope, seq uint64) []eventstore.Envelope {
	n := 0
	for n < len(events) && events[n].Sequence <= seq {
		n++
	}
	return events[:n]
}
