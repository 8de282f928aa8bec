package main

import (
	"context"
	"fmt"
	"io"
)

func init() {
	register("serve", "run the ledger (embedded NATS by default) until interrupted", runServe)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("serve", "serve [flags]", stderr)
	sf.register(fs)
	verbose := fs.Bool("v", false, "log debug detail")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := newLogger(stderr, *verbose)
	s, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	last, err := s.LastSequence(ctx)
	if err != nil {
		s.Close()
		return err
	}
	log.Info("ledger open", "data", sf.data, "nats_url", sf.natsURL, "last_sequence", last)
	fmt.Fprintln(stdout, "laaledger serving; press Ctrl-C to stop")
	<-ctx.Done()
	log.Info("shutting down: draining and flushing")
	return s.Close()
}
