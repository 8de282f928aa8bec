package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/projections"
)

func verifyFlags(fs *flag.FlagSet) ledgerRun {
	var nf notaryFlags // the signing key in the data directory; --key is the verifier key here
	bundlePath := fs.String("bundle", "", "verify an exported file (laaledger export -o FILE) offline, without the ledger")
	key := fs.String("key", "", "with --bundle: the verifier key you trust (as `laaledger key` prints it), or a file holding it")
	var cps checkpointFiles
	fs.Var(&cps, "checkpoint", "with --bundle: a signed checkpoint file you hold (from a witness, an earlier audit) the bundle must agree with; repeatable")
	checkProjections := fs.Bool("projections", false, "also check the projections snapshot in the data directory: rebuild the read models from the stream up to its position and compare content digests")
	return func(ctx context.Context, c *call) error {
		if *bundlePath != "" {
			if *checkProjections {
				return usageError{"--projections checks the data directory's snapshot; it does not apply to --bundle"}
			}
			vkey, err := verifierKeyArg(*key)
			if err != nil {
				return err
			}
			return verifyBundle(*bundlePath, bundle.Options{VerifierKey: vkey, Checkpoints: cps}, c.stdout)
		}
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		if err := s.Integrity(); err != nil {
			return withRecovery(err)
		}
		v := eventstore.NewChainVerifier()
		var commits, events int
		var prev uint64
		last, err := s.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
			commits++
			if len(c.Events) == 0 {
				return fmt.Errorf("%w: a commit with no events after stream sequence %d", eventstore.ErrTampered, prev)
			}
			// A gap between sequences is refused by the notary below, which
			// reads the same stream into its tree.
			prev = c.Events[0].Sequence
			for i := range c.Events {
				events++
				if err := v.Check(&c.Events[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("after %d commits: %w", commits, err)
		}
		if commits == 0 {
			return fmt.Errorf("%w: the ledger holds no commits, so there is nothing to verify (an empty ledger is never reported intact)", eventstore.ErrNotFound)
		}
		end, err := s.LastSequence(ctx)
		if err != nil {
			return err
		}
		if last != end || prev != end {
			return fmt.Errorf("%w: the stream ends at sequence %d but only commits up to %d could be read", eventstore.ErrTampered, end, prev)
		}
		// The notary rebuilds the Merkle tree from the stream, refusing any
		// gap, and checks every signed checkpoint against it (signature,
		// size, root).
		n, err := nf.open(ctx, &c.flags, s, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "ledger intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies; %s\n", events, commits, last, describeCheckpoints(n))
		if *checkProjections {
			return verifyProjections(ctx, &c.flags, s, c.stdout)
		}
		return nil
	}
}

// verifyProjections checks the projections snapshot serve would load
// against the ledger (see projections.VerifySnapshot).
func verifyProjections(ctx context.Context, sf *storeFlags, s *eventstore.Store, w io.Writer) error {
	dir := sf.projectionsDir()
	secs, err := projections.VerifyReaderSnapshot(ctx, projections.Config{Store: s, Dir: dir})
	if errors.Is(err, projections.ErrSnapshotMismatch) {
		return fmt.Errorf("%w\nserve would answer from this snapshot. To recover: stop serve, delete %s (serve then rebuilds "+
			"the read models from the stream as it starts), or run `laaledger rebuild`, which rebuilds them and writes a new snapshot",
			err, filepath.Join(dir, projections.SnapshotFile))
	}
	if err != nil {
		return err
	}
	if len(secs) == 0 {
		fmt.Fprintf(w, "projections: no snapshot in %s; serve rebuilds the read models from the stream\n", dir)
		return nil
	}
	for _, sec := range secs {
		if sec.Skipped != "" {
			fmt.Fprintf(w, "projections: %s not checked: %s\n", sec.Model, sec.Skipped)
			continue
		}
		fmt.Fprintf(w, "projections: %s at stream sequence %d equals a rebuild from the stream (digest %s)\n", sec.Model, sec.Position, sec.Digest[:16])
	}
	return nil
}

// withRecovery adds to an integrity failure what the operator can do.
func withRecovery(err error) error {
	return fmt.Errorf("%w\nThe ledger refuses writes until its stream is whole again. To recover: stop every writer, restore the stream "+
		"from a replica or a backup (nats stream restore; see docs/OPERATIONS.md), then run `laaledger verify` until it passes", err)
}
