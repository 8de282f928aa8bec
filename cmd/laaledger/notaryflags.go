package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// notaryFlags are the flags of the commands that keep or use the Merkle
// tree and its signed checkpoints.
type notaryFlags struct {
	keyFile  string
	origin   string
	every    uint64
	interval time.Duration
	// created is the key file this run created, if it did.
	created string
}

// notaryUseFlags are the flags, besides the store's, of the commands that
// use the notary of the ledger in the data directory, or of a running
// server (--server).
type notaryUseFlags struct {
	notary notaryFlags
	server serverFlags
}

func (f *notaryUseFlags) register(fs *flag.FlagSet) {
	f.notary.register(fs)
	f.server.register(fs)
}

func (f *notaryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.keyFile, "key", envOr("LAALEDGER_KEY", ""), "checkpoint signing key file, created (mode 0600) if missing (default DATA/notary.key; env LAALEDGER_KEY)")
	fs.StringVar(&f.origin, "origin", "", "log origin named in every checkpoint and by the key (default laaledger/<stream>)")
	fs.Uint64Var(&f.every, "checkpoint-every", 1000, "sign a checkpoint after this many commits")
	fs.DurationVar(&f.interval, "checkpoint-interval", 10*time.Second, "sign a checkpoint this often when the ledger grew")
}

func (f *notaryFlags) originOr(stream string) string {
	if f.origin != "" {
		return f.origin
	}
	return notary.DefaultOrigin(stream)
}

// key loads the signing key, creating it on first use.
func (f *notaryFlags) key(sf *storeFlags) (*notary.Key, error) {
	path := f.keyFile
	if path == "" {
		path = filepath.Join(sf.data, "notary.key")
	}
	_, statErr := os.Stat(path)
	k, err := notary.LoadOrCreateKey(path, f.originOr(eventstore.DefaultStream))
	if err == nil && errors.Is(statErr, os.ErrNotExist) {
		f.created = path
	}
	return k, err
}

// refused explains a notary's refusal of the ledger: with the recovery
// steps, and, when this run created the signing key because the file was
// missing, that checkpoints signed before cannot match a new key; that key
// is removed again, so that a failed check leaves nothing behind.
func (f *notaryFlags) refused(err error) error {
	if err == nil {
		return nil
	}
	if f.created != "" && errors.Is(err, notary.ErrNotVerified) {
		path := f.created
		f.created = ""
		if rmErr := os.Remove(path); rmErr == nil {
			return fmt.Errorf("%w\nThe signing key %s did not exist, so a new one was made for this check and removed again: "+
				"checkpoints signed before cannot match it. Restore the key from its backup (or give --key FILE), then run `laaledger verify` again", err, path)
		}
	}
	return notaryRecovery(err)
}

// open starts the notary on the store: it rebuilds the tree from the whole
// ledger and refuses a ledger that no longer matches its checkpoints.
func (f *notaryFlags) open(ctx context.Context, sf *storeFlags, s *eventstore.Store, log *slog.Logger) (*notary.Notary, error) {
	cfg, err := f.config(sf, s, log)
	if err != nil {
		return nil, err
	}
	n, err := notary.Open(ctx, s, cfg)
	return n, f.refused(err)
}

// config is the notary's configuration, its signing key loaded.
func (f *notaryFlags) config(sf *storeFlags, s *eventstore.Store, log *slog.Logger) (notary.Config, error) {
	k, err := f.key(sf)
	if err != nil {
		return notary.Config{}, err
	}
	return notary.Config{Key: k, Origin: f.originOr(s.StreamConfig().Name), Every: f.every, Interval: f.interval, Logger: log,
		MarkFile: filepath.Join(sf.data, notary.MarkFile)}, nil
}
