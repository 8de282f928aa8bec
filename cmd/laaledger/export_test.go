package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/projections"
)

// An export of a kind or an area the ledger does not have is bad input, not
// an empty bundle; it is refused before the ledger or a server is asked.
func TestExportRefusesAnUnknownKindOrArea(t *testing.T) {
	data := demoLedger(t)
	out := filepath.Join(t.TempDir(), "x.jsonl")
	for _, tc := range []struct {
		desc string
		args []string
		want []string
	}{
		{"unknown kind", []string{"--kind", "nope"}, append([]string{`--kind "nope"`}, projections.Kinds()...)},
		{"unknown area", []string{"--kind", "laa", "--area", "ZZ99"}, []string{`--area "ZZ99"`}},
	} {
		for _, where := range [][]string{{"--data", data}, {"--server", "127.0.0.1:19057"}} {
			args := append(append([]string{"export", "-o", out}, where...), tc.args...)
			stdout, errOut, code := cli(t, args...)
			require.Equal(t, exitUsage, code, "%s %v: %s%s", tc.desc, where, stdout, errOut)
			for _, w := range tc.want {
				require.Contains(t, errOut, w, "%s %v", tc.desc, where)
			}
			_, err := os.Stat(out)
			require.ErrorIs(t, err, os.ErrNotExist, "%s %v: no file written", tc.desc, where)
		}
	}
	_, errOut, code := cli(t, "tail", "--data", data, "--no-follow", "--kind", "nope")
	require.Equal(t, exitUsage, code, errOut)
}
