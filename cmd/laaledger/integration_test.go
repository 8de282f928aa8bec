package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

func TestCLIIntegrationAddGivesAUserServeAdmits(t *testing.T) {
	data := demoLedger(t)

	out, errOut, code := cli(t, "integration", "add", "dash", "--from-seq", "2", "--filter", "ledger.laa.>", "--json", "--data", data)
	require.Equal(t, 0, code, errOut)
	var cred integration.Credentials
	require.NoError(t, json.Unmarshal([]byte(out), &cred))
	require.Equal(t, "integration-dash", cred.User)
	require.NotEmpty(t, cred.Password)
	require.NotContains(t, out, "password_hash", "the hash stays with the server")

	_, errOut, code = cli(t, "integration", "add", "dash", "--data", data)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "already in use")
	_, errOut, code = cli(t, "integration", "add", "x", "--from-seq", "2", "--from-start", "--data", data)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "one of")

	// No address but loopback.
	_, errOut, code = cli(t, "verify", "--data", data, "--nats-listen", "0.0.0.0:4222")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "loopback")

	// The ledger opened as serve opens it admits the user, who reads the
	// LAA commits from sequence 2 on.
	f := storeFlags{data: data, listen: "127.0.0.1:-1", dupWindow: 2 * time.Minute}
	l := estest.Open(t, func(c *eventstore.Config) { *c = f.config(slog.New(slog.NewTextHandler(io.Discard, nil))) })
	nc, err := nats.Connect(l.Server().ClientURL(), nats.UserInfo(cred.User, cred.Password), nats.CustomInboxPrefix(cred.InboxPrefix),
		nats.Timeout(30*time.Second)) // bcrypt under the race detector
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx := estest.Context(t)
	cons, err := js.Consumer(ctx, cred.Stream, cred.Consumer)
	require.NoError(t, err)
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(30*time.Second))
	require.NoError(t, err)
	n := 0
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		require.NoError(t, err)
		require.GreaterOrEqual(t, meta.Sequence.Stream, uint64(2))
		require.Contains(t, msg.Subject(), "ledger.laa.")
		n++
	}
	require.NoError(t, batch.Error())
	require.Equal(t, 1, n)
	if _, err := nats.Connect(l.Server().ClientURL()); err == nil {
		t.Error("an anonymous client was admitted")
	}
}
