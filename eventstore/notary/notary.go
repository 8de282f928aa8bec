package notary

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// Config says how the notary signs.
type Config struct {
	// Key signs the checkpoints; its name must be Origin.
	Key *Key
	// Origin names the log in every checkpoint; default
	// "laaledger/<stream>".
	Origin string
	// Every issues a checkpoint once the tree has grown by that many
	// commits since the last; default 1000.
	Every uint64
	// Interval issues a checkpoint that often when the tree has grown at
	// all; default 10 s.
	Interval time.Duration
	// Logger receives the notary's log lines; default discards.
	Logger *slog.Logger
	// Now is the clock checkpoints are dated by; default time.Now.
	Now func() time.Time
	// MarkFile, if set, keeps a record of the last checkpoint stored
	// (usually DATA/[MarkFile]): Open refuses a checkpoint stream that no
	// longer holds it, as the ledger's watermark does for the ledger
	// stream, so that removing signed checkpoints does not pass for a
	// ledger never signed.
	MarkFile string
}

// DefaultOrigin is the origin of the ledger stream's checkpoints.
func DefaultOrigin(stream string) string { return "laaledger/" + stream }

// CheckpointStream names the stream that keeps the ledger stream's
// checkpoints, and CheckpointSubject its one subject.
func CheckpointStream(stream string) string  { return stream + "_CHECKPOINTS" }
func CheckpointSubject(stream string) string { return "checkpoints." + stream }

// Notary keeps the ledger's Merkle tree and its signed checkpoints. It is
// safe for concurrent use.
type Notary struct {
	cfg     Config
	store   *eventstore.Store
	aux     *eventstore.AuxStream
	subject string
	tree    *Tree
	ver     *Verifier
	log     *slog.Logger

	// mu serialises growing the tree and issuing checkpoints.
	mu sync.Mutex
	// cpMu guards the checkpoints; readers take it alone.
	cpMu    sync.RWMutex
	cps     []Checkpoint
	bySize  map[uint64]int
	auxLast uint64
}

// Open starts a notary on the store: it makes sure the checkpoint stream
// exists, reads every checkpoint in it and checks each one's signature,
// builds the tree from the whole ledger (sequence 1 onwards, checking that
// no sequence is missing), and checks that every checkpoint's root is the
// root of the ledger's prefix of its size. A ledger shorter than a
// checkpoint, or whose prefix does not match it, is an [ErrNotVerified]
// error: the history was rewritten or cut since it was signed.
func Open(ctx context.Context, store *eventstore.Store, cfg Config) (*Notary, error) {
	return open(ctx, store, cfg, NewTree())
}

