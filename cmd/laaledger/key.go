package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/eventstore"
)

func init() {
	register("key", "print the verifier key of the checkpoint signing key (creating the key on first use), or a running server's (--server)", runKey)
}

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f notaryUseFlags
	flags := newFlagSet("key", "key [--data DIR | --key FILE | --server URL] [--origin ORIGIN]", stderr)
	f.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if f.server.server != "" {
		var v api.VerifierKey
		if err := f.server.get(ctx, "/v1/key", nil, &v); err != nil {
			return err
		}
		fmt.Fprintln(stdout, v.Key)
		return nil
	}
	if f.notary.keyFile == "" {
		// The key lives in the data directory, which only serve, demo and
		// gen-history create.
		if _, err := os.Stat(f.store.data); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: there is no ledger at %s: the directory does not exist; give --data DIR of a ledger, --key FILE, or --server", eventstore.ErrNotFound, f.store.data)
		}
	}
	k, err := f.notary.key(&f.store)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.VerifierKey())
	return nil
}
