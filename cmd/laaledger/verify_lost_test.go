package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// removeStream deletes a stream's directory from a stopped embedded
// ledger, as someone with access to the disk would.
func removeStream(t *testing.T, data, name string) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(data, "jetstream", "jetstream", "*", "streams", name))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "stream %s under %s", name, data)
	require.NoError(t, os.RemoveAll(dirs[0]))
}

// copyLedger copies a stopped ledger's data directory.
func copyLedger(t *testing.T, data string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	out, err := exec.Command("cp", "-a", data, dst).CombinedOutput()
	require.NoError(t, err, string(out))
	return dst
}

// A ledger that lost its checkpoints, its signing key, or its stream and
// its watermark while the checkpoints remain, is tampered (exit 7, naming
// what is gone): neither passes for a ledger never signed or never
// written.
func TestCLIVerifyRefusesALedgerThatLostItsStreamOrItsCheckpoints(t *testing.T) {
	data := demoLedger(t)
	// The export signs a checkpoint of the whole ledger.
	_, errOut, code := cli(t, "export", "--data", data, "-o", filepath.Join(t.TempDir(), "ledger.jsonl"))
	require.Equal(t, 0, code, errOut)
	out, errOut, code := cli(t, "verify", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ledger intact")
	require.FileExists(t, filepath.Join(data, "notary.checkpoint"))

	noCheckpoints := copyLedger(t, data)
	removeStream(t, noCheckpoints, "LEDGER_CHECKPOINTS")
	out, errOut, code = cli(t, "verify", "--data", noCheckpoints)
	require.Equal(t, 7, code, "stdout %s stderr %s", out, errOut)
	require.Contains(t, errOut, "LEDGER_CHECKPOINTS does not hold it (it holds none)")
	require.NotContains(t, out, "intact")

	// A lost signing key: the check makes a new one, which cannot match
	// the checkpoints; it says so and leaves no new key behind.
	noKey := copyLedger(t, data)
	require.NoError(t, os.Remove(filepath.Join(noKey, "notary.key")))
	out, errOut, code = cli(t, "verify", "--data", noKey)
	require.Equal(t, 7, code, "stdout %s stderr %s", out, errOut)
	require.Contains(t, errOut, "did not exist, so a new one was made for this check and removed again")
	require.NoFileExists(t, filepath.Join(noKey, "notary.key"))

	noStream := copyLedger(t, data)
	removeStream(t, noStream, "LEDGER")
	require.NoError(t, os.Remove(filepath.Join(noStream, "ledger.watermark")))
	out, errOut, code = cli(t, "verify", "--data", noStream)
	require.Equal(t, 7, code, "stdout %s stderr %s", out, errOut)
	require.Contains(t, errOut, "its tail was cut")
	require.NotContains(t, out, "intact")
}
