package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
)

// export writes an export bundle (see package bundle) to out, "-" for
// stdout.
func export(ctx context.Context, s *eventstore.Store, o eventstore.ReadOptions, out string, stdout, stderr io.Writer) error {
	var w io.Writer = stdout
	var f *os.File
	var err error
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	}
	n, last, err := bundle.Export(ctx, s, o, w)
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d commits up to stream sequence %d to %s\n", n, last, out)
	}
	return nil
}

// verifyBundle checks an export's hash chains without any server (see
// package bundle). An empty or unreadable bundle is never reported intact.
func verifyBundle(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	rep, err := bundle.Verify(f)
	if err != nil {
		return fmt.Errorf("%s %w", path, err)
	}
	fmt.Fprintf(stdout, "bundle intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies\n", rep.Events, rep.Commits, rep.LastSequence)
	return nil
}
