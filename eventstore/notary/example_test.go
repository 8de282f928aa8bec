package notary_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/laaledger/laaledger/eventstore/notary"
)

// An inclusion proof is plain JSON; whoever holds the verifier key checks
// it with no server: the checkpoint's signature, then the audit path from
// the commit's bytes to the checkpoint's root.
func ExampleVerifier_VerifyInclusion() {
	// What the ledger's notary does: a tree over the stored commits and a
	// signed checkpoint of it.
	key, _, err := notary.GenerateKey("laaledger/LEDGER")
	if err != nil {
		fmt.Println(err)
		return
	}
	commits := [][]byte{[]byte(`{"command_id":"a","events":[]}`), []byte(`{"command_id":"b","events":[]}`), []byte(`{"command_id":"c","events":[]}`)}
	tree := notary.NewTree()
	for _, c := range commits {
		if err := tree.Append(notary.LeafHash(c)); err != nil {
			fmt.Println(err)
			return
		}
	}
	root, _ := tree.Root(3)
	cp, _ := key.Sign(3, root, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
	path, _ := tree.InclusionProof(1, 3)
	proof, _ := json.Marshal(notary.InclusionProof{Sequence: 2, TreeSize: 3, LeafHash: notary.LeafHash(commits[1]),
		Hashes: path, Commit: commits[1], Checkpoint: cp.Note})

	// What the auditor does, with the proof and the verifier key alone.
	v, err := notary.NewVerifier(key.VerifierKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	var p notary.InclusionProof
	if err := json.Unmarshal(proof, &p); err != nil {
		fmt.Println(err)
		return
	}
	got, err := v.VerifyInclusion(p)
	fmt.Printf("%s: commit %d in tree size %d: %v\n", got.Origin, p.Sequence, got.Size, err)

	p.Commit = []byte(`{"command_id":"x","events":[]}`)
	_, err = v.VerifyInclusion(p)
	fmt.Println(err != nil)
	// Output:
	// laaledger/LEDGER: commit 2 in tree size 3: <nil>
	// true
}
