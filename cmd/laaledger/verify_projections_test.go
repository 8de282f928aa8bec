package main

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/projections"
)

// A projections snapshot with a forged timeline entry, consistent in every
// respect the file can show (CRC and content digest computed over the
// forged content, at the ledger's real position and commit hash), is what
// serve would load and answer from. verify --projections rebuilds the read
// models from the stream and refuses it, naming the model and the way out.
func TestCLIVerifyProjectionsRefusesAForgedTimelineEntry(t *testing.T) {
	data := demoLedger(t)
	_, errOut, code := cli(t, "rebuild", "--data", data)
	require.Equal(t, 0, code, errOut)

	out, errOut, code := cli(t, "verify", "--data", data, "--projections")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ledger intact")
	require.Contains(t, out, "projections: timelines at stream sequence")
	require.Contains(t, out, "equals a rebuild from the stream")

	forgeTimelineEntry(t, data)

	out, errOut, code = cli(t, "verify", "--data", data, "--projections")
	require.Equal(t, exitTampered, code, out+errOut)
	require.Contains(t, out, "ledger intact", "the ledger itself is whole")
	require.Contains(t, errOut, "read model timelines")
	require.Contains(t, errOut, "differs from the model rebuilt from the stream")
	require.NotContains(t, errOut, "read model agreements")
	require.Contains(t, errOut, "laaledger rebuild")

	// Without --projections the check is not made.
	_, errOut, code = cli(t, "verify", "--data", data)
	require.Equal(t, 0, code, errOut)

	// The recovery the error names works.
	_, errOut, code = cli(t, "rebuild", "--data", data)
	require.Equal(t, 0, code, errOut)
	_, errOut, code = cli(t, "verify", "--data", data, "--projections")
	require.Equal(t, 0, code, errOut)
}

// forgeTimelineEntry adds an entry no commit holds to the timelines of the
// snapshot in data: a copy of the last commit with another reason.
func forgeTimelineEntry(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	sf := &storeFlags{data: data}
	s, err := sf.open(ctx, newLogger(io.Discard, false))
	require.NoError(t, err)
	defer s.Close()
	q, err := projections.OpenReader(ctx, projections.Config{Store: s, Dir: sf.projectionsDir(), Logger: newLogger(io.Discard, false)})
	require.NoError(t, err)
	last, err := s.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, last, q.Position(), "the snapshot was loaded")
	c, err := s.Commit(ctx, last)
	require.NoError(t, err)
	for i := range c.Events {
		c.Events[i].Sequence = last + 1
		c.Events[i].Reason = "approved by the Secretary of State"
	}
	require.NoError(t, q.Timelines().Apply(c))
	require.NoError(t, q.Runner().Snapshot())
}
