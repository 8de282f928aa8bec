package eventstore_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// editWatermark rewrites the watermark file of a closed ledger.
func editWatermark(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, eventstore.WatermarkFile)
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the ledger keeps a watermark in its data directory")
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	edit(m)
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// reopen closes the ledger, lets each of change alter its data directory
// while closed (as a crash or a damaged disk would) and opens it again on
// the same directory. A damaged ledger still opens, for reading.
func reopen(t *testing.T, l *estest.Ledger, change ...func(dir string)) *eventstore.Store {
	t.Helper()
	require.NoError(t, l.Store.Close())
	l.Store = nil
	for _, c := range change {
		c(l.Cfg.DataDir)
	}
	s, err := eventstore.Open(context.Background(), l.Cfg)
	require.NoError(t, err)
	l.Store = s
	return s
}

func TestWatermarkFollowsAcknowledgedAppends(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 3)
	s := reopen(t, l, func(dir string) {
		b, err := os.ReadFile(filepath.Join(dir, eventstore.WatermarkFile))
		require.NoError(t, err)
		var w eventstore.Watermark
		require.NoError(t, json.Unmarshal(b, &w))
		require.Equal(t, uint64(3), w.Sequence, "the watermark holds the last acknowledged sequence at close")
		require.Len(t, w.CommitSHA256, 64)
	})
	require.NoError(t, s.Integrity(), "an intact ledger opens for writes")
}

func TestLedgerShorterThanItsWatermarkRefusesWrites(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 3)
	// The stream now ends before what the ledger acknowledged, as after a
	// crash that cut a damaged block.
	s := reopen(t, l, func(dir string) { editWatermark(t, dir, func(m map[string]any) { m["sequence"] = 7 }) })
	err := s.Integrity()
	require.ErrorIs(t, err, eventstore.ErrIntegrity)
	require.Contains(t, err.Error(), "commits 4 to 7 are missing")

	_, err = s.Append(estest.Context(t), hartlepool, 3, []eventstore.Event{ev("after", 9)}, "after-damage")
	require.ErrorIs(t, err, eventstore.ErrIntegrity, "no sequence may be reused after a loss")
	last, err := s.LastSequence(estest.Context(t))
	require.NoError(t, err)
	require.Equal(t, uint64(3), last, "the refused append wrote nothing")
	h, err := s.LoadFresh(estest.Context(t), hartlepool)
	require.NoError(t, err, "reads still work, to examine the damage")
	require.Len(t, h.Events, 3)
}

func TestLedgerWithOtherBytesAtItsWatermarkRefusesWrites(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 2)
	s := reopen(t, l, func(dir string) {
		editWatermark(t, dir, func(m map[string]any) { m["commit_sha256"] = strings.Repeat("ab", 32) })
	})
	err := s.Integrity()
	require.ErrorIs(t, err, eventstore.ErrIntegrity)
	require.Contains(t, err.Error(), "not the one acknowledged")
}

func TestDamagedWatermarkFileRefusesWrites(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 1)
	s := reopen(t, l, func(dir string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, eventstore.WatermarkFile), []byte("{not json"), 0o600))
	})
	require.ErrorIs(t, s.Integrity(), eventstore.ErrIntegrity, "a damaged watermark is not 'no history'")
}

func TestMissingStreamWithAWatermarkIsNotRecreated(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 2)
	require.NoError(t, l.Store.Close())
	l.Store = nil
	// The store directory is gone, as after a wiped disk or a deleted stream.
	require.NoError(t, os.RemoveAll(filepath.Join(l.Cfg.DataDir, "jetstream")))
	_, err := eventstore.Open(context.Background(), l.Cfg)
	require.ErrorIs(t, err, eventstore.ErrIntegrity)
	require.Contains(t, err.Error(), "does not exist, but sequence 2 was acknowledged")
}

func TestWatermarkSurvivesReopenAndKeepsGrowing(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 2)
	s := reopen(t, l)
	require.NoError(t, s.Integrity())
	_, err := s.Append(estest.Context(t), hartlepool, 2, []eventstore.Event{ev("more", 3)}, "more")
	require.NoError(t, err)
	// The background writer catches up within its interval.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(l.Cfg.DataDir, eventstore.WatermarkFile))
		require.NoError(t, err)
		var w eventstore.Watermark
		require.NoError(t, json.Unmarshal(b, &w))
		if w.Sequence == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watermark still at %d", w.Sequence)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, s.Integrity())
}
