package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/laaledger/laaledger/eventstore"
)

func verifyFlags(fs *flag.FlagSet) ledgerRun {
	bundle := fs.String("bundle", "", "verify an exported file (laaledger export -o FILE) offline, without the ledger")
	return func(ctx context.Context, c *call) error {
		if *bundle != "" {
			return verifyBundle(*bundle, c.stdout)
		}
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
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
		fmt.Fprintf(c.stdout, "ledger intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies\n", events, commits, last)
		return nil
	}
}
