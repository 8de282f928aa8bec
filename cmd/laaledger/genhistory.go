package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

func init() {
	register("gen-history", "write a large synthetic ledger through the real command path (for benchmarks)", runGenHistory)
}

func runGenHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("gen-history", "gen-history [flags]", stderr)
	sf.register(fs)
	events := fs.Int("events", 1_000_000, "approximate number of events to write")
	areas := fs.Int("areas", 0, "use only the first N areas (default all 150)")
	workers := fs.Int("workers", 64, "areas written concurrently")
	seed := fs.Uint64("seed", 1, "random seed; the same seed and sizes give the same history, and a re-run writes nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := sf.open(ctx, newLogger(stderr, false))
	if err != nil {
		return err
	}
	defer s.Close()
	bar := progressbar.NewOptions64(int64(*events), progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("commands"), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("cmd"), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	start := time.Now()
	n, err := genhistory.Run(ctx, service.New(s, service.Kinds()), genhistory.Options{
		Events: *events, Areas: *areas, Workers: *workers, Seed: *seed,
		Progress: func(done int64) { bar.Set64(done) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	last, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(stdout, "%d commands in %s (%.0f/s); the ledger is at stream sequence %d\n", n, d.Round(time.Millisecond), float64(n)/d.Seconds(), last)
	return nil
}
