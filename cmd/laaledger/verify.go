package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/laaledger/laaledger/eventstore"
	bundlepkg "github.com/laaledger/laaledger/eventstore/bundle"
)

func init() {
	register("verify", "read the whole ledger and check every aggregate's hash chain", runVerify)
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	var nf notaryFlags // the signing key in the data directory; --key is the verifier key here
	fs := newFlagSet("verify", "verify [flags]", stderr)
	sf.register(fs)
	bundle := fs.String("bundle", "", "verify an exported file (laaledger export -o FILE) offline, without the ledger")
	key := fs.String("key", "", "with --bundle: the verifier key you trust (as `laaledger key` prints it), or a file holding it")
	var cps checkpointFiles
	fs.Var(&cps, "checkpoint", "with --bundle: a signed checkpoint file you hold (from a witness, an earlier audit) the bundle must agree with; repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *bundle != "" {
		vkey, err := verifierKeyArg(*key)
		if err != nil {
			return err
		}
		return verifyBundle(*bundle, bundlepkg.Options{VerifierKey: vkey, Checkpoints: cps}, stdout)
	}
	s, err := sf.open(ctx, newLogger(stderr, false))
	if err != nil {
		return err
	}
	defer s.Close()
	v := eventstore.NewChainVerifier()
	var commits, events int
	last, err := s.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		commits++
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
	// The notary rebuilds the Merkle tree from the stream and checks every
	// signed checkpoint against it (signature, size, root, no gap).
	n, err := nf.open(ctx, &sf, s, newLogger(io.Discard, false))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ledger intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies; %s\n", events, commits, last, describeCheckpoints(n))
	return nil
}

// verifyBundle checks an export's hash chains without any server (see
// package bundle). An empty or unreadable bundle is never reported intact.
func verifyBundle(path string, opts bundlepkg.Options, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	rep, err := bundlepkg.VerifyWith(f, opts)
	if err != nil {
		return fmt.Errorf("%s %w", path, err)
	}
	fmt.Fprintln(stdout, describeBundle(rep, opts))
	return nil
}
