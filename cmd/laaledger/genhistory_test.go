package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Sizes that name no history are refused before the ledger is created:
// --events -5 once wrote a million events.
func TestGenHistoryRefusesSizesThatNameNoHistory(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"negative events", []string{"--events", "-5"}, "--events -5"},
		{"no events", []string{"--events", "0"}, "--events 0"},
		{"negative areas", []string{"--events", "100", "--areas", "-1"}, "--areas -1"},
		{"no workers", []string{"--events", "100", "--workers", "0"}, "--workers 0"},
		{"negative workers", []string{"--events", "100", "--workers", "-3"}, "--workers -3"},
	} {
		out, errOut, code := cli(t, append([]string{"gen-history", "--data", data}, tc.args...)...)
		require.Equal(t, exitUsage, code, "%s: %s%s", tc.desc, out, errOut)
		require.Contains(t, errOut, tc.want, tc.desc)
		_, err := os.Stat(data)
		require.ErrorIs(t, err, os.ErrNotExist, "%s: the data directory is left alone", tc.desc)
	}
}
