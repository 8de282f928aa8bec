package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServeDemoAnswersAndStopsCleanly runs `laaledger serve --demo` on an
// ephemeral loopback port, asks it something with a demo token, and stops
// it with SIGTERM: it must exit 0 having saved the projections.
func TestServeDemoAnswersAndStopsCleanly(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	base, stop := startServe(t, data, serveReady, "--demo")

	req, _ := http.NewRequest(http.MethodGet, base+"/v1/agreements/00EB/2008-11", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	req.Header.Set("Authorization", "Bearer demo-scrutiny-hartlepool")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, string(body), `"area_name":"Hartlepool"`)

	// The web UI answers everything outside the API, behind its sign-in.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(base + "/areas/00EB")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/sign-in?next=%2Fareas%2F00EB", resp.Header.Get("Location"))
	resp, err = noFollow.Get(base + "/sign-in")
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "Access token")

	// While it runs, the data directory is its own; the CLI asks it instead.
	_, errOut, code := cli(t, "state", "--data", data, "laa", "00EB/2008-11")
	require.Equal(t, exitUnavailable, code, errOut)
	require.Contains(t, errOut, "--server")
	out, errOut, code := cli(t, "state", "--server", base, "--token", "demo-auditor-readonly", "--known-at", "2008-12-31", "laa", "00EB/2008-11")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "as now known at 2008-12-31")
	require.NotContains(t, out, "2010/11 46", "the CAA reopening came later")
	out, errOut, code = cli(t, "timeline", "--server", base, "--token", "demo-scrutiny-hartlepool", "--area", "00EB", "--type", "caa.AssessmentPublished")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "2009-12-10")
	_, errOut, code = cli(t, "state", "--server", base, "--token", "wrong", "laa", "00EB/2008-11")
	require.Equal(t, exitUnauthenticated, code, errOut)

	stop()
	_, err = os.Stat(filepath.Join(data, "projections", "projections.snap"))
	require.NoError(t, err, "the projections were saved on the way out")
}
