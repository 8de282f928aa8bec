package eventstore

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServerLogLevels(t *testing.T) {
	var out bytes.Buffer
	l := newServerLog(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	l.Noticef("banner %d", 1)
	l.Debugf("debug %d", 2)
	l.Tracef("trace %d", 3)
	l.Warnf("Plaintext passwords detected, use nkeys or bcrypt")
	require.Empty(t, out.String(), "start-up notices, debug, trace and the plaintext-password warning stay below Info")

	l.running.Store(true)
	l.Noticef("running %d", 4)
	l.Warnf("block %d damaged", 5)
	l.Errorf("cannot write %s", "x")
	l.Fatalf("listen failed")
	got := out.String()
	require.Contains(t, got, `level=INFO msg="running 4" component=nats-server`)
	require.Contains(t, got, `level=WARN msg="block 5 damaged"`)
	require.Contains(t, got, `level=ERROR msg="cannot write x"`)
	require.Contains(t, got, `level=ERROR msg="fatal: listen failed"`)
}

func TestSequenceRanges(t *testing.T) {
	require.Equal(t, "3, 5-7, 9", sequenceRanges([]uint64{3, 5, 6, 7, 9}, 10))
	require.Equal(t, "1, 3, …", sequenceRanges([]uint64{1, 3, 5}, 2))
	require.Equal(t, "", sequenceRanges(nil, 10))
}
