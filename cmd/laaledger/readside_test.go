package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
)

// TestReadCommandsAnswerAlikeLocallyAndOverHTTP asks the same questions of
// the query service over the data directory and, through `serve`, over the
// HTTP API: the states and timelines must be the same.
func TestReadCommandsAnswerAlikeLocallyAndOverHTTP(t *testing.T) {
	data := demoLedger(t)
	recordedNow := time.Now().UTC().Format(time.RFC3339Nano)

	questions := [][]string{
		{"state", "--json", "laa", "00EB/2008-11"},
		{"state", "--json", "--known-at", "2008-12-31", "laa", "00EB/2008-11"},
		{"state", "--json", "--known-at", "2009-10-01", "laa", "00BP/2008-11"},
		{"state", "--json", "--as-of", recordedNow, "laa", "00EB/2008-11"},
		{"state", "--json", "--known-at", "2009-12-01", "caa", "00EB/2009"},
		{"timeline", "--json", "--agreement", "00EB/2008-11"},
		{"timeline", "--json", "--area", "00EB", "--type", "caa.AssessmentPublished"},
		{"timeline", "--json", "--agreement", "00EB/2008-11", "--target", "NI 112"},
		{"timeline", "--json", "--indicator", "112"},
	}
	local := make([]string, len(questions))
	for i, q := range questions {
		out, errOut, code := cli(t, append(q[:1:1], append([]string{"--data", data}, q[1:]...)...)...)
		require.Equal(t, 0, code, "%v: %s", q, errOut)
		local[i] = out
	}

	refusals(t, "--data", data)

	base, _ := startServe(t, data, serveReady, "--demo")
	for i, q := range questions {
		out, errOut, code := cli(t, append(q[:1:1], append([]string{"--server", base, "--token", "demo-auditor-readonly"}, q[1:]...)...)...)
		require.Equal(t, 0, code, "%v: %s", q, errOut)
		if q[0] == "state" {
			// Locally the CLI also counts the events applied; the
			// state itself must be the same.
			var l, r struct {
				State json.RawMessage `json:"state"`
			}
			require.NoError(t, json.Unmarshal([]byte(local[i]), &l))
			require.NoError(t, json.Unmarshal([]byte(out), &r))
			require.JSONEq(t, string(l.State), string(r.State), "%v", q)
			continue
		}
		require.JSONEq(t, local[i], out, "%v", q)
	}

	refusals(t, "--server", base, "--token", "demo-auditor-readonly")
}

// refusals checks what the state command refuses, wherever it asks: both
// bases at once, and an instant before the ledger.
func refusals(t *testing.T, where ...string) {
	t.Helper()
	_, errOut, code := cli(t, append(append([]string{"state"}, where...), "--as-of", "2009-01-01", "--known-at", "2009-01-01", "laa", "00EB/2008-11")...)
	require.Equal(t, exitUsage, code, errOut)
	_, errOut, code = cli(t, append(append([]string{"state"}, where...), "--known-at", "2001-01-01", "laa", "00EB/2008-11")...)
	require.Equal(t, exitNotFound, code, errOut)
}

// TestLocalReadCommandsReportDamageFoundAtOpen: a read command over the data
// directory keeps the store's log out of its output, except what the user
// must know: here, that the NATS server cut a damaged block when the
// ledger opened.
func TestLocalReadCommandsReportDamageFoundAtOpen(t *testing.T) {
	data := demoLedger(t)
	_, errOut, code := cli(t, "timeline", "--data", data, "--agreement", "00EB/2008-11")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut, "an intact ledger's read logs nothing")

	msgs := filepath.Join(data, "jetstream", "jetstream", "*", "streams", eventstore.DefaultStream, "msgs")
	blocks, err := filepath.Glob(filepath.Join(msgs, "*.blk"))
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "the stream has a message block under %s", data)
	slices.Sort(blocks)
	blk := blocks[len(blocks)-1]
	b, err := os.ReadFile(blk)
	require.NoError(t, err)
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(blk, b, 0o600))
	require.NoError(t, os.Remove(filepath.Join(filepath.Dir(blk), "index.db")))

	_, errOut, _ = cli(t, "timeline", "--data", data, "--agreement", "00EB/2008-11")
	require.Regexp(t, `level=WARN msg="the NATS server cut damaged data from the ledger stream.*lost_bytes=[1-9]\d*`, errOut)
}
