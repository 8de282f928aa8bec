package main

import (
	"context"
	"fmt"
	"io"

	"github.com/laaledger/laaledger/eventstore"
)

func init() {
	register("verify", "read the whole ledger and check every aggregate's hash chain", runVerify)
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("verify", "verify [flags]", stderr)
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
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
	fmt.Fprintf(stdout, "ledger intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies\n", events, commits, last)
	return nil
}