// open is [Open] with a tree already grown from the ledger's first commits.
func open(ctx context.Context, store *eventstore.Store, cfg Config, tree *Tree) (*Notary, error) {
	stream := store.StreamConfig().Name
	if cfg.Origin == "" {
		cfg.Origin = DefaultOrigin(stream)
	}
	if cfg.Key == nil {
		return nil, fmt.Errorf("notary: %w: no signing key", eventstore.ErrInvalid)
	}
	if cfg.Key.Name() != cfg.Origin {
		return nil, fmt.Errorf("notary: %w: signing key is named %q, origin is %q", eventstore.ErrInvalid, cfg.Key.Name(), cfg.Origin)
	}
	if cfg.Every == 0 {
		cfg.Every = 1000
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	aux, err := store.EnsureAuxStream(ctx, CheckpointStream(stream), []string{CheckpointSubject(stream)},
		"signed checkpoints (C2SP tlog-checkpoint) of the Merkle tree over stream "+stream)
	if err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	n := &Notary{cfg: cfg, store: store, aux: aux, subject: CheckpointSubject(stream), tree: tree,
		ver: cfg.Key.Verifier(), log: cfg.Logger, bySize: map[uint64]int{}}
	n.auxLast, err = aux.Read(ctx, func(seq uint64, data []byte) error {
		cp, err := n.ver.ParseCheckpoint(data)
		if err != nil {
			return fmt.Errorf("checkpoint %d of %s: %w", seq, aux.Name(), err)
		}
		if k := len(n.cps); k > 0 && cp.Size <= n.cps[k-1].Size {
			return fmt.Errorf("checkpoint %d of %s: %w", seq, aux.Name(),
				notVerifiedf("tree size %d after %d", cp.Size, n.cps[k-1].Size))
		}
		n.bySize[cp.Size] = len(n.cps)
		n.cps = append(n.cps, cp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	if err := n.checkMark(); err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	if _, err := n.Sync(ctx); err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	size := n.tree.Size()
	for i, cp := range n.cps {
		if cp.Size > size {
			return nil, fmt.Errorf("notary: %w", notVerifiedf("the ledger holds %d commits, but checkpoint %d of %s signed a tree of %d: its tail was cut",
				size, i+1, aux.Name(), cp.Size))
		}
		root, err := n.tree.Root(cp.Size)
		if err != nil {
			return nil, fmt.Errorf("notary: %w", err)
		}
		if string(root) != string(cp.Hash) {
			return nil, fmt.Errorf("notary: %w", notVerifiedf("the ledger's first %d commits have root %s, checkpoint %d of %s signed %s: the history was rewritten",
				cp.Size, b64(root), i+1, aux.Name(), b64(cp.Hash)))
		}
	}
	if k := len(n.cps); k > 0 {
		n.writeMark(n.cps[k-1])
	}
	n.log.Info("notary ready", "origin", cfg.Origin, "tree_size", size, "checkpoints", len(n.cps))
	return n, nil
}

// Sync adds to the tree every commit stored since it last grew, and returns
// the tree's size.
func (n *Notary) Sync(ctx context.Context) (uint64, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, err := n.store.ReadStored(ctx, n.tree.Size()+1, n.addLocked)
	return n.tree.Size(), err
}

// addLocked adds one stored commit as the next leaf; a commit already in
// the tree is skipped, a gap is an error. The caller holds n.mu.
func (n *Notary) addLocked(c eventstore.StoredCommit) error {
	return appendNext(n.tree, c)
}

// appendNext adds one stored commit to t as its next leaf; a commit
// already in t is skipped, a gap is an error.
func appendNext(t *Tree, c eventstore.StoredCommit) error {
	size := t.Size()
	if c.Sequence <= size {
		return nil
	}
	if c.Sequence != size+1 {
		return notVerifiedf("stream %s", eventstore.SequenceGap(size, c.Sequence))
	}
	return t.Append(LeafHash(c.Data))
}

// Run keeps the tree current as commits are stored and issues a checkpoint
// every Config.Every commits and every Config.Interval when the tree grew,
// until ctx ends or a check fails (its error: the notary then signs nothing
// more). When ctx ends it signs a last checkpoint of every commit stored so
// far, so that a clean stop leaves nothing unsigned, and returns nil.
func (n *Notary) Run(parent context.Context) error {
	if _, _, err := n.Issue(parent); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	tickErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(n.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				tickErr <- nil
				return
			case <-t.C:
				if _, _, err := n.Issue(ctx); err != nil && ctx.Err() == nil {
					tickErr <- err
					cancel()
					return
				}
			}
		}
	}()
	err := n.store.SubscribeStored(ctx, n.tree.Size()+1, func(c eventstore.StoredCommit) error {
		n.mu.Lock()
		defer n.mu.Unlock()
		if err := n.addLocked(c); err != nil {
			return err
		}
		if n.tree.Size() >= n.lastSize()+n.cfg.Every {
			_, _, err := n.issueLocked(ctx)
			return err
		}
		return nil
	})
	cancel()
	if terr := <-tickErr; err == nil {
		err = terr
	}
	if err == nil && parent.Err() != nil {
		fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer fcancel()
		if _, err = n.Sync(fctx); err == nil {
			_, _, err = n.Issue(fctx)
		}
	}
	if err != nil {
		n.log.Error("notary stopped", "err", err)
	}
	return err
}

func (n *Notary) lastSize() uint64 {
	cp, ok := n.Latest()
	if !ok {
		return 0
	}
	return cp.Size
}

// Issue signs and stores a checkpoint of the tree as it is, if it grew
// since the last checkpoint, and returns the latest checkpoint and whether
// it is new. It first checks the consistency proof from the previous
// checkpoint to the new tree; one that fails is never signed.
func (n *Notary) Issue(ctx context.Context) (Checkpoint, bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.issueLocked(ctx)
}

func (n *Notary) issueLocked(ctx context.Context) (Checkpoint, bool, error) {
	size := n.tree.Size()
	last, have := n.Latest()
	if size == 0 || have && size == last.Size {
		return last, false, nil
	}
	// A ledger found altered signs nothing more: what was stored after the
	// damage was found is not vouched for.
	if err := n.store.Integrity(); err != nil {
		return Checkpoint{}, false, fmt.Errorf("refusing to sign tree size %d: %w", size, err)
	}
	root, err := n.tree.Root(size)
	if err != nil {
		return Checkpoint{}, false, err
	}
	if have {
		p, err := n.tree.ConsistencyProof(last.Size, size)
		if err != nil {
			return Checkpoint{}, false, err
		}
		if err := VerifyConsistency(last.Size, size, p, last.Hash, root); err != nil {
			return Checkpoint{}, false, fmt.Errorf("refusing to sign tree size %d: %w", size, err)
		}
	}
	cp, err := n.cfg.Key.Sign(size, root, n.cfg.Now())
	if err != nil {
		return Checkpoint{}, false, err
	}
	seq, err := n.keep(ctx, cp)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("store checkpoint of tree size %d: %w", size, err)
	}
	n.cpMu.Lock()
	n.auxLast = seq
	n.bySize[size] = len(n.cps)
	n.cps = append(n.cps, cp)
	n.cpMu.Unlock()
	n.writeMark(cp)
	n.log.Debug("checkpoint signed", "tree_size", size, "root", b64(root))
	return cp, true, nil
}

// keep appends a signed checkpoint to the checkpoint stream after the
// last one this notary knows. The publish is not abandoned when ctx ends
// (a stop must not leave a checkpoint stored but unrecorded here); if its
// outcome is unknown or refused, the stream's last message says whether
// this checkpoint got there.
func (n *Notary) keep(ctx context.Context, cp Checkpoint) (uint64, error) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	seq, err := n.aux.Append(pctx, n.subject, []byte(cp.Note), n.auxLast)
	if err == nil {
		return seq, nil
	}
	last, lerr := n.aux.LastSequence(pctx)
	if lerr == nil && last == n.auxLast+1 {
		if data, gerr := n.aux.Get(pctx, last); gerr == nil && string(data) == cp.Note {
			return last, nil
		}
	}
	if errors.Is(err, eventstore.ErrConflict) {
		return 0, fmt.Errorf("another notary writes to %s: %w", n.aux.Name(), err)
	}
	return 0, err
}

