package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/projections"
)

const indicatorHeader = "ni,number,title,theme,data_source,place_survey,dcsf_statutory,status,source\n"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestIndicatorsOfflineSetExportImportWithdraw(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	_, errOut, code := cli(t, "indicators", "export", "--data", data)
	require.Equal(t, 4, code, "only serve, demo and gen-history create a ledger: %s", errOut)
	_, errOut, code = cli(t, "demo", "--data", data)
	require.Equal(t, 0, code, errOut)
	out, errOut, code := cli(t, "indicators", "set", "NI", "112", "--theme", "Children and young people", "--source", "a named document",
		"--effective", "2009-01-01", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "NI 112: 1 changes recorded")
	out, errOut, code = cli(t, "indicators", "set", "NI", "112", "--theme", "Children and young people", "--source", "a named document",
		"--effective", "2009-01-01", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "already recorded", "the same change again records nothing")

	exported := filepath.Join(t.TempDir(), "export.csv")
	_, errOut, code = cli(t, "indicators", "export", "--data", data, "--at", "2009-02-01", "-o", exported)
	require.Equal(t, 0, code, errOut)
	csv, err := os.ReadFile(exported)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(csv), indicatorHeader), string(csv))
	require.Contains(t, string(csv), "NI 112,112,Under 18 conception rate,Children and young people,")

	// Export → import is a no-op.
	out, errOut, code = cli(t, "indicators", "import", "--data", data, "--effective", "2009-02-01", exported)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "matches the catalogue (version 88)")

	// One bad row refuses the whole file, naming the row and the field.
	bad := writeFile(t, "bad.csv", indicatorHeader+"NI 8,8,Adult participation in sport,,,no,,,doc\nNI 9,9,Use of public libraries,,,perhaps,,,doc\n")
	_, errOut, code = cli(t, "indicators", "import", "--data", data, "--partial", "--effective", "2009-03-01", bad)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, "row 2 (line 3): NI 9: place_survey")
	partialWithdrawal := writeFile(t, "p.csv", indicatorHeader+"NI 112,112,Under 18 conception rate,,,no,,withdrawn,doc\n")
	_, errOut, code = cli(t, "indicators", "import", "--data", data, "--partial", "--effective", "2009-03-01", partialWithdrawal)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, "partial import removes nothing")

	out, errOut, code = cli(t, "indicators", "export", "--data", data, "--format", "json", "--at", "2009-06-01")
	require.Equal(t, 0, code, errOut)
	var view projections.CatalogueView
	require.NoError(t, json.Unmarshal([]byte(out), &view))
	require.Len(t, view.Indicators, 87, "the refused imports wrote nothing")
	require.Equal(t, 88, view.Version)

	_, errOut, code = cli(t, "indicators", "withdraw", "NI", "112", "--effective", "2009-04-01", "--data", data)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, "names no source")
	out, errOut, code = cli(t, "indicators", "withdraw", "112", "--source", "a named decision", "--effective", "2009-04-01", "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "NI 112: 1 changes recorded")
	out, _, code = cli(t, "indicators", "export", "--data", data, "--at", "2009-06-01")
	require.Equal(t, 0, code)
	require.NotContains(t, out, "NI 112,")
	out, _, _ = cli(t, "indicators", "export", "--data", data, "--at", "2009-03-01")
	require.Contains(t, out, "NI 112,", "the past of a withdrawn indicator stays")
}

func TestIndicatorsThroughARunningServer(t *testing.T) {
	tokens := writeFile(t, "tokens.json", `{"tokens": [
  {"token": "test-operator-token-0001", "actor": {"id": "op", "role": "operator", "organisation": "laaledger operator"}},
  {"token": "test-scrutiny-token-0001", "actor": {"id": "sc", "role": "scrutiny", "organisation": "00EB"}}
]}`)
	data := filepath.Join(t.TempDir(), "ledger")
	base, stop := startServe(t, data, serveReady, "--tokens", tokens)
	op := []string{"--server", base, "--token", "test-operator-token-0001"}
	reader := []string{"--server", base, "--token", "test-scrutiny-token-0001"}
	export := func(at string) string {
		out, errOut, code := cli(t, append([]string{"indicators", "export", "--at", at}, reader...)...)
		require.Equal(t, 0, code, errOut)
		return out
	}
	// The server seeds the catalogue when it starts.
	require.Eventually(t, func() bool { return strings.Count(export("2008-04-01"), "\n") == 88 }, time.Minute, 50*time.Millisecond)

	file := writeFile(t, "sport.csv", indicatorHeader+"NI 8,8,Adult participation in sport,,,no,,,a named document\n")
	args := append(append([]string{"indicators", "import", "--partial", "--effective", "2009-01-01"}, op...), file)
	out, errOut, code := cli(t, args...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "1 changes recorded")
	out, errOut, code = cli(t, args...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "already recorded", "the same file again records nothing")

	_, errOut, code = cli(t, append(append([]string{"indicators", "import", "--partial", "--effective", "2009-01-02"}, reader...), file)...)
	require.Equal(t, exitForbidden, code, errOut)
	require.Contains(t, errOut, "nis.operator_only")

	out, errOut, code = cli(t, append([]string{"indicators", "set", "NI", "8", "--dcsf-statutory", "no", "--theme", "Culture", "--source", "a named document",
		"--effective", "2009-02-01"}, op...)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "NI 8: 1 changes recorded")

	var csv string
	require.Eventually(t, func() bool {
		csv = export("2009-03-01")
		return strings.Contains(csv, "NI 8,8,Adult participation in sport,Culture,")
	}, time.Minute, 50*time.Millisecond)
	exported := writeFile(t, "export.csv", csv)
	out, errOut, code = cli(t, append(append([]string{"indicators", "import", "--effective", "2009-03-01"}, op...), exported)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "matches the catalogue", "importing the export records nothing")
	stop()
}
