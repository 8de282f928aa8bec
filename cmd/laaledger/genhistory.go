package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

func genHistoryFlags(fs *flag.FlagSet) ledgerRun {
	var o genhistory.Options
	fs.IntVar(&o.Events, "events", 1_000_000, "approximate number of events to write")
	fs.IntVar(&o.Areas, "areas", 0, "use only the first N areas (default all 150)")
	fs.IntVar(&o.Workers, "workers", 64, "areas written concurrently")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed and sizes give the same history, and a re-run writes nothing")
	return func(ctx context.Context, c *call) error {
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		bar := newProgress(c.stderr, int64(o.Events), "commands", "cmd")
		o.Progress = bar.Set
		start := time.Now()
		n, err := genhistory.Run(ctx, service.New(s, service.Kinds()), o)
		bar.Finish()
		if err != nil {
			return err
		}
		last, err := s.LastSequence(ctx)
		if err != nil {
			return err
		}
		d := time.Since(start)
		fmt.Fprintf(c.stdout, "%d commands in %s (%.0f/s); the ledger is at stream sequence %d\n", n, d.Round(time.Millisecond), float64(n)/d.Seconds(), last)
		return nil
	}
}
