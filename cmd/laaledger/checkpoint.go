package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/notary"
)

func runCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var srv serverFlags
	fs := newFlagSet("checkpoint", "checkpoint --server URL --verifier-key KEY [--dir DIR] [--watch [--interval D]]", stderr)
	srv.register(fs)
	dir := fs.String("dir", "checkpoints", "directory of the checkpoints kept, one file per tree size")
	key := fs.String("verifier-key", "", "the verifier `KEY` you trust (as 'laaledger key' prints it), or a file holding it")
	watch := fs.Bool("watch", false, "keep fetching until interrupted; stop at the first inconsistency")
	interval := fs.Duration("interval", 30*time.Second, "with --watch, how often to fetch")
	if err := parse(fs, args); err != nil {
		return err
	}
	if srv.server == "" || *key == "" {
		return usageError{"checkpoint needs --server and --verifier-key"}
	}
	vkey, err := verifierKeyArg(*key)
	if err != nil {
		return err
	}
	v, err := notary.NewVerifier(vkey)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		return err
	}
	w := &witness{srv: &srv, v: v, dir: *dir, out: stdout}
	if !*watch {
		return w.once(ctx)
	}
	t := time.NewTicker(*interval)
	defer t.Stop()
	for {
		err := w.once(ctx)
		switch {
		case errors.Is(err, eventstore.ErrUnavailable):
			fmt.Fprintf(stderr, "laaledger checkpoint: %v; retrying\n", err)
		case err != nil:
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// witness keeps the checkpoints a server showed, each proven to extend the
// one before, so that the operator is held to one history.
type witness struct {
	srv *serverFlags
	v   *notary.Verifier
	dir string
	out io.Writer
}

func (w *witness) once(ctx context.Context) error {
	var latest notary.Checkpoint
	if err := w.srv.get(ctx, "/v1/checkpoints/latest", nil, &latest); err != nil {
		return err
	}
	got, err := w.v.ParseCheckpoint([]byte(latest.Note))
	if err != nil {
		return fmt.Errorf("the server's latest checkpoint: %w", err)
	}
	kept, ok, err := w.last()
	if err != nil {
		return err
	}
	switch {
	case !ok:
		if err := w.keep(got); err != nil {
			return err
		}
		fmt.Fprintf(w.out, "kept the first checkpoint of %s: tree size %d, root %x\n", got.Origin, got.Size, got.Hash)
		return nil
	case got.Size < kept.Size:
		if old, ok, err := w.at(got.Size); err == nil && ok && string(old.Hash) != string(got.Hash) {
			return fmt.Errorf("%w: split view: two checkpoints of tree size %d with different roots, %x kept and %x from the server",
				notary.ErrNotVerified, got.Size, old.Hash, got.Hash)
		}
		return fmt.Errorf("%w: the server's latest checkpoint (tree size %d) is older than the one kept (tree size %d): it rolled back or shows another history",
			notary.ErrNotVerified, got.Size, kept.Size)
	case got.Size == kept.Size:
		if string(got.Hash) != string(kept.Hash) {
			return fmt.Errorf("%w: split view: two checkpoints of tree size %d with different roots, %x kept and %x from the server",
				notary.ErrNotVerified, got.Size, kept.Hash, got.Hash)
		}
		fmt.Fprintf(w.out, "no new checkpoint: tree size %d\n", got.Size)
		return nil
	}
	var p notary.ConsistencyProof
	q := url.Values{"from": {strconv.FormatUint(kept.Size, 10)}, "to": {strconv.FormatUint(got.Size, 10)}}
	if err := w.srv.get(ctx, "/v1/proofs/consistency", q, &p); err != nil {
		var se *serverError
		if errors.As(err, &se) && se.status == 404 {
			return fmt.Errorf("%w: split view: the server cannot prove that its tree of size %d extends the checkpoint kept at tree size %d: %v",
				notary.ErrNotVerified, got.Size, kept.Size, err)
		}
		return err
	}
	// The proof is checked against the roots kept and fetched, not the
	// checkpoints the server sent with it.
	if err := notary.VerifyConsistency(kept.Size, got.Size, p.Hashes, kept.Hash, got.Hash); err != nil {
		return fmt.Errorf("split view: %w", err)
	}
	if err := w.keep(got); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "checkpoint of tree size %d extends the one kept at %d: kept\n", got.Size, kept.Size)
	return nil
}

const checkpointExt = ".checkpoint"

// last returns the kept checkpoint of the largest tree size.
func (w *witness) last() (notary.Checkpoint, bool, error) {
	names, err := filepath.Glob(filepath.Join(w.dir, "*"+checkpointExt))
	if err != nil || len(names) == 0 {
		return notary.Checkpoint{}, false, err
	}
	sort.Strings(names) // zero-padded sizes sort numerically
	return w.read(names[len(names)-1])
}

// at returns the kept checkpoint of a tree size, if there is one.
func (w *witness) at(size uint64) (notary.Checkpoint, bool, error) {
	name := filepath.Join(w.dir, fmt.Sprintf("%020d%s", size, checkpointExt))
	if _, err := os.Stat(name); err != nil {
		return notary.Checkpoint{}, false, nil
	}
	return w.read(name)
}

func (w *witness) read(name string) (notary.Checkpoint, bool, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return notary.Checkpoint{}, false, err
	}
	cp, err := w.v.ParseCheckpoint(b)
	if err != nil {
		return notary.Checkpoint{}, false, fmt.Errorf("kept checkpoint %s: %w", name, err)
	}
	if want := strings.TrimSuffix(filepath.Base(name), checkpointExt); want != fmt.Sprintf("%020d", cp.Size) {
		return notary.Checkpoint{}, false, fmt.Errorf("kept checkpoint %s: %w: it signs tree size %d", name, notary.ErrNotVerified, cp.Size)
	}
	return cp, true, nil
}

// keep writes a checkpoint as DIR/<tree size>.checkpoint, atomically.
func (w *witness) keep(cp notary.Checkpoint) error {
	name := filepath.Join(w.dir, fmt.Sprintf("%020d%s", cp.Size, checkpointExt))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, []byte(cp.Note), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}
