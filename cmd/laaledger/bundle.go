package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
)

// export writes a bundle (see package bundle) to out, "-" for stdout: the
// whole ledger notarised, with its checkpoints and verifier key, or a
// filtered part of it with an inclusion proof per commit. An empty ledger
// is refused, and a file is written whole or not at all.
func export(ctx context.Context, c *call, nf *notaryFlags, s *eventstore.Store, o eventstore.ReadOptions, out string) error {
	if last, err := s.LastSequence(ctx); err != nil {
		return err
	} else if last == 0 {
		return errEmptyLedger(c.flags.where(), "export")
	}
	return writeExport(out, c.stdout, c.stderr, func(w io.Writer) (int, uint64, error) {
		if o.FromSequence <= 1 && o.FromTime.IsZero() && (o.Filter == "" || o.Filter == eventstore.SubjectPrefix+".>") {
			n, err := exportNotarised(ctx, &c.flags, nf, s, w, c.log)
			return n, uint64(n), err
		}
		return exportFiltered(ctx, &c.flags, nf, s, o, w, c.log)
	})
}

// errEmptyLedger is the not-found error of a command with nothing to work
// on: an empty ledger is never exported or reported intact.
func errEmptyLedger(where, what string) error {
	return fmt.Errorf("%w: the ledger at %s is empty: it holds no commits, so there is nothing to %s", eventstore.ErrNotFound, where, what)
}

// writeExport runs write into out ("-" for stdout). A file is written
// beside out and renamed over it only once write has succeeded and the
// bytes are on disk, so a failed export leaves no partial file.
func writeExport(out string, stdout, stderr io.Writer, write func(w io.Writer) (commits int, last uint64, err error)) error {
	if out == "-" {
		_, _, err := write(stdout)
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.partial")
	if err != nil {
		return usageError{fmt.Sprintf("-o %s: %v", out, err)}
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, last, err := write(f)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return err
	}
	done = true
	fmt.Fprintf(stderr, "exported %d commits up to stream sequence %d to %s\n", n, last, out)
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
