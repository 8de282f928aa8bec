package api

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// withNotary serves the proofs of a notary over the harness's own ledger.
func withNotary(t *testing.T, out **notary.Notary) harnessOpt {
	return func(cfg *Config) {
		store := cfg.Feed.(*eventstore.Store)
		k, err := notary.LoadOrCreateKey(filepath.Join(t.TempDir(), "notary.key"), notary.DefaultOrigin(eventstore.DefaultStream))
		if err != nil {
			t.Fatal(err)
		}
		n, err := notary.Open(context.Background(), store, notary.Config{Key: k})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Proofs = n
		*out = n
	}
}

func TestProofEndpointsServeWhatAnAuditorVerifiesOffline(t *testing.T) {
	var n *notary.Notary
	h := newHarness(t, testKinds, withNotary(t, &n))

	// Nothing signed yet.
	if r := h.do(req{method: "GET", path: "/v1/checkpoints/latest", token: tokAuditor}); r.Status != http.StatusNotFound {
		t.Fatalf("latest checkpoint of an empty ledger: %d %s", r.Status, r.Body)
	}
	for i, text := range []string{"a", "b", "c"} {
		if r := h.command(tokLA, "apitest.Note", "k"+text, note("00EB", text), nil); r.Status != http.StatusCreated && r.Status != http.StatusOK {
			t.Fatalf("command %d: %d %s", i, r.Status, r.Body)
		}
		ctx := context.Background()
		if _, err := n.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := n.Issue(ctx); err != nil {
			t.Fatal(err)
		}
	}

	var key VerifierKey
	r := h.do(req{method: "GET", path: "/v1/key", token: tokAuditor})
	if r.Status != http.StatusOK {
		t.Fatalf("key: %d %s", r.Status, r.Body)
	}
	r.decode(t, &key)
	if key.Origin != "laaledger/LEDGER" || key.Key != n.VerifierKey() {
		t.Fatalf("key: %+v", key)
	}
	v, err := notary.NewVerifier(key.Key)
	if err != nil {
		t.Fatal(err)
	}

	var latest notary.Checkpoint
	r = h.do(req{method: "GET", path: "/v1/checkpoints/latest", token: tokAuditor})
	r.decode(t, &latest)
	cp, err := v.ParseCheckpoint([]byte(latest.Note))
	if err != nil || cp.Size != 3 || latest.Size != 3 {
		t.Fatalf("latest checkpoint: %+v, %v", latest, err)
	}

	for _, path := range []string{"/v1/proofs/inclusion?sequence=2&tree_size=3", "/v1/proofs/inclusion?sequence=1&tree_size=1", "/v1/proofs/inclusion?sequence=3"} {
		var p notary.InclusionProof
		r = h.do(req{method: "GET", path: path, token: tokAuditor})
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		r.decode(t, &p)
		if _, err := v.VerifyInclusion(p); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	var c notary.ConsistencyProof
	r = h.do(req{method: "GET", path: "/v1/proofs/consistency?from=1&to=3", token: tokAuditor})
	if r.Status != http.StatusOK {
		t.Fatalf("consistency: %d %s", r.Status, r.Body)
	}
	r.decode(t, &c)
	if _, _, err := v.VerifyConsistency(c); err != nil {
		t.Error(err)
	}

	for _, tc := range []struct {
		desc, path string
		status     int
		code       string
		invalid    bool
	}{
		{"no sequence", "/v1/proofs/inclusion", 400, "invalid", true},
		{"sequence beyond the checkpoint", "/v1/proofs/inclusion?sequence=3&tree_size=2", 404, "not_found", false},
		{"no checkpoint of that size", "/v1/proofs/inclusion?sequence=1&tree_size=9", 404, "not_found", false},
		{"from after to", "/v1/proofs/consistency?from=3&to=2", 400, "invalid", false},
		{"no from", "/v1/proofs/consistency", 400, "invalid", true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h.do(req{method: "GET", path: tc.path, token: tokAuditor, invalid: tc.invalid}).wantProblem(t, tc.status, tc.code)
		})
	}
	if r := h.do(req{method: "GET", path: "/v1/key", invalid: true}); r.Status != http.StatusUnauthorized {
		t.Errorf("key without a token: %d", r.Status)
	}
}

func TestProofEndpointsWithoutANotaryAre503(t *testing.T) {
	h := newHarness(t, testKinds)
	for _, path := range []string{"/v1/checkpoints/latest", "/v1/key", "/v1/proofs/inclusion?sequence=1", "/v1/proofs/consistency?from=1"} {
		if r := h.do(req{method: "GET", path: path, token: tokAuditor}); r.Status != http.StatusServiceUnavailable {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
}
