package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore/webhook"
)

// TestServeDeliversSignedWebhooks registers a webhook with the CLI, runs
// serve --demo, and checks that signed CloudEvents of the demo arrive.
func TestServeDeliversSignedWebhooks(t *testing.T) {
	data := filepath.Join(t.TempDir(), "ledger")
	got := make(chan string, 10_000)
	var key []byte
	keyReady := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-keyReady
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			got <- "bad signature"
			return
		}
		got <- r.Header.Get(webhook.HeaderID)
	}))
	defer rcv.Close()

	// A webhook is registered on a ledger that exists: the CLI creates no
	// data directory but serve's, demo's and gen-history's.
	_, errOut, code := cli(t, "webhook", "add", "--data", data, "perf", rcv.URL)
	require.Equal(t, exitNotFound, code, errOut)
	require.Contains(t, errOut, "no ledger at "+data)
	require.NoDirExists(t, data)
	_, errOut, code = cli(t, "demo", "--data", data)
	require.Equal(t, 0, code, errOut)

	out, errOut, code := cli(t, "webhook", "add", "--data", data, "--filter", "ledger.laa.>", "perf", rcv.URL)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "whsec_")
	ep, err := findWebhook(data, "perf")
	require.NoError(t, err)
	key = ep.Secret
	close(keyReady)
	_, errOut, code = cli(t, "webhook", "add", "--data", data, "perf", rcv.URL)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "already in use")

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
	m := regexp.MustCompile(`http://\S+`).FindString(line)
	require.NotEmpty(t, m, line)

	seen := map[string]bool{}
	for len(seen) < 20 {
		select {
		case id := <-got:
			require.NotEqual(t, "bad signature", id)
			seen[id] = true
		case <-ctx.Done():
			t.Fatalf("only %d deliveries", len(seen))
		}
	}
	// The deliveries are counted in the server's metrics.
	req, _ := http.NewRequest(http.MethodGet, m+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer demo-auditor-readonly")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(metrics))
	require.Regexp(t, `laaledger_webhook_deliveries_total\{webhook="perf"\} [1-9]`, string(metrics))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "serve exits 0 after SIGTERM")

	out, errOut, code = cli(t, "webhook", "dead", "--data", data, "perf")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "0 dead letters")
}
