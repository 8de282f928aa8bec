package projections

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
)

// ErrSnapshotMismatch means the projections snapshot does not hold what
// the ledger gives: a read model's content differs from a rebuild from the
// stream up to the snapshot's position, or from the digest recorded with
// it, or the snapshot was taken of another stream. The error is a
// *SnapshotMismatchError. Code: ETAMPERED.
var ErrSnapshotMismatch error = errcode.New(errcode.ETAMPERED, "projections snapshot does not match the ledger")

// SnapshotMismatchError names the read model whose section of the snapshot
// is not the ledger's, and why.
type SnapshotMismatchError struct {
	File     string
	Model    string
	Position uint64
	Reason   string
}

func (e *SnapshotMismatchError) Error() string {
	return fmt.Sprintf("projections snapshot %s: read model %s at stream sequence %d: %s", e.File, e.Model, e.Position, e.Reason)
}

// Is makes errors.Is(err, ErrSnapshotMismatch) true.
func (e *SnapshotMismatchError) Is(target error) bool { return target == ErrSnapshotMismatch }

// ErrorCode reports ETAMPERED to errcode.Of.
func (e *SnapshotMismatchError) ErrorCode() string { return errcode.ETAMPERED }

// SnapshotSection is one read model's section of the snapshot, as
// [VerifySnapshot] found it.
type SnapshotSection struct {
	Model    string
	Position uint64
	// Digest is the content digest recorded with the section, in hex.
	Digest string
	// Skipped says why the section was not checked (a model this code no
	// longer has, or another version of its code: the runner rebuilds
	// those rather than load them); empty when it was checked.
	Skipped string
}

// VerifySnapshot checks the projections snapshot in cfg.Dir against the
// ledger in cfg.Store: for each section a read model of newModels (fresh,
// empty instances) can load, that its content matches the digest recorded
// with it, that the commit at its position is the one it was taken at, and
// that the model rebuilt in memory from the stream up to that position has
// the same digest. It returns the sections found (none when there is no
// snapshot); a section that fails is a *SnapshotMismatchError, every one
// found joined. Nothing is written.
func VerifySnapshot(ctx context.Context, cfg Config, newModels func() []ReadModel) ([]SnapshotSection, error) {
	if cfg.Store == nil || cfg.Dir == "" {
		return nil, invalidf("verify projections snapshot: no store or no directory")
	}
	path := filepath.Join(cfg.Dir, SnapshotFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open projections snapshot: %w", err)
	}
	defer f.Close()
	mismatch := func(sec section, format string, args ...any) error {
		return &SnapshotMismatchError{File: path, Model: sec.name, Position: sec.pos, Reason: fmt.Sprintf(format, args...)}
	}
	secs, err := readSections(f)
	if err != nil {
		return nil, &SnapshotMismatchError{File: path, Reason: "unreadable: " + err.Error()}
	}
	byName := map[string]ReadModel{}
	for _, m := range newModels() {
		byName[m.Name()] = m
	}
	var (
		out  []SnapshotSection
		errs []error
		todo []section
	)
	for _, sec := range secs {
		s := SnapshotSection{Model: sec.name, Position: sec.pos, Digest: hex.EncodeToString(sec.digest[:])}
		m := byName[sec.name]
		switch {
		case m == nil:
			s.Skipped = "no such read model in this version; ignored when loading"
		case uint64(m.Version()) != sec.version:
			s.Skipped = fmt.Sprintf("written by version %d of the model's code, this is %d; rebuilt when loading", sec.version, m.Version())
		}
		out = append(out, s)
		if s.Skipped != "" {
			continue
		}
		// The content as loaded must be what the digest says.
		if err := sec.load(f, m); err != nil {
			errs = append(errs, mismatch(sec, "%v", err))
			continue
		}
		got, err := contentDigest(m, sec.pos, sec.hash)
		m.Reset()
		if err != nil {
			return out, fmt.Errorf("read model %s: digest: %w", sec.name, err)
		}
		if got != sec.digest {
			errs = append(errs, mismatch(sec, "its content does not match the digest recorded with it (recorded %x, content %x)", sec.digest[:8], got[:8]))
			continue
		}
		// It must have been taken of this stream.
		if sec.pos > 0 {
			c, err := cfg.Store.Commit(ctx, sec.pos)
			switch {
			case errors.Is(err, eventstore.ErrNotFound):
				errs = append(errs, mismatch(sec, "the stream holds no commit at that sequence"))
				continue
			case err != nil:
				return out, fmt.Errorf("read model %s: %w", sec.name, err)
			case c.Events[len(c.Events)-1].Hash != sec.hash:
				errs = append(errs, mismatch(sec, "taken of another stream: the commit there has hash %s, the snapshot records %s", c.Events[len(c.Events)-1].Hash, sec.hash))
				continue
			}
		}
		todo = append(todo, sec)
	}
	if err := rebuildAndCompare(ctx, cfg.Store, todo, byName, mismatch, &errs); err != nil {
		return out, err
	}
	return out, errors.Join(errs...)
}

// rebuildAndCompare applies the stream, in one read from sequence 1, to
// the fresh models of secs, each up to its section's position, and
// compares each model's digest there with the recorded one.
func rebuildAndCompare(ctx context.Context, store *eventstore.Store, secs []section, byName map[string]ReadModel,
	mismatch func(section, string, ...any) error, errs *[]error) error {
	var stop uint64
	pending := map[string]section{}
	for _, sec := range secs {
		byName[sec.name].Reset()
		pending[sec.name] = sec
		stop = max(stop, sec.pos)
	}
	compare := func(sec section, hash string) error {
		got, err := contentDigest(byName[sec.name], sec.pos, hash)
		if err != nil {
			return fmt.Errorf("read model %s: digest: %w", sec.name, err)
		}
		if got != sec.digest {
			*errs = append(*errs, mismatch(sec, "differs from the model rebuilt from the stream up to that sequence (recorded digest %x, rebuilt %x)", sec.digest[:8], got[:8]))
		}
		delete(pending, sec.name)
		return nil
	}
	for _, sec := range secs {
		if sec.pos == 0 {
			if err := compare(sec, sec.hash); err != nil {
				return err
			}
		}
	}
	if len(pending) == 0 {
		return nil
	}
	_, err := store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		seq := c.Events[0].Sequence
		for name, sec := range pending {
			if seq > sec.pos {
				continue
			}
			if err := byName[name].Apply(c); err != nil {
				return fmt.Errorf("read model %s: apply commit %d: %w", name, seq, err)
			}
			// A late fact or a correction refolds its aggregate, as the
			// runner does.
			if rf, ok := byName[name].(Refolder); ok {
				if err := refoldTaken(ctx, store, rf, seq); err != nil {
					return fmt.Errorf("read model %s: %w", name, err)
				}
			}
			if seq == sec.pos {
				if err := compare(sec, c.Events[len(c.Events)-1].Hash); err != nil {
					return err
				}
			}
		}
		if seq >= stop {
			return errDone
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return fmt.Errorf("rebuild projections from the stream: %w", err)
	}
	for _, sec := range pending {
		*errs = append(*errs, mismatch(sec, "the stream ends before that sequence"))
	}
	return nil
}

// VerifyReaderSnapshot is [VerifySnapshot] for the read models a [Reader]
// answers from.
func VerifyReaderSnapshot(ctx context.Context, cfg Config) ([]SnapshotSection, error) {
	return VerifySnapshot(ctx, cfg, func() []ReadModel {
		return []ReadModel{NewTimelines(), NewAgreements(), NewAssessments()}
	})
}
