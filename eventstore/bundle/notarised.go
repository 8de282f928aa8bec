package bundle

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// StoredSource is what [ExportNotarised] reads: [eventstore.Store] is one.
type StoredSource interface {
	ReadStored(ctx context.Context, from uint64, fn func(eventstore.StoredCommit) error) (uint64, error)
}

// Notarised is the ledger's notary as [ExportNotarised] needs it:
// [notary.Notary] is one.
type Notarised interface {
	Checkpoints() []notary.Checkpoint
	VerifierKey() string
	ConsistencyProof(from, to uint64) (notary.ConsistencyProof, error)
}

// headerLine is a notarised bundle's verifier key or checkpoint line.
type headerLine struct {
	VerifierKey string    `json:"verifier_key,omitempty"`
	Checkpoint  string    `json:"checkpoint,omitempty"`
	Consistency *[][]byte `json:"consistency,omitempty"`
}

// errStop ends a read at the last checkpoint's size.
var errStop = errors.New("stop")

// ExportNotarised writes the whole ledger up to its latest checkpoint as a
// notarised bundle: a verifier key line, one line per checkpoint, oldest
// first, each after the first with the consistency proof from the one
// before, then every commit from sequence 1 to the latest checkpoint's size
// with its bytes exactly as stored:
//
//	{"verifier_key":"laaledger/LEDGER+1c9a40f2+AXW…"}
//	{"checkpoint":"laaledger/LEDGER\n5\n…\n\n— laaledger/LEDGER …\n"}
//	{"checkpoint":"laaledger/LEDGER\n9\n…","consistency":["…base64…",…]}
//	{"sequence":1,"commit":{…stored bytes…}}
//
// Commits after the latest checkpoint are left out, so everything the
// bundle holds is signed: sign a checkpoint first ([notary.Notary.Issue]) to
// export up to now. It returns the number of commits written, which is the
// latest checkpoint's tree size.
func ExportNotarised(ctx context.Context, src StoredSource, n Notarised, w io.Writer) (int, error) {
	cps := n.Checkpoints()
	if len(cps) == 0 {
		return 0, fmt.Errorf("export: %w: no checkpoint has been signed, so nothing can be exported signed", eventstore.ErrNotFound)
	}
	bw := NewWriter(w)
	if err := bw.enc.Encode(headerLine{VerifierKey: n.VerifierKey()}); err != nil {
		return 0, fmt.Errorf("write bundle: %w", err)
	}
	for i, cp := range cps {
		l := headerLine{Checkpoint: cp.Note}
		if i > 0 {
			p, err := n.ConsistencyProof(cps[i-1].Size, cp.Size)
			if err != nil {
				return 0, fmt.Errorf("export: %w", err)
			}
			if p.Hashes == nil {
				p.Hashes = [][]byte{}
			}
			l.Consistency = &p.Hashes
		}
		if err := bw.enc.Encode(l); err != nil {
			return 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	size := cps[len(cps)-1].Size
	_, err := src.ReadStored(ctx, 1, func(c eventstore.StoredCommit) error {
		if c.Sequence > size {
			return errStop
		}
		return bw.WriteStored(c)
	})
	if err != nil && !errors.Is(err, errStop) {
		return bw.Commits(), err
	}
	if uint64(bw.Commits()) != size {
		return bw.Commits(), fmt.Errorf("export: %w: read %d commits of the %d the latest checkpoint signs", eventstore.ErrTampered, bw.Commits(), size)
	}
	if err := bw.Flush(); err != nil {
		return bw.Commits(), fmt.Errorf("write bundle: %w", err)
	}
	return bw.Commits(), nil
}

// FilteredSource is what [ExportFiltered] reads: [eventstore.Store] is one.
type FilteredSource interface {
	Read(ctx context.Context, opts eventstore.ReadOptions, fn func(*eventstore.Commit) error) (uint64, error)
}

// Prover is the ledger's notary as [ExportFiltered] needs it:
// [notary.Notary] is one.
type Prover interface {
	Notarised
	InclusionProof(ctx context.Context, seq, treeSize uint64) (notary.InclusionProof, error)
}

// ExportFiltered writes the commits opts selects (one aggregate kind, one
// area…) up to the latest checkpoint as a filtered notarised bundle: the
// verifier key, the latest checkpoint, then each commit, byte for byte as
// stored, with its inclusion proof into that checkpoint, so that the subset
// is provably part of the signed ledger:
//
//	{"sequence":17,"proof":["…base64…",…],"commit":{…stored bytes…}}
//
// Hash chains verify only for aggregates whose whole history is selected
// (filter by kind or area, not by sequence or time). It returns the number
// of commits written and the last one's sequence.
func ExportFiltered(ctx context.Context, src FilteredSource, n Prover, opts eventstore.ReadOptions, w io.Writer) (int, uint64, error) {
	cps := n.Checkpoints()
	if len(cps) == 0 {
		return 0, 0, fmt.Errorf("export: %w: no checkpoint has been signed, so nothing can be exported signed", eventstore.ErrNotFound)
	}
	cp := cps[len(cps)-1]
	bw := NewWriter(w)
	for _, l := range []headerLine{{VerifierKey: n.VerifierKey()}, {Checkpoint: cp.Note}} {
		if err := bw.enc.Encode(l); err != nil {
			return 0, 0, fmt.Errorf("write bundle: %w", err)
		}
	}
	_, err := src.Read(ctx, opts, func(c *eventstore.Commit) error {
		seq := c.Events[0].Sequence
		if seq > cp.Size {
			return errStop
		}
		p, err := n.InclusionProof(ctx, seq, cp.Size)
		if err != nil {
			return err
		}
		if p.Hashes == nil {
			p.Hashes = [][]byte{} // a proof in a tree of one leaf, not none
		}
		return bw.writeProven(eventstore.StoredCommit{Sequence: seq, Data: p.Commit}, p.Hashes)
	})
	if err != nil && !errors.Is(err, errStop) {
		return bw.Commits(), bw.last, err
	}
	if err := bw.Flush(); err != nil {
		return bw.Commits(), bw.last, fmt.Errorf("write bundle: %w", err)
	}
	return bw.Commits(), bw.last, nil
}

// WriteStored adds one commit as the ledger stored it, byte for byte.
// Commits must come in stream order.
func (w *Writer) WriteStored(c eventstore.StoredCommit) error { return w.writeProven(c, nil) }

// writeProven writes a commit line, with its inclusion proof if it has one
// (before the commit, so that the line is not in the form commitLine reads
// without a decoder).
func (w *Writer) writeProven(c eventstore.StoredCommit, proof [][]byte) error {
	if c.Sequence <= w.last {
		return fmt.Errorf("write bundle: commit at sequence %d after %d", c.Sequence, w.last)
	}
	if !json.Valid(c.Data) || bytes.ContainsAny(c.Data, "\r\n") {
		return fmt.Errorf("write bundle: commit at sequence %d is not one line of JSON", c.Sequence)
	}
	fmt.Fprintf(w.bw, `{"sequence":%d,`, c.Sequence)
	if proof != nil {
		b, err := json.Marshal(proof)
		if err != nil {
			return fmt.Errorf("write bundle: %w", err)
		}
		fmt.Fprintf(w.bw, `"proof":%s,`, b)
	}
	w.bw.WriteString(`"commit":`)
	w.bw.Write(c.Data)
	if _, err := w.bw.WriteString("}\n"); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	w.commits++
	w.last = c.Sequence
	return nil
}

// Options are what an auditor brings to a verification.
type Options struct {
	// VerifierKey is the key the auditor trusts (as `laaledger key`
	// prints it, obtained from the operator out of band). With it, a
	// bundle must be notarised, its own key must be this one and its
	// checkpoints must verify under it. Without it, checkpoints are checked
	// against the key the bundle carries, which proves only that the bundle
	// is consistent with itself.
	VerifierKey string
	// Checkpoints are signed checkpoints the auditor already holds (from a
	// witness, an earlier audit). Each must verify under the key and agree
	// with the bundle: a bundle shorter than one of them was cut, one whose
	// prefix has another root is a different history.
	Checkpoints [][]byte
}

// target is a root the bundle's commits must reproduce at a tree size.
type target struct {
	what string
	cp   notary.Checkpoint
}

// VerifyWith is [Verify] with what the auditor brings. On top of the hash
// chains, a notarised bundle is checked for: checkpoint signatures under the
// verifier key, strictly growing tree sizes, the consistency proof between
// each checkpoint and the one before (a failure is a split view: two
// histories signed), commits numbered 1, 2, 3… with none missing, the
// Merkle root of the bundle's first N commits equal to every checkpoint's
// of size N, no checkpoint larger than the bundle (a cut tail) and no
// commit after the last checkpoint (nothing would sign it).
func VerifyWith(r io.Reader, opts Options) (Report, error) {
	var rep Report
	br := NewReader(r)
	chains := eventstore.NewChainVerifier()
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	tree := rf.NewEmptyRange(0)
	var targets []target // in growing tree size
	headerDone := false
	notarised := false
	filtered := false // every commit carries an inclusion proof into last
	var last notary.Checkpoint
	for {
		c, err := br.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Report{}, err
		}
		if !headerDone {
			headerDone = true
			if targets, err = checkHeader(br, opts, &rep); err != nil {
				return Report{}, err
			}
			notarised = len(targets) > 0
			if filtered = br.Proof() != nil; filtered {
				if len(opts.Checkpoints) > 0 {
					return Report{}, errors.New("a filtered bundle cannot be checked against checkpoints you hold: export the whole ledger")
				}
				if rep.Checkpoints == 0 {
					return Report{}, fmt.Errorf("line %d: %w: inclusion proofs without a checkpoint to prove them against", br.Line(), notary.ErrNotVerified)
				}
				last = targets[len(targets)-1].cp
			}
		}
		seq := c.Events[0].Sequence
		rep.Commits++
		rep.LastSequence = seq
		for i := range c.Events {
			rep.Events++
			if err := chains.Check(&c.Events[i]); err != nil {
				return Report{}, fmt.Errorf("line %d: %w", br.Line(), err)
			}
		}
		if filtered {
			if err := checkIncluded(br, seq, last); err != nil {
				return Report{}, err
			}
			rep.Included++
			continue
		}
		if br.Proof() != nil {
			return Report{}, fmt.Errorf("line %d: %w: an inclusion proof in a bundle whose first commit has none", br.Line(), notary.ErrNotVerified)
		}
		if !notarised {
			continue
		}
		if want := tree.End() + 1; seq != want {
			if want == 1 {
				return Report{}, fmt.Errorf("line %d: %w: the bundle starts at sequence %d, not 1", br.Line(), notary.ErrNotVerified, seq)
			}
			return Report{}, fmt.Errorf("line %d: %w: %s", br.Line(), notary.ErrNotVerified, eventstore.SequenceGap(want-1, seq))
		}
		if len(targets) == 0 {
			return Report{}, fmt.Errorf("line %d: %w: the commit at sequence %d is after the last checkpoint (tree size %d): nothing signs it",
				br.Line(), notary.ErrNotVerified, seq, tree.End())
		}
		if err := tree.Append(notary.LeafHash(br.Stored()), nil); err != nil {
			return Report{}, err
		}
		for len(targets) > 0 && targets[0].cp.Size == tree.End() {
			root, err := tree.GetRootHash(nil)
			if err != nil {
				return Report{}, err
			}
			t := targets[0]
			if !bytes.Equal(root, t.cp.Hash) {
				return Report{}, fmt.Errorf("%s: %w: the bundle's first %d commits (through line %d) have Merkle root %s, the checkpoint signs %s",
					t.what, notary.ErrNotVerified, t.cp.Size, br.Line(), b64(root), b64(t.cp.Hash))
			}
			targets = targets[1:]
		}
	}
	if rep.Commits == 0 {
		return Report{}, ErrEmpty
	}
	if len(targets) > 0 && !filtered {
		t := targets[0]
		return Report{}, fmt.Errorf("%s: %w: it signs a tree of %d commits, the bundle holds %d: its tail was cut",
			t.what, notary.ErrNotVerified, t.cp.Size, rep.Commits)
	}
	return rep, nil
}

// checkIncluded verifies the inclusion proof of the commit Next last read
// into the bundle's last checkpoint.
func checkIncluded(br *Reader, seq uint64, last notary.Checkpoint) error {
	if br.Proof() == nil {
		return fmt.Errorf("line %d: %w: the commit at sequence %d has no inclusion proof, unlike the bundle's first commit", br.Line(), notary.ErrNotVerified, seq)
	}
	if seq > last.Size {
		return fmt.Errorf("line %d: %w: the commit at sequence %d is after the last checkpoint (tree size %d): nothing signs it", br.Line(), notary.ErrNotVerified, seq, last.Size)
	}
	p := notary.InclusionProof{Sequence: seq, TreeSize: last.Size, LeafHash: notary.LeafHash(br.Stored()), Hashes: br.Proof()}
	if err := notary.VerifyInclusion(p, last.Hash); err != nil {
		return fmt.Errorf("line %d: %w", br.Line(), err)
	}
	return nil
}

// checkHeader verifies the checkpoints read before the first commit (their
// signatures and the consistency between consecutive ones) and the
// auditor's own, and returns the roots the commits must reproduce.
func checkHeader(br *Reader, opts Options, rep *Report) ([]target, error) {
	key := br.VerifierKey()
	if opts.VerifierKey != "" {
		if key != "" && key != opts.VerifierKey {
			return nil, fmt.Errorf("line %d: %w: the bundle's verifier key %s is not the key you trust, %s", br.keyLine, notary.ErrNotVerified, key, opts.VerifierKey)
		}
		key = opts.VerifierKey
		if len(br.cps) == 0 {
			return nil, fmt.Errorf("%w: the bundle holds no checkpoint: nothing signed by %s covers it", notary.ErrNotVerified, key)
		}
	}
	if len(br.cps) == 0 && len(opts.Checkpoints) == 0 {
		return nil, nil
	}
	if key == "" {
		return nil, fmt.Errorf("%w: the bundle holds checkpoints but no verifier key; give the key you trust", notary.ErrNotVerified)
	}
	v, err := notary.NewVerifier(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", notary.ErrNotVerified, err)
	}
	var targets []target
	var prev notary.Checkpoint
	for i, h := range br.cps {
		what := fmt.Sprintf("checkpoint %d (line %d)", i+1, h.line)
		cp, err := v.ParseCheckpoint([]byte(h.note))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		what = fmt.Sprintf("checkpoint %d (line %d, tree size %d)", i+1, h.line, cp.Size)
		if cp.Size == 0 {
			return nil, fmt.Errorf("%s: %w: a checkpoint of the empty tree signs nothing", what, notary.ErrNotVerified)
		}
		if i > 0 {
			if cp.Size <= prev.Size {
				return nil, fmt.Errorf("%s: %w: tree size %d does not grow from %d", what, notary.ErrNotVerified, cp.Size, prev.Size)
			}
			if h.consistency == nil {
				return nil, fmt.Errorf("%s: %w: no consistency proof from checkpoint %d", what, notary.ErrNotVerified, i)
			}
			if err := notary.VerifyConsistency(prev.Size, cp.Size, h.consistency, prev.Hash, cp.Hash); err != nil {
				return nil, fmt.Errorf("%s is not consistent with checkpoint %d (tree size %d), a split view: %w", what, i, prev.Size, err)
			}
		}
		targets = append(targets, target{what: what, cp: cp})
		prev = cp
	}
	rep.Checkpoints, rep.TreeSize, rep.Origin, rep.VerifierKey = len(br.cps), prev.Size, v.Origin(), key
	for i, b := range opts.Checkpoints {
		cp, err := v.ParseCheckpoint(b)
		if err != nil {
			return nil, fmt.Errorf("your checkpoint %d: %w", i+1, err)
		}
		if cp.Size == 0 {
			continue // the empty tree: every bundle extends it
		}
		targets = insertTarget(targets, target{what: fmt.Sprintf("your checkpoint %d (tree size %d)", i+1, cp.Size), cp: cp})
	}
	return targets, nil
}

// insertTarget keeps targets in growing tree size; the auditor's own
// checkpoints come after the bundle's of the same size.
func insertTarget(ts []target, t target) []target {
	i := len(ts)
	for i > 0 && ts[i-1].cp.Size > t.cp.Size {
		i--
	}
	ts = append(ts, target{})
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}

func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }
