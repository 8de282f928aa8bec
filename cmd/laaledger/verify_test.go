package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A --key that is given but empty, as --key "$(laaledger key)" is when
// `laaledger key` fails, is refused: it must not quietly check the bundle
// against the key the bundle carries, as leaving --key out does.
func TestVerifyBundleRefusesAGivenButEmptyKey(t *testing.T) {
	data := demoLedger(t)
	b := filepath.Join(t.TempDir(), "ledger.jsonl")
	_, errOut, code := cli(t, "export", "--data", data, "-o", b)
	require.Equal(t, 0, code, errOut)
	dir := t.TempDir()
	emptyFile, blankFile := filepath.Join(dir, "empty.vkey"), filepath.Join(dir, "blank.vkey")
	require.NoError(t, os.WriteFile(emptyFile, nil, 0o644))
	require.NoError(t, os.WriteFile(blankFile, []byte(" \n\t\n"), 0o644))

	for _, tc := range []struct{ desc, key, want string }{
		{"empty", "", "--key is empty"},
		{"blank", " \n", "--key is empty"},
		{"an empty file", emptyFile, "--key " + emptyFile + ": the file is empty"},
		{"a file of white space", blankFile, "--key " + blankFile + ": the file is empty"},
	} {
		out, errOut, code := cli(t, "verify", "--bundle", b, "--key", tc.key)
		require.Equal(t, exitUsage, code, "%s: %s%s", tc.desc, out, errOut)
		require.NotContains(t, out, "intact", tc.desc)
		require.Contains(t, errOut, tc.want, tc.desc)
	}
	_, errOut, code = cli(t, "verify", "--bundle", b, "--key=")
	require.Equal(t, exitUsage, code, errOut)

	// Without --key the bundle is checked against the key it carries, and
	// the output says so.
	out, errOut, code := cli(t, "verify", "--bundle", b)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "under the key the bundle carries")
}
