package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeSignsCheckpointsAndServesProofs: serve signs a checkpoint of the
// demo ledger, and a proof fetched from it verifies offline under the key
// printed on the host.
func TestServeSignsCheckpointsAndServesProofs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--demo", "--data", data, "--http", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	base := "http://" + m[1]

	// The notary signs its first checkpoint as it starts.
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/checkpoints/latest", nil)
		req.Header.Set("Authorization", "Bearer demo-auditor-readonly")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 20*time.Millisecond)

	key, errOut, code := cli(t, "key", "--data", data)
	require.Equal(t, 0, code, errOut)
	proof, errOut, code := cli(t, "prove", "--server", base, "--token", "demo-auditor-readonly", "--sequence", "5")
	require.Equal(t, 0, code, errOut)
	f := filepath.Join(t.TempDir(), "proof.json")
	require.NoError(t, os.WriteFile(f, []byte(proof), 0o644))
	out, errOut, code := cli(t, "prove", "--check", f, "--verifier-key", strings.TrimSpace(key))
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "proof verifies: the commit at stream sequence 5")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "serve exits 0 after SIGTERM")
}
