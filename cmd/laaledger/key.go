package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/eventstore"
)

func keyFlags(flags *flag.FlagSet) ledgerRun {
	var f notaryUseFlags
	f.register(flags)
	return func(ctx context.Context, c *call) error {
		if f.server.server != "" {
			var v api.VerifierKey
			if err := f.server.get(ctx, "/v1/key", nil, &v); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, v.Key)
			return nil
		}
		if f.notary.keyFile == "" {
			// The key lives in the data directory, which only serve, demo and
			// gen-history create.
			if _, err := os.Stat(c.flags.data); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%w: there is no ledger at %s: the directory does not exist; give --data DIR of a ledger, --key FILE, or --server", eventstore.ErrNotFound, c.flags.data)
			}
		}
		k, err := f.notary.key(&c.flags)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, k.VerifierKey())
		return nil
	}
}
