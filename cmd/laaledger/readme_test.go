package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMECommandsWorkOfflineAndAgainstARunningServer follows the
// README's auditor questions on the data directory, then again while serve
// holds it, through --server given as host:port with the flags after the
// arguments, as a newcomer types them.
func TestREADMECommandsWorkOfflineAndAgainstARunningServer(t *testing.T) {
	data := demoLedger(t)
	dir := t.TempDir()

	ask := func(where []string) {
		t.Helper()
		// 1. How did this target get to this value?
		out, errOut, code := cli(t, append([]string{"timeline", "--agreement", "00EB/2008-11", "--target", "NI 112"}, where...)...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "caa_reopening")
		// 2. What did the agreement look like at a date? (flags after the arguments)
		out, errOut, code = cli(t, append([]string{"state", "laa", "00EB/2008-11", "--known-at", "2008-12-31"}, where...)...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "as now known at 2008-12-31")
		require.NotContains(t, out, "2010/11 46", "the CAA reopening came later")
		// 3. Has anything been altered?
		out, errOut, code = cli(t, append([]string{"verify"}, where...)...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "ledger intact")
		bundle := filepath.Join(dir, "ledger.jsonl")
		_, errOut, code = cli(t, append([]string{"export", "-o", bundle}, where...)...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, errOut, "exported ")
		key, errOut, code := cli(t, append([]string{"key"}, where...)...)
		require.Equal(t, 0, code, errOut)
		out, errOut, code = cli(t, "verify", "--bundle", bundle, "--key", strings.TrimSpace(key))
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "bundle intact")
		require.Contains(t, out, "under your key")
	}
	ask([]string{"--data", data})

	base, _ := startServe(t, data, serveReady, "--demo")
	hostPort := strings.TrimPrefix(base, "http://")

	// The data directory is the server's now; the message says what to do.
	_, errOut, code := cli(t, "verify", "--data", data)
	require.Equal(t, exitUnavailable, code, errOut)
	require.Contains(t, errOut, "--server")

	ask([]string{"--server", hostPort, "--token", "demo-auditor-readonly"})
	out, errOut, code := cli(t, "verify", "--server", hostPort, "--token", "demo-auditor-readonly")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "verified by the server at "+hostPort)

	// A filtered export from the server verifies offline too.
	part := filepath.Join(dir, "00EB.jsonl")
	_, errOut, code = cli(t, "export", "--kind", "laa", "--area", "00EB", "-o", part, "--server", base, "--token", "demo-scrutiny-hartlepool")
	require.Equal(t, 0, code, errOut)
	out, errOut, code = cli(t, "verify", "--bundle", part)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "every commit has an inclusion proof")

	// Unauthenticated is not forbidden.
	for _, cmd := range [][]string{{"verify"}, {"export", "-o", filepath.Join(dir, "never.jsonl")}, {"state", "laa", "00EB/2008-11"}} {
		_, errOut, code = cli(t, append(cmd, "--server", hostPort, "--token", "not-a-token")...)
		require.Equal(t, exitUnauthenticated, code, "%v: %s", cmd, errOut)
	}
	require.NoFileExists(t, filepath.Join(dir, "never.jsonl"))

	// Over HTTP, a plain date for known_at is the end of that day, as on
	// the command line.
	stateAt := func(at string) json.RawMessage {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/agreements/00EB/2008-11?known_at="+at, nil)
		req.Header.Set("Authorization", "Bearer demo-auditor-readonly")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var v struct {
			State json.RawMessage `json:"state"`
		}
		require.NoError(t, json.Unmarshal(body, &v))
		return v.State
	}
	require.JSONEq(t, string(stateAt("2008-06-30T23:59:59.999999999Z")), string(stateAt("2008-06-30")))
	require.NotEqual(t, string(stateAt("2008-06-30T00:00:00Z")), string(stateAt("2008-06-30")), "the lockdown on 30 June 2008 is in the day")
}
