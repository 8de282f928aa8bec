package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
)

func verifyFlags(fs *flag.FlagSet) ledgerRun {
	var nf notaryFlags // the signing key in the data directory; --key is the verifier key here
	bundlePath := fs.String("bundle", "", "verify an exported file (laaledger export -o FILE) offline, without the ledger")
	key := fs.String("key", "", "with --bundle: the verifier key you trust (as `laaledger key` prints it), or a file holding it")
	var cps checkpointFiles
	fs.Var(&cps, "checkpoint", "with --bundle: a signed checkpoint file you hold (from a witness, an earlier audit) the bundle must agree with; repeatable")
	return func(ctx context.Context, c *call) error {
		if *bundlePath != "" {
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
			return errEmptyLedger(c.flags.where(), "verify (an empty ledger is never reported intact)")
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
		return nil
	}
}

// withRecovery adds to an integrity failure what the operator can do.
func withRecovery(err error) error {
	return fmt.Errorf("%w\nThe ledger refuses writes until its stream is whole again. To recover: stop every writer, restore the stream "+
		"from a replica or a backup (nats stream restore; see docs/OPERATIONS.md), then run `laaledger verify` until it passes", err)
}
