package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An auditor gets the verifier key once, then proofs the operator prints,
// and checks them with nothing but the key.
func TestProveAndCheckOffline(t *testing.T) {
	data := demoLedger(t)

	key, errOut, code := cli(t, "key", "--data", data)
	require.Equal(t, 0, code, errOut)
	key = strings.TrimSpace(key)
	require.True(t, strings.HasPrefix(key, "laaledger/LEDGER+"), key)
	fi, err := os.Stat(filepath.Join(data, "notary.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	incl, errOut, code := cli(t, "prove", "--data", data, "--sequence", "3")
	require.Equal(t, 0, code, errOut)
	inclFile := filepath.Join(t.TempDir(), "inclusion.json")
	require.NoError(t, os.WriteFile(inclFile, []byte(incl), 0o644))
	out, errOut, code := cli(t, "prove", "--check", inclFile, "--verifier-key", key)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "proof verifies: the commit at stream sequence 3 is in the checkpoint of laaledger/LEDGER")

	// Consistency of the latest checkpoint with itself (the demo is
	// idempotent, so there is one), and a size no checkpoint has.
	var p struct {
		TreeSize uint64 `json:"tree_size"`
	}
	require.NoError(t, json.Unmarshal([]byte(incl), &p))
	cons, errOut, code := cli(t, "prove", "--data", data, "--from", strconv.FormatUint(p.TreeSize, 10))
	require.Equal(t, 0, code, errOut)
	consFile := filepath.Join(t.TempDir(), "consistency.json")
	require.NoError(t, os.WriteFile(consFile, []byte(cons), 0o644))
	out, errOut, code = cli(t, "prove", "--check", consFile, "--verifier-key", key)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "proof verifies")
	_, errOut, code = cli(t, "prove", "--data", data, "--from", "1")
	require.Equal(t, exitNotFound, code, errOut)
	require.Contains(t, errOut, "no checkpoint of tree size 1")

	// Tampered proof: exit code 7 and the reason.
	bad := strings.Replace(incl, `"sequence": 3`, `"sequence": 4`, 1)
	require.NoError(t, os.WriteFile(inclFile, []byte(bad), 0o644))
	_, errOut, code = cli(t, "prove", "--check", inclFile, "--verifier-key", key)
	require.Equal(t, exitTampered, code, errOut)
	require.Contains(t, errOut, "not verified")

	_, errOut, code = cli(t, "prove", "--data", data)
	require.Equal(t, exitUsage, code, errOut)
}

// The whole ledger exports notarised; the auditor verifies it under the
// key obtained out of band, and a cut tail is caught.
func TestExportNotarisedVerifiesUnderTheTrustedKey(t *testing.T) {
	data := demoLedger(t)
	key, _, code := cli(t, "key", "--data", data)
	require.Equal(t, 0, code)
	keyFile := filepath.Join(t.TempDir(), "ledger.vkey")
	require.NoError(t, os.WriteFile(keyFile, []byte(key), 0o644))

	b := filepath.Join(t.TempDir(), "ledger.jsonl")
	_, errOut, code := cli(t, "export", "--data", data, "-o", b)
	require.Equal(t, 0, code, errOut)
	out, errOut, code := cli(t, "verify", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "1 checkpoint of laaledger/LEDGER matches the ledger's Merkle tree")
	out, errOut, code = cli(t, "verify", "--bundle", b, "--key", keyFile)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `checkpoints? of laaledger/LEDGER up to tree size \d+, with every Merkle root and consistency proof, verify under your key`, out)
	out, errOut, code = cli(t, "verify", "--bundle", b)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "under the key the bundle carries")

	// One area's agreements: each commit proven part of the signed ledger.
	fb := filepath.Join(t.TempDir(), "hartlepool.jsonl")
	_, errOut, code = cli(t, "export", "--data", data, "--kind", "laa", "--area", "00EB", "-o", fb)
	require.Equal(t, 0, code, errOut)
	out, errOut, code = cli(t, "verify", "--bundle", fb, "--key", keyFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "every commit has an inclusion proof into the checkpoint of laaledger/LEDGER")

	raw, err := os.ReadFile(b)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(raw), "\n")
	require.NoError(t, os.WriteFile(b, []byte(strings.Join(lines[:len(lines)-2], "")), 0o644))
	_, errOut, code = cli(t, "verify", "--bundle", b, "--key", strings.TrimSpace(key))
	require.Equal(t, exitTampered, code, errOut)
	require.Contains(t, errOut, "its tail was cut")

	other := t.TempDir()
	otherKey, _, code := cli(t, "key", "--data", other)
	require.Equal(t, 0, code)
	require.NoError(t, os.WriteFile(b, raw, 0o644))
	_, errOut, code = cli(t, "verify", "--bundle", b, "--key", strings.TrimSpace(otherKey))
	require.Equal(t, exitTampered, code, errOut)
	require.Contains(t, errOut, "is not the key you trust")
}
