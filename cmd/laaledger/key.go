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
	var sf storeFlags
	var nf notaryFlags
	var srv serverFlags
	flags := newFlagSet("key", "key [--data DIR | --key FILE | --server URL] [--origin ORIGIN]", stderr)
	sf.register(flags)
	nf.register(flags)
	srv.register(flags)
	if err := parse(flags, args); err != nil {
		return err
	}
	if srv.server != "" {
		var v api.VerifierKey
		if err := srv.get(ctx, "/v1/key", nil, &v); err != nil {
			return err
		}
		fmt.Fprintln(stdout, v.Key)
		return nil
	}
	if nf.keyFile == "" {
		// The key lives in the data directory, which only serve, demo and
		// gen-history create.
		if _, err := os.Stat(sf.data); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: there is no ledger at %s: the directory does not exist; give --data DIR of a ledger, --key FILE, or --server", eventstore.ErrNotFound, sf.data)
		}
	}
	k, err := nf.key(&sf)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.VerifierKey())
	return nil
}