// Latest is the latest checkpoint, false if none was issued yet.
func (n *Notary) Latest() (Checkpoint, bool) {
	n.cpMu.RLock()
	defer n.cpMu.RUnlock()
	if len(n.cps) == 0 {
		return Checkpoint{}, false
	}
	return n.cps[len(n.cps)-1], true
}

// Checkpoints returns every checkpoint, oldest first.
func (n *Notary) Checkpoints() []Checkpoint {
	n.cpMu.RLock()
	defer n.cpMu.RUnlock()
	return append([]Checkpoint(nil), n.cps...)
}

// Checkpoint returns the checkpoint of a tree size.
func (n *Notary) Checkpoint(size uint64) (Checkpoint, bool) {
	n.cpMu.RLock()
	defer n.cpMu.RUnlock()
	i, ok := n.bySize[size]
	if !ok {
		return Checkpoint{}, false
	}
	return n.cps[i], true
}

// VerifierKey is the key checkpoints verify with.
func (n *Notary) VerifierKey() string { return n.cfg.Key.VerifierKey() }

// Verifier returns a verifier for the notary's key.
func (n *Notary) Verifier() *Verifier { return n.ver }

// TreeSize is the number of commits in the tree.
func (n *Notary) TreeSize() uint64 { return n.tree.Size() }

// checkpointOf returns the checkpoint of size, or the latest for 0.
func (n *Notary) checkpointOf(size uint64) (Checkpoint, error) {
	if size == 0 {
		cp, ok := n.Latest()
		if !ok {
			return Checkpoint{}, fmt.Errorf("%w: no checkpoint issued yet", eventstore.ErrNotFound)
		}
		return cp, nil
	}
	cp, ok := n.Checkpoint(size)
	if !ok {
		return Checkpoint{}, fmt.Errorf("%w: no checkpoint of tree size %d", eventstore.ErrNotFound, size)
	}
	return cp, nil
}

// InclusionProof proves the commit at stream sequence seq is in the
// checkpoint of tree size treeSize (0: the latest checkpoint). The proof
// carries the commit's stored bytes and the checkpoint.
//
// Errors: ErrInvalid (sequence 0), ErrNotFound (no such checkpoint, or
// the sequence is not in it), ErrNotVerified (the stored commit no longer
// hashes to its leaf).
func (n *Notary) InclusionProof(ctx context.Context, seq, treeSize uint64) (InclusionProof, error) {
	if seq == 0 {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w: stream sequences start at 1", eventstore.ErrInvalid)
	}
	cp, err := n.checkpointOf(treeSize)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w", err)
	}
	if seq > cp.Size {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w: sequence %d is not in the checkpoint of tree size %d", eventstore.ErrNotFound, seq, cp.Size)
	}
	hashes, err := n.tree.InclusionProof(seq-1, cp.Size)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w", err)
	}
	leaf, err := n.tree.LeafHashAt(seq - 1)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w", err)
	}
	stored, err := n.store.StoredCommit(ctx, seq)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w", err)
	}
	p := InclusionProof{Sequence: seq, TreeSize: cp.Size, LeafHash: leaf, Hashes: hashes, Commit: stored.Data, Checkpoint: cp.Note}
	if err := VerifyInclusion(p, cp.Hash); err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: the stored commit changed since it was notarised: %w", err)
	}
	return p, nil
}

// ConsistencyProof proves that the checkpoint of tree size to extends the
// checkpoint of tree size from (to 0: the latest).
//
// Errors: ErrInvalid (from > to), ErrNotFound (no such checkpoint).
func (n *Notary) ConsistencyProof(from, to uint64) (ConsistencyProof, error) {
	cpTo, err := n.checkpointOf(to)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %w", err)
	}
	if from == 0 || from > cpTo.Size {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %w: from %d must be between 1 and %d", eventstore.ErrInvalid, from, cpTo.Size)
	}
	cpFrom, err := n.checkpointOf(from)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %w", err)
	}
	hashes, err := n.tree.ConsistencyProof(cpFrom.Size, cpTo.Size)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %w", err)
	}
	return ConsistencyProof{From: cpFrom.Size, To: cpTo.Size, Hashes: hashes, FromCheckpoint: cpFrom.Note, ToCheckpoint: cpTo.Note}, nil
}
