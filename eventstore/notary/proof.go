package notary

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
)

// InclusionProof proves that the commit stored at Sequence is leaf
// Sequence-1 of the tree a checkpoint of size TreeSize signs.
type InclusionProof struct {
	// Sequence is the commit's stream sequence: its leaf index plus one.
	Sequence uint64 `json:"sequence"`
	TreeSize uint64 `json:"tree_size"`
	// LeafHash is SHA-256(0x00 || Commit).
	LeafHash []byte `json:"leaf_hash"`
	// Hashes is the RFC 6962 audit path, leaf to root.
	Hashes [][]byte `json:"hashes"`
	// Commit is the commit's bytes exactly as stored, when the proof
	// carries them (the API's proofs do).
	Commit []byte `json:"commit,omitempty"`
	// Checkpoint is the signed checkpoint of size TreeSize.
	Checkpoint string `json:"checkpoint"`
}

// ConsistencyProof proves that the tree of the checkpoint of size To
// extends the tree of the checkpoint of size From.
type ConsistencyProof struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes [][]byte `json:"hashes"`
	// FromCheckpoint and ToCheckpoint are the two signed checkpoints.
	FromCheckpoint string `json:"from_checkpoint"`
	ToCheckpoint   string `json:"to_checkpoint"`
}

// VerifyInclusion checks an inclusion proof against the root hash of a
// tree of p.TreeSize leaves: that the stored commit, if the proof carries
// it, hashes to the leaf hash, and that the audit path leads from the leaf
// to root. It needs no key; [Verifier.VerifyInclusion] also checks the
// checkpoint.
func VerifyInclusion(p InclusionProof, root []byte) error {
	if p.Sequence == 0 {
		return notVerifiedf("inclusion proof for stream sequence 0: sequences start at 1")
	}
	if p.Commit != nil {
		if got := LeafHash(p.Commit); !bytes.Equal(got, p.LeafHash) {
			return notVerifiedf("inclusion proof of sequence %d: the commit's leaf hash is %s, the proof's %s", p.Sequence, b64(got), b64(p.LeafHash))
		}
	}
	if err := proof.VerifyInclusion(hasher, p.Sequence-1, p.TreeSize, p.LeafHash, p.Hashes, root); err != nil {
		return notVerifiedf("inclusion of sequence %d in tree size %d: %s", p.Sequence, p.TreeSize, proofError(err))
	}
	return nil
}

// VerifyConsistency checks that the tree of size to and root root2
// extends the tree of size from and root root1.
func VerifyConsistency(from, to uint64, hashes [][]byte, root1, root2 []byte) error {
	if err := proof.VerifyConsistency(hasher, from, to, hashes, root1, root2); err != nil {
		return notVerifiedf("consistency of tree size %d (root %s) with %d (root %s): %s", from, b64(root1), to, b64(root2), proofError(err))
	}
	return nil
}

// VerifyInclusion checks p's checkpoint (signature, origin, size) and the
// proof against its root, and returns the checkpoint.
func (v *Verifier) VerifyInclusion(p InclusionProof) (Checkpoint, error) {
	cp, err := v.ParseCheckpoint([]byte(p.Checkpoint))
	if err != nil {
		return Checkpoint{}, err
	}
	if cp.Size != p.TreeSize {
		return Checkpoint{}, notVerifiedf("inclusion proof for tree size %d comes with a checkpoint of size %d", p.TreeSize, cp.Size)
	}
	if err := VerifyInclusion(p, cp.Hash); err != nil {
		return Checkpoint{}, err
	}
	return cp, nil
}

// VerifyConsistency checks both checkpoints of p and the proof between
// them, and returns the checkpoints.
func (v *Verifier) VerifyConsistency(p ConsistencyProof) (Checkpoint, Checkpoint, error) {
	from, err := v.ParseCheckpoint([]byte(p.FromCheckpoint))
	if err != nil {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("from: %w", err)
	}
	to, err := v.ParseCheckpoint([]byte(p.ToCheckpoint))
	if err != nil {
		return Checkpoint{}, Checkpoint{}, fmt.Errorf("to: %w", err)
	}
	if from.Size != p.From || to.Size != p.To {
		return Checkpoint{}, Checkpoint{}, notVerifiedf("consistency proof from %d to %d comes with checkpoints of sizes %d and %d", p.From, p.To, from.Size, to.Size)
	}
	if err := VerifyConsistency(p.From, p.To, p.Hashes, from.Hash, to.Hash); err != nil {
		return Checkpoint{}, Checkpoint{}, err
	}
	return from, to, nil
}

// proofError says why a proof failed on one line, hashes in base64.
func proofError(err error) string {
	var rm proof.RootMismatchError
	if errors.As(err, &rm) {
		return fmt.Sprintf("the proof leads to root %s, not %s", b64(rm.CalculatedRoot), b64(rm.ExpectedRoot))
	}
	return err.Error()
}
