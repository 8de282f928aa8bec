package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/laaledger/laaledger/eventstore"
)

func init() {
	register("rebuild", "rebuild every projection from stream sequence 1, with progress, and save the snapshot", runRebuild)
}

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("rebuild", "rebuild [flags] [KIND ID]\n\nWith KIND ID (e.g. laa 00EB/2008-11), rebuild only that aggregate's read models from its own events.", stderr)
	sf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	var one *eventstore.Aggregate
	if fs.NArg() > 0 {
		agg, err := aggregateArgs(fs)
		if err != nil {
			return err
		}
		one = &agg
	}
	log := newLogger(stderr, false)
	s, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer s.Close()
	rs, err := openReadSide(ctx, &sf, s, log)
	if err != nil {
		return err
	}
	if one != nil {
		if err := catchUp(ctx, rs, s); err != nil {
			return err
		}
		start := time.Now()
		if err := rs.runner.RebuildAggregate(ctx, *one); err != nil {
			return err
		}
		if err := rs.runner.Snapshot(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt %s from its events in %s\n", one, time.Since(start).Round(time.Microsecond))
		return nil
	}
	var bar *progressbar.ProgressBar
	start := time.Now()
	var events uint64
	err = rs.runner.Rebuild(ctx, func(done, total uint64) {
		if bar == nil {
			bar = progressbar.NewOptions64(int64(total), progressbar.OptionSetWriter(stderr),
				progressbar.OptionSetDescription("rebuilding (stream sequences)"), progressbar.OptionShowCount(),
				progressbar.OptionShowIts(), progressbar.OptionSetItsString("commits"),
				progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		bar.Set64(int64(done))
		events = done
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	d := time.Since(start)
	rate := 0.0
	if d > 0 {
		rate = float64(events) / d.Seconds()
	}
	fmt.Fprintf(stdout, "rebuilt every projection up to stream sequence %d in %s (%.0f commits/s); %d events indexed\n",
		rs.runner.Position(), d.Round(time.Millisecond), rate, rs.timelines.Len())
	return nil
}
