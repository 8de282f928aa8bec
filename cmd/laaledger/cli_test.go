package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var binary string

// TestMain builds the real binary once; the CLI tests run it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "laaledger-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "laaledger")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build laaledger: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary and returns stdout, stderr and the exit code.
func cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// demoLedger makes a data directory holding the demo history (`laaledger
// demo`) and returns its path.
func demoLedger(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "ledger")
	_, errOut, code := cli(t, "demo", "--data", data)
	require.Equal(t, 0, code, errOut)
	return data
}

func TestCLIDemoStateReplayExportVerify(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	out, errOut, code := cli(t, "demo", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "00EB/2008-11  Hartlepool")
	require.Contains(t, out, "illustrative")
	require.NotContains(t, out, " 0 new commits")

	out, _, code = cli(t, "demo", "--data", data)
	require.Equal(t, 0, code)
	require.Contains(t, out, " 0 new commits", "a second run appends nothing")

	out, _, code = cli(t, "state", "--data", data, "laa", "00EB/2008-11")
	require.Equal(t, 0, code)
	require.Contains(t, out, "reward lockdown since 2008-06-30")
	require.Regexp(t, `NI 112\s+designated\s+agreed\s+2008/09 59, 2009/10 52, 2010/11 46`, out)

	// As now known at the end of 2008, before any refresh.
	out, _, code = cli(t, "state", "--data", data, "--known-at", "2008-12-31", "laa", "00EB/2008-11")
	require.Equal(t, 0, code)
	require.NotRegexp(t, `NI 112 .*2010/11 46`, out)

	out, _, code = cli(t, "replay", "--data", data, "--to-version", "2", "laa", "00EB/2008-11")
	require.Equal(t, 0, code)
	require.Equal(t, 2, strings.Count(out, "── v"))

	bundle := filepath.Join(t.TempDir(), "ledger.jsonl")
	_, errOut, code = cli(t, "export", "--data", data, "-o", bundle)
	require.Equal(t, 0, code, errOut)
	out, _, code = cli(t, "verify", "--bundle", bundle)
	require.Equal(t, 0, code)
	require.Contains(t, out, "bundle intact")

	raw, err := os.ReadFile(bundle)
	require.NoError(t, err)
	tampered := bytes.Replace(raw, []byte(`"reason":"proposal from the LSP board"`), []byte(`"reason":"proposal from the LA"`), 1)
	require.False(t, bytes.Equal(raw, tampered), "the export holds the reason to alter")
	require.NoError(t, os.WriteFile(bundle, tampered, 0o600))
	_, errOut, code = cli(t, "verify", "--bundle", bundle)
	require.Equal(t, exitTampered, code, errOut)
	require.Contains(t, errOut, "hash chain of laa")
	require.Contains(t, errOut, "broken at version")

	out, _, code = cli(t, "verify", "--data", data)
	require.Equal(t, 0, code)
	require.Contains(t, out, "ledger intact")

	// How did Hartlepool's NI 112 target get to its value?
	out, errOut, code = cli(t, "timeline", "--data", data, "--agreement", "00EB/2008-11", "--target", "NI 112")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "caa_reopening")
	require.Regexp(t, `TargetCounterProposed\s+2\s+hartlepool-go-locality-lead`, out)

	out, errOut, code = cli(t, "rebuild", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "rebuilt every projection up to stream sequence")

	out, errOut, code = cli(t, "rebuild", "--data", data, "laa", "00EB/2008-11")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "rebuilt laa 00EB/2008-11 from its events")

	out, errOut, code = cli(t, "timeline", "--data", data, "--area", "00EB", "--type", "caa.AssessmentPublished")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "2009-12-10")
	require.Equal(t, 2, strings.Count(out, "\n"), "header and one publication")
}

func TestCLIExitCodes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	_, _, code := cli(t, "no-such-command")
	require.Equal(t, exitUsage, code)
	_, errOut, code := cli(t, "state", "--data", data, "laa")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "KIND ID")
	_, errOut, code = cli(t, "state", "--data", data, "laa", "99ZZ/2008-11")
	require.Equal(t, exitNotFound, code, errOut)
	_, errOut, code = cli(t, "state", "--data", data, "laa", "00EB/2008.11")
	require.Equal(t, exitUsage, code, errOut)
	_, errOut, code = cli(t, "state", "--data", data, "--as-of", "yesterday", "laa", "00EB/2008-11")
	require.Equal(t, exitUsage, code, errOut)
	out, _, code := cli(t, "--help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Exit codes")
}

// An empty or unreadable bundle is never reported intact.
func TestCLIVerifyRefusesEmptyAndUnreadableBundles(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	out, errOut, code := cli(t, "verify", "--bundle", empty)
	require.Equal(t, exitTampered, code, errOut)
	require.NotContains(t, out, "intact")
	require.Contains(t, errOut, "empty bundle")

	out, errOut, code = cli(t, "verify", "--bundle", t.TempDir())
	require.NotEqual(t, 0, code, errOut)
	require.NotContains(t, out, "intact")

	_, _, code = cli(t, "verify", "--bundle", filepath.Join(t.TempDir(), "missing.jsonl"))
	require.Equal(t, exitUsage, code)
}
