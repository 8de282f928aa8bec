package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/notary"
	"github.com/laaledger/laaledger/projections"
)

func verifyFlags(fs *flag.FlagSet) ledgerRun {
	var nf notaryFlags // the signing key in the data directory; --key is the verifier key here
	bundlePath := fs.String("bundle", "", "verify an exported file (laaledger export -o FILE) offline, without the ledger")
	key := fs.String("key", "", "with --bundle: the verifier `KEY` you trust (as 'laaledger key' prints it), or a file holding it")
	var srv serverFlags
	srv.register(fs)
	var cps checkpointFiles
	fs.Var(&cps, "checkpoint", "with --bundle: a signed checkpoint file you hold (from a witness, an earlier audit) the bundle must agree with; repeatable")
	checkProjections := fs.Bool("projections", false, "also check the projections snapshot in the data directory: rebuild the read models from the stream up to its position and compare content digests")
	return func(ctx context.Context, c *call) error {
		if *bundlePath != "" {
			if *checkProjections {
				return usageError{"--projections checks the data directory's snapshot; it does not apply to --bundle"}
			}
			vkey, err := trustedKeyArg(*key, flagGiven(fs, "key"))
			if err != nil {
				return err
			}
			return verifyBundle(*bundlePath, bundle.Options{VerifierKey: vkey, Checkpoints: cps}, c.stdout)
		}
		if srv.server != "" {
			if *checkProjections {
				return usageError{"--projections checks a data directory's snapshot; run it where the data directory is, not with --server"}
			}
			return verifyOnServer(ctx, &srv, c.stdout)
		}
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		rep, err := verifyLedger(ctx, &c.flags, &nf, s)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, rep.Summary)
		if *checkProjections {
			return verifyProjections(ctx, &c.flags, s, c.stdout)
		}
		return nil
	}
}

// trustedKeyArg reads the verifier key of verify --bundle. Without --key
// the bundle is checked against the key it carries; a --key that is given
// but empty, or names an empty file, is refused rather than read as absent,
// so that --key "$(laaledger key)" cannot quietly check nothing when
// `laaledger key` failed.
func trustedKeyArg(v string, given bool) (string, error) {
	if !given {
		return verifierKeyArg(v)
	}
	if strings.TrimSpace(v) == "" {
		return "", usageError{"--key is empty: give the verifier key you trust (as `laaledger key` prints it) or a file holding it, " +
			"or leave --key out to check the bundle against the key it carries"}
	}
	key, err := verifierKeyArg(v)
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", usageError{fmt.Sprintf("--key %s: the file is empty; it must hold the verifier key you trust (as `laaledger key` prints it)", v)}
	}
	return key, nil
}

// flagGiven reports whether the flag was set on the command line, even to
// its default.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			given = true
		}
	})
	return given
}

