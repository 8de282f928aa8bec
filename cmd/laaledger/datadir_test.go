package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOnlyServeDemoAndGenHistoryCreateALedger: every other command, given a
// data directory that does not exist (as on a fresh clone), says there is no
// ledger there, exits 4 and creates nothing.
func TestOnlyServeDemoAndGenHistoryCreateALedger(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "laaledger-data")
	csv := filepath.Join("..", "..", "domain", "refdata", "national_indicators.csv")
	out := filepath.Join(dir, "ledger.jsonl")
	for _, args := range [][]string{
		{"verify"},
		{"export", "-o", out},
		{"state", "laa", "00EB/2008-11"},
		{"state", "laa", "00EB/2008-11", "--known-at", "2009-03-31"},
		{"timeline", "--agreement", "00EB/2008-11", "--target", "NI 112"},
		{"replay", "laa", "00EB/2008-11"},
		{"history", "laa", "00EB/2008-11"},
		{"tail", "--no-follow"},
		{"rebuild"},
		{"prove", "--sequence", "1"},
		{"key"},
		{"indicators", "import", "--effective", "2009-04-01", csv},
		{"integration", "add", "dash"},
		{"webhook", "add", "hook", "http://127.0.0.1:1/"},
	} {
		_, errOut, code := cli(t, append(args, "--data", data)...)
		require.Equal(t, exitNotFound, code, "%v: %s", args, errOut)
		require.Contains(t, errOut, "there is no ledger at "+data, "%v", args)
		require.NoDirExists(t, data, "%v created the data directory", args)
		require.NoFileExists(t, out)
	}

	// From the working directory, as the README has it, with no --data.
	cmd := func(args ...string) (string, int) {
		t.Helper()
		wd, err := os.Getwd()
		require.NoError(t, err)
		require.NoError(t, os.Chdir(dir))
		defer func() { require.NoError(t, os.Chdir(wd)) }()
		_, errOut, code := cli(t, args...)
		return errOut, code
	}
	errOut, code := cmd("verify")
	require.Equal(t, exitNotFound, code, errOut)
	require.Contains(t, errOut, "there is no ledger at ./laaledger-data")
	require.NoDirExists(t, data)

	// An existing directory that holds no ledger is not one either.
	empty := t.TempDir()
	_, errOut, code = cli(t, "verify", "--data", empty)
	require.Equal(t, exitNotFound, code, errOut)
	require.Contains(t, errOut, "holds none")
	entries, err := os.ReadDir(empty)
	require.NoError(t, err)
	require.Empty(t, entries, "verify wrote into a directory holding no ledger")
}

// TestVerifyAndExportRefuseAnEmptyLedger: a ledger with no commits is never
// reported intact, and exporting it writes no file.
func TestVerifyAndExportRefuseAnEmptyLedger(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	sf := storeFlags{data: data, create: true}
	s, err := sf.open(context.Background(), newLogger(os.Stderr, false))
	require.NoError(t, err)
	s.Close()

	out, errOut, code := cli(t, "verify", "--data", data)
	require.Equal(t, exitNotFound, code, errOut)
	require.NotContains(t, out, "intact")
	require.Contains(t, errOut, "the ledger at "+data+" is empty")

	dir := t.TempDir()
	bundle := filepath.Join(dir, "ledger.jsonl")
	_, errOut, code = cli(t, "export", "--data", data, "-o", bundle)
	require.Equal(t, exitNotFound, code, errOut)
	require.Contains(t, errOut, "the ledger at "+data+" is empty")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "a refused export leaves no file, whole or partial")
}
