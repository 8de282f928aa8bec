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
		if err := checkHistorySize(o); err != nil {
			return err
		}
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

// checkHistorySize refuses sizes that name no history, before the ledger
// is opened: genhistory.Run reads a zero as its default, which would turn
// --events 0 into a million events.
func checkHistorySize(o genhistory.Options) error {
	switch {
	case o.Events < 1:
		return usageError{fmt.Sprintf("--events %d: give the number of events to write, 1 or more", o.Events)}
	case o.Areas < 0:
		return usageError{fmt.Sprintf("--areas %d: give the number of areas to use, 1 or more, or 0 for all", o.Areas)}
	case o.Workers < 1:
		return usageError{fmt.Sprintf("--workers %d: give the number of areas to write at once, 1 or more", o.Workers)}
	}
	return nil
}
