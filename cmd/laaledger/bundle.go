package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/notary"
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
		if wholeLedger(o) {
			n, err := exportNotarised(ctx, &c.flags, nf, s, w, c.log)
			return n, uint64(n), err
		}
		return exportFiltered(ctx, &c.flags, nf, s, o, w, c.log)
	})
}

// exportFromServer has a running server stream its export (GET
// /v1/export) into out. The server sends the commits it wrote and the last
// one's sequence as trailers once the bundle is whole; a body that ends
// without them was cut short and is not kept.
func exportFromServer(ctx context.Context, srv *serverFlags, q url.Values, out string, stdout, stderr io.Writer) error {
	return writeExport(out, stdout, stderr, func(w io.Writer) (int, uint64, error) {
		var n int
		var last uint64
		err := srv.doResponse(ctx, http.MethodGet, "/v1/export", q, nil, nil, func(resp *http.Response) error {
			if _, err := io.Copy(w, resp.Body); err != nil {
				return fmt.Errorf("%w: the export from %s was cut short: %v", eventstore.ErrUnavailable, srv.server, err)
			}
			var err1, err2 error
			n, err1 = strconv.Atoi(resp.Trailer.Get(api.ExportCommitsTrailer))
			last, err2 = strconv.ParseUint(resp.Trailer.Get(api.ExportLastSequenceTrailer), 10, 64)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%w: the export from %s ended without saying it was complete", eventstore.ErrUnavailable, srv.server)
			}
			return nil
		})
		return n, last, err
	})
}

// ledgerAuditor answers POST /v1/verify and GET /v1/export for serve, with
// the code of `laaledger verify` and `laaledger export`, and the running
// notary signing the checkpoint an export ends at.
type ledgerAuditor struct {
	sf *storeFlags
	nf *notaryFlags
	s  *eventstore.Store
	nt *notary.Notary
}

func (a *ledgerAuditor) Verify(ctx context.Context) (api.VerifyReport, error) {
	// A running server that learns its ledger was altered stops writing
	// and stops reporting ready.
	rep, err := verifyLedger(ctx, a.sf, a.nf, a.s)
	return rep, a.s.DistrustIfTampered(err)
}

func (a *ledgerAuditor) Export(ctx context.Context, o eventstore.ReadOptions, w io.Writer) (int, uint64, error) {
	if last, err := a.s.LastSequence(ctx); err != nil {
		return 0, 0, err
	} else if last == 0 {
		return 0, 0, errEmptyLedger(a.sf.where(), "export")
	}
	// Up to now: the tree takes in what was stored since it last grew and
	// a checkpoint is signed over it, unless the ledger is in doubt (then
	// the export ends at the last checkpoint signed before, for examination).
	if a.s.Integrity() == nil {
		if _, err := a.nt.Sync(ctx); err != nil {
			return 0, 0, a.s.DistrustIfTampered(err)
		}
		if err := signUnlessInDoubt(ctx, a.s, a.nt); err != nil {
			return 0, 0, err
		}
	}
	if wholeLedger(o) {
		n, err := bundle.ExportNotarised(ctx, a.s, a.nt, w)
		return n, uint64(n), a.s.DistrustIfTampered(err)
	}
	n, last, err := bundle.ExportFiltered(ctx, a.s, a.nt, o, w)
	return n, last, a.s.DistrustIfTampered(err)
}

// wholeLedger reports whether o selects every commit.
func wholeLedger(o eventstore.ReadOptions) bool {
	return o.FromSequence <= 1 && o.FromTime.IsZero() && (o.Filter == "" || o.Filter == eventstore.SubjectPrefix+".>")
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
