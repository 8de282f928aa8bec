package eventstore_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// flipLastBlockByte flips a byte in the middle of the LEDGER stream's last
// message block, as a damaged disk would, and removes the block index so
// that the server rebuilds the block from its bytes when it starts.
func flipLastBlockByte(t *testing.T, dir string) {
	t.Helper()
	msgs := filepath.Join(dir, "jetstream", "jetstream", "*", "streams", eventstore.DefaultStream, "msgs")
	blocks, err := filepath.Glob(filepath.Join(msgs, "*.blk"))
	require.NoError(t, err)
	require.NotEmpty(t, blocks, "the stream has a message block under %s", dir)
	sort.Slice(blocks, func(a, b int) bool { return blockNumber(blocks[a]) < blockNumber(blocks[b]) })
	blk := blocks[len(blocks)-1]
	b, err := os.ReadFile(blk)
	require.NoError(t, err)
	require.Greater(t, len(b), 3)
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(blk, b, 0o600))
	require.NoError(t, os.Remove(filepath.Join(filepath.Dir(blk), "index.db")))
}

func blockNumber(path string) int {
	n, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(path), ".blk"))
	return n
}

func TestEmbeddedServerTruncationReachesTheLedgerLog(t *testing.T) {
	var out estest.LogBuffer
	l := estest.Open(t, func(c *eventstore.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	appendN(t, l.Store, hartlepool, 20)
	require.NotContains(t, out.String(), "nats-server", "an intact ledger's start logs nothing of the server at Info")
	s := reopen(t, l, func(dir string) { flipLastBlockByte(t, dir) })
	require.ErrorIs(t, s.Integrity(), eventstore.ErrIntegrity, "the integrity check still reports the loss")
	logged := out.String()
	require.Regexp(t, `level=WARN msg="the NATS server cut damaged data from the ledger stream.*lost_bytes=[1-9]\d*`, logged,
		"what the server cut from the damaged block reaches the ledger's log")
}

func TestEmbeddedServerNoticesAreQuietAtStartAndStop(t *testing.T) {
	var out estest.LogBuffer
	l := estest.Open(t, func(c *eventstore.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	appendN(t, l.Store, hartlepool, 2)
	require.NoError(t, l.Store.Close())
	l.Store = nil
	require.NotContains(t, out.String(), "nats-server", "an ordinary open and close logs nothing of the server at Info")

	var debug estest.LogBuffer
	s, err := eventstore.Open(context.Background(), eventstore.Config{
		DataDir: t.TempDir(), ServerDebug: true,
		Logger: slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Contains(t, debug.String(), "Starting nats-server", "at Debug the banner is logged")
	require.Contains(t, debug.String(), "level=DEBUG", "with ServerDebug the server's debug lines are logged")
}
