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
	if _, _, err := n.Issue(ctx); err != nil {
		return 0, err
	}
	return bundle.ExportNotarised(ctx, s, n, w)
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
	switch {
	case rep.Checkpoints == 0:
		return s + "; no checkpoint: nothing signs it (export it again from a ledger with a notary)"
	case opts.VerifierKey == "":
		return s + fmt.Sprintf("; %s of %s verify, up to tree size %d, under the key the bundle carries (%s): give --key to check it is the one you trust",
			checkpoints(rep.Checkpoints), rep.Origin, rep.TreeSize, rep.VerifierKey)
	}
	return s + fmt.Sprintf("; %s of %s verify under your key, up to tree size %d, with every Merkle root and consistency proof", checkpoints(rep.Checkpoints), rep.Origin, rep.TreeSize)
}

func checkpoints(n int) string {
	if n == 1 {
		return "1 checkpoint"
	}
	return fmt.Sprintf("%d checkpoints", n)
}
