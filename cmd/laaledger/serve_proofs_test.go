package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// startNotarisedServe runs `laaledger serve` on data (see [startServe])
// until it has signed a checkpoint of at least minSize commits.
func startNotarisedServe(t *testing.T, data string, minSize uint64, args ...string) (string, func()) {
	t.Helper()
	// The notary signs a checkpoint of the ledger as it starts.
	return startServe(t, data, func(base string) bool {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/checkpoints/latest", nil)
		req.Header.Set("Authorization", "Bearer demo-auditor-readonly")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var cp struct {
			Size uint64 `json:"tree_size"`
		}
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&cp) == nil && cp.Size >= minSize
	}, args...)
}

// TestServeSignsCheckpointsAndServesProofs: serve signs a checkpoint of the
// demo ledger, and a proof fetched from it verifies offline under the key
// printed on the host.
func TestServeSignsCheckpointsAndServesProofs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	base, stop := startNotarisedServe(t, data, 1, "--demo")
	key, errOut, code := cli(t, "key", "--data", data)
	require.Equal(t, 0, code, errOut)
	proof, errOut, code := cli(t, "prove", "--server", base, "--token", "demo-auditor-readonly", "--sequence", "5")
	require.Equal(t, 0, code, errOut)
	f := filepath.Join(t.TempDir(), "proof.json")
	require.NoError(t, os.WriteFile(f, []byte(proof), 0o644))
	out, errOut, code := cli(t, "prove", "--check", f, "--verifier-key", strings.TrimSpace(key))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "proof verifies: the commit at stream sequence 5")
	stop()
}

// TestCheckpointWitnessHoldsTheServerToOneHistory: a witness keeps the
// checkpoints a server shows; a grown ledger is proven to extend them, and
// another history signed with the same key is a split view.
func TestCheckpointWitnessHoldsTheServerToOneHistory(t *testing.T) {
	data := demoLedger(t)
	key, errOut, code := cli(t, "key", "--data", data)
	require.Equal(t, 0, code, errOut)
	key = strings.TrimSpace(key)
	kept := t.TempDir()
	witness := func(base string) (string, string, int) {
		return cli(t, "checkpoint", "--server", base, "--token", "demo-auditor-readonly", "--verifier-key", key, "--dir", kept)
	}

	base, stop := startNotarisedServe(t, data, 1, "--demo")
	out, errOut, code := witness(base)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "kept the first checkpoint of laaledger/LEDGER")
	out, _, code = witness(base)
	require.Equal(t, 0, code)
	require.Contains(t, out, "no new checkpoint")
	stop()

	// The ledger grows; the server's new checkpoint extends the kept one.
	_, errOut, code = cli(t, "gen-history", "--data", data, "--events", "300", "--areas", "2")
	require.Equal(t, 0, code, errOut)
	base, stop = startNotarisedServe(t, data, 200, "--demo")
	out, errOut, code = witness(base)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "extends the one kept at")
	stop()

	// Another ledger signed with the same key: the operator shows a second
	// history. The witness refuses it.
	other := filepath.Join(t.TempDir(), "other")
	require.NoError(t, os.MkdirAll(other, 0o750))
	skey, err := os.ReadFile(filepath.Join(data, "notary.key"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(other, "notary.key"), skey, 0o600))
	base, stop = startNotarisedServe(t, other, 1, "--demo")
	_, errOut, code = witness(base)
	require.Equal(t, exitTampered, code, errOut)
	require.Contains(t, errOut, "split view")
	stop()
}
