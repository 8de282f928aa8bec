package main

import (
	"context"
	"fmt"
	"io"
)

func init() {
	register("key", "print the verifier key of the checkpoint signing key (creating the key on first use)", runKey)
}

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	var nf notaryFlags
	fs := newFlagSet("key", "key [--data DIR | --key FILE] [--origin ORIGIN]", stderr)
	sf.register(fs)
	nf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	k, err := nf.key(&sf)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.VerifierKey())
	return nil
}
