package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
)

// export writes a bundle (see package bundle) to out, "-" for stdout: the
// whole ledger notarised, with its checkpoints and verifier key, or a
// filtered part of it with an inclusion proof per commit.
func export(ctx context.Context, c *call, nf *notaryFlags, s *eventstore.Store, o eventstore.ReadOptions, out string) error {
	var w io.Writer = c.stdout
	var f *os.File
	var err error
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	}
	var n int
	var last uint64
	if o.FromSequence <= 1 && o.FromTime.IsZero() && (o.Filter == "" || o.Filter == eventstore.SubjectPrefix+".>") {
		n, err = exportNotarised(ctx, &c.flags, nf, s, w, c.log)
		last = uint64(n)
	} else {
		n, last, err = exportFiltered(ctx, &c.flags, nf, s, o, w, c.log)
	}
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "exported %d commits up to stream sequence %d to %s\n", n, last, out)
	}
	return nil
}

// verifyBundle checks an export without any server (see package bundle).
// An empty or unreadable bundle is never reported intact.
func verifyBundle(path string, opts bundle.Options, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	rep, err := bundle.VerifyWith(f, opts)
	if err != nil {
		return fmt.Errorf("%s %w", path, err)
	}
	fmt.Fprintln(stdout, describeBundle(rep, opts))
	return nil
}
