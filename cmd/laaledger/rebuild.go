package main

import (
	"context"
	"fmt"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

func runRebuild(ctx context.Context, c *call) error {
	var one *eventstore.Aggregate
	if len(c.args) > 0 {
		agg, err := aggregateArgs(c)
		if err != nil {
			return err
		}
		one = &agg
	}
	s, err := c.ledger(ctx)
	if err != nil {
		return err
	}
	rs, err := openReadSide(ctx, &c.flags, s, c.log, 0)
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
		fmt.Fprintf(c.stdout, "rebuilt %s from its events in %s\n", one, time.Since(start).Round(time.Microsecond))
		return nil
	}
	var bar progress
	start := time.Now()
	var events uint64
	err = rs.runner.Rebuild(ctx, func(done, total uint64) {
		if bar == nil {
			bar = newProgress(c.stderr, int64(total), "rebuilding (stream sequences)", "commits")
		}
		bar.Set(int64(done))
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
	fmt.Fprintf(c.stdout, "rebuilt every projection up to stream sequence %d in %s (%.0f commits/s); %d events indexed\n",
		rs.runner.Position(), d.Round(time.Millisecond), rate, rs.timelines.Len())
	return nil
}
