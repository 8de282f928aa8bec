package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	"github.com/laaledger/laaledger/eventstore/notary"
)

func proveFlags(fs *flag.FlagSet) ledgerRun {
	var f notaryUseFlags
	f.register(fs)
	seq := fs.Uint64("sequence", 0, "stream sequence of the commit to prove (an event's commit: its sequence)")
	size := fs.Uint64("tree-size", 0, "size of the checkpoint to prove against (default the latest)")
	from := fs.Uint64("from", 0, "tree size of the earlier checkpoint of a consistency proof")
	to := fs.Uint64("to", 0, "tree size of the later checkpoint (default the latest)")
	check := fs.String("check", "", "verify this proof file (as prove printed it) offline, with --verifier-key")
	vkey := fs.String("verifier-key", "", "verifier `KEY` (as 'laaledger key' prints it), or a file holding it, for --check")
	return func(ctx context.Context, c *call) error {
		if *check != "" {
			return checkProof(*check, *vkey, c.stdout)
		}
		if (*seq == 0) == (*from == 0) {
			return usageError{"give either --sequence N or --from A"}
		}
		var out any
		if f.server.server != "" {
			q := url.Values{}
			path := "/v1/proofs/inclusion"
			if *seq != 0 {
				q.Set("sequence", strconv.FormatUint(*seq, 10))
				if *size != 0 {
					q.Set("tree_size", strconv.FormatUint(*size, 10))
				}
				out = &notary.InclusionProof{}
			} else {
				path = "/v1/proofs/consistency"
				q.Set("from", strconv.FormatUint(*from, 10))
				if *to != 0 {
					q.Set("to", strconv.FormatUint(*to, 10))
				}
				out = &notary.ConsistencyProof{}
			}
			if err := f.server.get(ctx, path, q, out); err != nil {
				return err
			}
		} else {
			// Offline: the notary rebuilds the tree and signs a checkpoint of
			// the ledger as it is, so that the latest commit can be proven.
			s, err := c.ledger(ctx)
			if err != nil {
				return err
			}
			n, err := f.notary.open(ctx, &c.flags, s, c.log)
			if err != nil {
				return err
			}
			if err := signUnlessInDoubt(ctx, s, n); err != nil {
				return err
			}
			if *seq != 0 {
				out, err = n.InclusionProof(ctx, *seq, *size)
			} else {
				out, err = n.ConsistencyProof(*from, *to)
			}
			if err != nil {
				return err
			}
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
}

// checkProof verifies a proof file with the verifier key alone.
func checkProof(path, vkey string, stdout io.Writer) error {
	if vkey == "" {
		return usageError{"--check needs --verifier-key (as `laaledger key` or GET /v1/key gives it)"}
	}
	vkey, err := verifierKeyArg(vkey)
	if err != nil {
		return err
	}
	v, err := notary.NewVerifier(vkey)
	if err != nil {
		return usageError{err.Error()}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return usageError{err.Error()}
	}
	var probe struct {
		Sequence uint64 `json:"sequence"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return usageError{fmt.Sprintf("%s: not a proof: %v", path, err)}
	}
	if probe.Sequence != 0 {
		var p notary.InclusionProof
		if err := json.Unmarshal(b, &p); err != nil {
			return usageError{fmt.Sprintf("%s: not an inclusion proof: %v", path, err)}
		}
		cp, err := v.VerifyInclusion(p)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(stdout, "proof verifies: the commit at stream sequence %d is in the checkpoint of %s at tree size %d (root %x)\n", p.Sequence, cp.Origin, cp.Size, cp.Hash)
		return nil
	}
	var p notary.ConsistencyProof
	if err := json.Unmarshal(b, &p); err != nil {
		return usageError{fmt.Sprintf("%s: not a consistency proof: %v", path, err)}
	}
	a, c, err := v.VerifyConsistency(p)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "proof verifies: %s at tree size %d extends tree size %d\n", c.Origin, c.Size, a.Size)
	return nil
}
