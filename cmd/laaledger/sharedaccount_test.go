package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore/integration"
)

// serve warns of the integrations' shared NATS account exactly when an
// integration user is admitted over a listener.
func TestServeWarnsWhileIntegrationUsersShareTheLedgersAccount(t *testing.T) {
	dir := t.TempDir()
	warned := func(f storeFlags) bool {
		var out bytes.Buffer
		warnSharedAccount(&f, slog.New(slog.NewTextHandler(&out, nil)))
		return bytes.Contains(out.Bytes(), []byte("known defect"))
	}
	require.False(t, warned(storeFlags{data: dir, listen: "127.0.0.1:4222"}), "no integration: no warning")

	b, err := json.Marshal([]integration.Integration{{Name: "feed", User: "integration-feed", Stream: "LEDGER",
		Consumer: "integration-feed", InboxPrefix: "_INBOX_integration-feed"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(integration.Path(dir), b, 0o600))
	require.True(t, warned(storeFlags{data: dir, listen: "127.0.0.1:4222"}), "an integration admitted over a listener")
	require.False(t, warned(storeFlags{data: dir}), "no listener: nobody can connect")
	require.False(t, warned(storeFlags{data: dir, listen: "127.0.0.1:4222", natsURL: "nats://127.0.0.1:4222"}),
		"an external server's accounts are its operator's")
}
