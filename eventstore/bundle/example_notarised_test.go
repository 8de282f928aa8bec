package bundle_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/laaledger/laaledger/eventstore/bundle"
)

// An auditor checks a notarised bundle under the verifier key the ledger's
// operator gave them out of band (`laaledger key`): every hash chain, every
// checkpoint's signature and Merkle root, and consistency between the
// checkpoints.
func ExampleVerifyWith() {
	b, err := os.ReadFile("testdata/notarised.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	key, err := os.ReadFile("testdata/notarised.vkey")
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := bundle.Options{VerifierKey: strings.TrimSpace(string(key))}
	rep, err := bundle.VerifyWith(bytes.NewReader(b), opts)
	if err != nil {
		fmt.Println("not intact:", err)
		return
	}
	fmt.Printf("intact: %d commits, %d checkpoints of %s up to tree size %d\n", rep.Commits, rep.Checkpoints, rep.Origin, rep.TreeSize)

	// Cutting the last two commits is caught by the checkpoint that signs
	// them.
	lines := strings.SplitAfter(string(b), "\n")
	_, err = bundle.VerifyWith(strings.NewReader(strings.Join(lines[:len(lines)-3], "")), opts)
	fmt.Println(err)
	// Output:
	// intact: 9 commits, 2 checkpoints of laaledger/LEDGER up to tree size 9
	// checkpoint 2 (line 3, tree size 9): not verified: it signs a tree of 9 commits, the bundle holds 7: its tail was cut
}
