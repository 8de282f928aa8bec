package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// exportNotarised writes the whole ledger as a notarised bundle: the
// notary rebuilds the tree, signs a checkpoint of the ledger as it is, and
// the bundle holds every checkpoint, the verifier key and every commit up
// to the latest checkpoint, byte for byte.
func exportNotarised(ctx context.Context, sf *storeFlags, nf *notaryFlags, s *eventstore.Store, w io.Writer, log *slog.Logger) (int, error) {
	n, err := nf.open(ctx, sf, s, log)
	if err != nil {
		return 0, err
	}
	if err := signUnlessInDoubt(ctx, s, n); err != nil {
		return 0, err
	}
	return bundle.ExportNotarised(ctx, s, n, w)
}

// exportFiltered writes the commits o selects with an inclusion proof each
// into a checkpoint the notary signs first, and returns how many it wrote
// and the last one's sequence.
func exportFiltered(ctx context.Context, sf *storeFlags, nf *notaryFlags, s *eventstore.Store, o eventstore.ReadOptions, w io.Writer, log *slog.Logger) (int, uint64, error) {
	n, err := nf.open(ctx, sf, s, log)
	if err != nil {
		return 0, 0, err
	}
	if err := signUnlessInDoubt(ctx, s, n); err != nil {
		return 0, 0, err
	}
	return bundle.ExportFiltered(ctx, s, n, o, w)
}

// signUnlessInDoubt signs a checkpoint of every commit stored, so that an
// export or a proof reaches the latest one; on a ledger whose integrity is
// in doubt it signs nothing, and what follows ends at the last checkpoint
// signed before, for examination.
func signUnlessInDoubt(ctx context.Context, s *eventstore.Store, n *notary.Notary) error {
	if s.Integrity() != nil {
		return nil
	}
	_, _, err := n.Issue(ctx)
	return err
}

// checkpointFiles is a repeatable flag of signed checkpoint files.
type checkpointFiles [][]byte

func (c *checkpointFiles) String() string { return fmt.Sprintf("%d checkpoints", len(*c)) }

func (c *checkpointFiles) Set(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	*c = append(*c, b)
	return nil
}

// verifierKeyArg reads a verifier key given as itself or as the name of a
// file holding it.
func verifierKeyArg(v string) (string, error) {
	if fi, err := os.Stat(v); v == "" || err != nil || fi.IsDir() {
		return v, nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return "", usageError{fmt.Sprintf("--key %s: %v", v, err)}
	}
	return strings.TrimSpace(string(b)), nil
}

// describeBundle is the one line verify prints for an intact bundle.
func describeBundle(rep bundle.Report, opts bundle.Options) string {
	s := fmt.Sprintf("bundle intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies", rep.Events, rep.Commits, rep.LastSequence)
	if rep.Checkpoints == 0 {
		return s + "; no checkpoint: nothing signs it (export it again from a ledger with a notary)"
	}
	under := "under your key"
	if opts.VerifierKey == "" {
		under = fmt.Sprintf("under the key the bundle carries (%s): give --key to check it is the one you trust", rep.VerifierKey)
	}
	if rep.Included > 0 {
		return s + fmt.Sprintf("; every commit has an inclusion proof into the checkpoint of %s at tree size %d, which verifies %s", rep.Origin, rep.TreeSize, under)
	}
	return s + fmt.Sprintf("; %s of %s up to tree size %d, with every Merkle root and consistency proof, verify %s", checkpoints(rep.Checkpoints), rep.Origin, rep.TreeSize, under)
}

// describeCheckpoints says what the notary checked when it opened.
func describeCheckpoints(n *notary.Notary) string {
	cp, ok := n.Latest()
	if !ok {
		return "no checkpoint signed yet"
	}
	verb := "match"
	if len(n.Checkpoints()) == 1 {
		verb = "matches"
	}
	return fmt.Sprintf("%s of %s %s the ledger's Merkle tree (the latest at tree size %d)", checkpoints(len(n.Checkpoints())), cp.Origin, verb, cp.Size)
}

func checkpoints(n int) string {
	if n == 1 {
		return "1 checkpoint"
	}
	return fmt.Sprintf("%d checkpoints", n)
}
