package bundle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
)

// An auditor's program checks a bundle exported from the ledger
// (`laaledger export -o ledger.jsonl`, or [bundle.Export] from Go) without
// any server: it needs only the file and this package.
func ExampleVerify() {
	f, err := os.Open("testdata/ledger.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	rep, err := bundle.Verify(f)
	if err != nil {
		fmt.Println("not intact:", err)
		return
	}
	fmt.Printf("intact: %d events in %d commits, up to stream sequence %d\n", rep.Events, rep.Commits, rep.LastSequence)
	// Output: intact: 5 events in 4 commits, up to stream sequence 4
}

// Changing one byte of a stored event breaks its aggregate's hash chain,
// and the error names the aggregate, the version and the line.
func ExampleVerify_tampered() {
	b, err := os.ReadFile("testdata/ledger.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	b = bytes.Replace(b, []byte("proposal from the LSP board"), []byte("proposal from the LA"), 1)
	_, err = bundle.Verify(bytes.NewReader(b))
	var ce *eventstore.ChainError
	if errors.As(err, &ce) {
		fmt.Printf("tampered: %v; %s version %d\n", errors.Is(err, eventstore.ErrTampered), ce.Aggregate, ce.Version)
	}
	_, err = bundle.Verify(bytes.NewReader(nil))
	fmt.Println("empty:", err)
	// Output:
	// tampered: true; laa 00EB/2008-11 version 2
	// empty: empty bundle: nothing to verify
}

// The ledger's operator writes a bundle of the whole ledger to a file and
// syncs it before handing it over.
func ExampleExport() {
	ctx := context.Background()
	s, err := eventstore.Open(ctx, eventstore.Config{DataDir: "ledger-data"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	f, err := os.Create("ledger.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	commits, last, err := bundle.Export(ctx, s, eventstore.ReadOptions{}, f)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("exported %d commits up to stream sequence %d\n", commits, last)
}