// verifyLedger reads the whole ledger once: it checks every aggregate's
// hash chain and that no commit is missing, and grows the Merkle tree from
// the same commits, over which a notary then checks every signed
// checkpoint. serve answers POST /v1/verify with it too. An empty ledger
// is never reported intact.
func verifyLedger(ctx context.Context, sf *storeFlags, nf *notaryFlags, s *eventstore.Store) (api.VerifyReport, error) {
	var rep api.VerifyReport
	if err := s.Integrity(); err != nil {
		return rep, withRecovery(err)
	}
	v := eventstore.NewChainVerifier()
	tree := notary.NewBuilder()
	var prev uint64
	last, err := s.ReadStored(ctx, 1, func(sc eventstore.StoredCommit) error {
		// A missing commit is named as such, before the hash chain it
		// breaks is.
		if sc.Sequence != prev+1 {
			return fmt.Errorf("%w: stream %s", eventstore.ErrTampered, eventstore.SequenceGap(prev, sc.Sequence))
		}
		c, err := eventstore.DecodeCommit(sc.Data, sc.Sequence)
		if err != nil {
			return err
		}
		rep.Commits++
		if len(c.Events) == 0 {
			return fmt.Errorf("%w: a commit with no events after stream sequence %d", eventstore.ErrTampered, prev)
		}
		_ = tree.Add(sc)
		prev = c.Events[0].Sequence
		for i := range c.Events {
			rep.Events++
			if err := v.Check(&c.Events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("after %d commits: %w", rep.Commits, err)
		if errors.Is(err, eventstore.ErrTampered) || errors.Is(err, eventstore.ErrIntegrity) {
			err = withRecovery(err)
		}
		return rep, err
	}
	if rep.Commits == 0 {
		// An empty stream with checkpoints, or with a record of one stored,
		// lost what they signed: the notary says so, naming it.
		if cfg, err := nf.config(sf, s, slog.New(slog.DiscardHandler)); err == nil {
			if _, err := tree.Open(ctx, s, cfg); err != nil {
				return rep, nf.refused(err)
			}
		}
		return rep, errEmptyLedger(sf.where(), "verify (an empty ledger is never reported intact)")
	}
	end, err := s.LastSequence(ctx)
	if err != nil {
		return rep, err
	}
	if last != end || prev != end {
		return rep, fmt.Errorf("%w: the stream ends at sequence %d but only commits up to %d could be read", eventstore.ErrTampered, end, prev)
	}
	rep.LastSequence = last
	// The notary takes the tree, refusing any gap met while it grew, and
	// checks every signed checkpoint against it (signature, size, root).
	cfg, err := nf.config(sf, s, slog.New(slog.DiscardHandler))
	if err != nil {
		return rep, err
	}
	n, err := tree.Open(ctx, s, cfg)
	if err != nil {
		return rep, nf.refused(err)
	}
	rep.Checkpoints = len(n.Checkpoints())
	if cp, ok := n.Latest(); ok {
		rep.Origin, rep.CheckpointTreeSize = cp.Origin, cp.Size
	}
	rep.Intact = true
	rep.Summary = fmt.Sprintf("ledger intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies; %s",
		rep.Events, rep.Commits, rep.LastSequence, describeCheckpoints(n))
	return rep, nil
}

// verifyOnServer asks a running server to verify its own ledger; it
// answers the report verifyLedger makes, or the problem that stopped it,
// which maps to the same exit code as the same failure met locally.
func verifyOnServer(ctx context.Context, srv *serverFlags, stdout io.Writer) error {
	var rep api.VerifyReport
	err := srv.do(ctx, http.MethodPost, "/v1/verify", nil, func(body io.Reader) error {
		return json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&rep)
	})
	if err != nil {
		return err
	}
	if !rep.Intact || rep.Summary == "" {
		return fmt.Errorf("%w: the server at %s answered no verified report", eventstore.ErrUnavailable, srv.server)
	}
	fmt.Fprintln(stdout, rep.Summary+" (verified by the server at "+srv.server+")")
	return nil
}

// verifyProjections checks the projections snapshot serve would load
// against the ledger (see projections.VerifySnapshot).
func verifyProjections(ctx context.Context, sf *storeFlags, s *eventstore.Store, w io.Writer) error {
	dir := sf.projectionsDir()
	secs, err := projections.VerifyReaderSnapshot(ctx, projections.Config{Store: s, Dir: dir})
	if errors.Is(err, projections.ErrSnapshotMismatch) {
		return fmt.Errorf("%w\nserve would answer from this snapshot. To recover: stop serve, delete %s (serve then rebuilds "+
			"the read models from the stream as it starts), or run `laaledger rebuild`, which rebuilds them and writes a new snapshot",
			err, filepath.Join(dir, projections.SnapshotFile))
	}
	if err != nil {
		return err
	}
	if len(secs) == 0 {
		fmt.Fprintf(w, "projections: no snapshot in %s; serve rebuilds the read models from the stream\n", dir)
		return nil
	}
	for _, sec := range secs {
		if sec.Skipped != "" {
			fmt.Fprintf(w, "projections: %s not checked: %s\n", sec.Model, sec.Skipped)
			continue
		}
		fmt.Fprintf(w, "projections: %s at stream sequence %d equals a rebuild from the stream (digest %s)\n", sec.Model, sec.Position, sec.Digest[:16])
	}
	return nil
}

// withRecovery adds to an integrity failure what the operator can do.
func withRecovery(err error) error {
	return fmt.Errorf("%w\nThe ledger refuses writes until its stream is whole again. To recover: stop every writer, restore the stream "+
		"from a replica or a backup (nats stream restore; see docs/OPERATIONS.md), then run `laaledger verify` until it passes", err)
}

// notaryRecovery adds to a notary's refusal of the ledger (a commit its
// checkpoints signed is altered, missing or cut, or a checkpoint is gone)
// what the operator can do; other errors pass unchanged.
func notaryRecovery(err error) error {
	if !errors.Is(err, eventstore.ErrTampered) {
		return err
	}
	return fmt.Errorf("%w\nNo checkpoint is signed and nothing is served or written until the ledger matches its checkpoints again. "+
		"To recover: stop every writer, restore the streams LEDGER and LEDGER_CHECKPOINTS from a replica or a backup "+
		"(nats stream restore; see docs/OPERATIONS.md), then run `laaledger verify` until it passes", err)
}
