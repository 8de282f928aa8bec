package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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
	// A start position: one of them, well formed; the integration named
	// must be registered.
	_, errOut, code = cli(t, "webhook", "add", "--data", data, "--from-time", "yesterday", "late", rcv.URL)
	require.Equal(t, exitUsage, code, errOut)
	require.Contains(t, errOut, "--from-time")
	_, errOut, code = cli(t, "webhook", "add", "--data", data, "--from-sequence", "2", "--new-only", "late", rcv.URL)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "give one start")
	_, errOut, code = cli(t, "webhook", "add", "--data", data, "--integration", "nobody", "late", rcv.URL)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, `integration "nobody" is not registered`)
	out, errOut, code = cli(t, "webhook", "add", "--data", data, "--from-sequence", "2", "--json", "late", "http://127.0.0.1:1/")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"from_sequence": 2`)
	// list and show never print the secret.
	for _, args := range [][]string{{"list"}, {"show", "perf"}, {"list", "--json"}} {
		out, errOut, code := cli(t, append(append([]string{"webhook"}, args...), "--data", data)...)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "perf")
		require.NotContains(t, out, "whsec_", "webhook %v", args)
	}

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
	require.Regexp(t, `laaledger_webhook_deliveries_total\{webhook="perf"\} [1-9]`, scrapeMetrics(t, m))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "serve exits 0 after SIGTERM")

	out, errOut, code = cli(t, "webhook", "dead", "--data", data, "perf")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "0 dead letters")
}

// TestWebhookSubcommandsWorkAgainstARunningServe registers a webhook with
// `webhook add --server` while serve runs: deliveries start without a
// restart, status and metrics report them, list shows no secret, and
// `webhook remove` stops them. Only an operator token may do it.
func TestWebhookSubcommandsWorkAgainstARunningServe(t *testing.T) {
	data := demoLedger(t)
	var mu sync.Mutex
	var key []byte
	got := make(chan string, 10_000)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		k := key
		mu.Unlock()
		if k == nil || webhook.Verify(k, r.Header, body, time.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got <- r.Header.Get(webhook.HeaderID)
	}))
	defer rcv.Close()
	// A webhook names a registered integration.
	_, errOut, code := cli(t, "integration", "add", "perf-system", "--data", data)
	require.Equal(t, 0, code, errOut)
	base, stop := startServe(t, data, serveReady, "--demo")
	remote := func(tok string, args ...string) (string, string, int) {
		return cli(t, append(append([]string{"webhook"}, args...), "--server", base, "--token", tok)...)
	}

	_, errOut, code = remote("demo-auditor-readonly", "add", "perf", rcv.URL)
	require.Equal(t, 6, code, "a non-operator is forbidden: %s", errOut)
	require.Contains(t, errOut, "webhook.operator_only")

	out, errOut, code := remote("demo-operator-laaledger", "add", "--integration", "perf-system", "--json", "perf", rcv.URL)
	require.Equal(t, 0, code, errOut)
	var created struct {
		Secret      string `json:"secret"`
		Integration string `json:"integration"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &created), out)
	require.Equal(t, "perf-system", created.Integration)
	ep, err := webhook.Registration{Name: "perf", Secret: created.Secret}.Endpoint()
	require.NoError(t, err)
	mu.Lock()
	key = ep.Secret
	mu.Unlock()

	// Delivered without a restart.
	deadline := time.After(time.Minute)
	for seen := map[string]bool{}; len(seen) < 10; {
		select {
		case id := <-got:
			seen[id] = true
		case <-deadline:
			t.Fatalf("only %d deliveries", len(seen))
		}
	}
	out, errOut, code = remote("demo-operator-laaledger", "list")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "perf-system")
	require.NotContains(t, out, created.Secret)
	require.NotContains(t, out, "whsec_")
	// The first commit (the catalogue's seed) holds many events: it is
	// acknowledged once all of them are delivered.
	require.Eventually(t, func() bool {
		out, _, code := remote("demo-operator-laaledger", "status", "perf")
		return code == 0 && strings.Contains(out, "webhook perf: running") &&
			regexp.MustCompile(`last delivered sequence +[1-9]`).MatchString(out)
	}, time.Minute, 50*time.Millisecond)

	metrics := scrapeMetrics(t, base)
	require.Regexp(t, `laaledger_webhook_last_delivered_sequence\{webhook="perf"\} [1-9]`, metrics)
	require.Regexp(t, `laaledger_webhook_running\{webhook="perf"\} 1`, metrics)
	require.Contains(t, metrics, `laaledger_webhook_pending_commits{webhook="perf"}`)
	require.Contains(t, metrics, `laaledger_webhook_dead_letters{webhook="perf"} 0`)

	out, errOut, code = remote("demo-operator-laaledger", "remove", "perf")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "removed")
	_, _, code = remote("demo-operator-laaledger", "status", "perf")
	require.Equal(t, 4, code, "a removed webhook is not found")
	stop()
}

// scrapeMetrics returns the server's /metrics as an auditor reads them.
func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer demo-auditor-readonly")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(metrics))
	return string(metrics)
}
