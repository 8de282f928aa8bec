package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// startServe runs `laaledger serve` over data on an ephemeral loopback port,
// with args added, until the test ends. It returns the base URL once
// ready(base) holds, and a function that stops the server with SIGTERM and
// requires it to exit 0.
func startServe(t *testing.T, data string, ready func(base string) bool, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--data", data, "--http", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = io.Discard
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		cancel()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	base := "http://" + m[1]
	require.Eventually(t, func() bool { return ready(base) }, time.Minute, 20*time.Millisecond)
	return base, func() {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, cmd.Wait(), "serve exits 0 after SIGTERM")
	}
}

// serveReady reports whether the server at base answers /readyz with 200.
func serveReady(base string) bool {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
