package eventstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func appendN(t *testing.T, s *eventstore.Store, agg eventstore.Aggregate, n int) {
	t.Helper()
	ctx := estest.Context(t)
	h, err := s.Load(ctx, agg)
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		_, err := s.Append(ctx, agg, h.Version+uint64(i), []eventstore.Event{ev("x", i)}, fmt.Sprintf("%s-%s-%d", agg.Kind, agg.ID, h.Version+uint64(i)))
		require.NoError(t, err)
	}
}

func readSeqs(t *testing.T, s *eventstore.Store, opts eventstore.ReadOptions) ([]uint64, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var seqs []uint64
	last, err := s.Read(ctx, opts, func(c *eventstore.Commit) error {
		seqs = append(seqs, c.Events[0].Sequence)
		return nil
	})
	require.NoError(t, err)
	return seqs, last
}

func TestReadEmptyLedger(t *testing.T) {
	l := estest.Open(t)
	f, err := eventstore.FilterSubject("laa")
	require.NoError(t, err)
	for _, opts := range []eventstore.ReadOptions{{}, {Filter: f}, {FromSequence: 5}, {FromTime: time.Now().Add(-time.Hour)}} {
		seqs, last := readSeqs(t, l.Store, opts)
		require.Empty(t, seqs)
		require.Zero(t, last)
	}
}

func TestReadFromSequenceBeyondTheEnd(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 3)
	seqs, _ := readSeqs(t, l.Store, eventstore.ReadOptions{FromSequence: 10})
	require.Empty(t, seqs)
	seqs, _ = readSeqs(t, l.Store, eventstore.ReadOptions{FromSequence: 3})
	require.Equal(t, []uint64{3}, seqs)
}

// A start time after the last commit reads nothing; it must not wait for
// the next commit to be stored.
func TestReadFromTimeAfterTheLastCommit(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 3)
	seqs, _ := readSeqs(t, l.Store, eventstore.ReadOptions{FromTime: time.Now().Add(time.Hour)})
	require.Empty(t, seqs)
}

// Same with a filter whose last match is before the starting point while
// other subjects go on.
func TestReadFilteredFromTimeAfterTheFiltersLastCommit(t *testing.T) {
	l := estest.Open(t)
	caa := eventstore.Aggregate{Kind: "caa", ID: "00EB/2009"}
	appendN(t, l.Store, caa, 1)
	time.Sleep(10 * time.Millisecond)
	from := time.Now()
	appendN(t, l.Store, hartlepool, 2)
	f, err := eventstore.FilterSubject("caa")
	require.NoError(t, err)
	seqs, _ := readSeqs(t, l.Store, eventstore.ReadOptions{Filter: f, FromTime: from})
	require.Empty(t, seqs)
	seqs, _ = readSeqs(t, l.Store, eventstore.ReadOptions{FromTime: from})
	require.Equal(t, []uint64{2, 3}, seqs)
}

// Filters may have wildcards anywhere, not only a trailing ">".
func TestReadWithSingleTokenWildcardFilter(t *testing.T) {
	l := estest.Open(t)
	appendN(t, l.Store, hartlepool, 1)                                            // 1
	appendN(t, l.Store, eventstore.Aggregate{Kind: "laa", ID: "00BL/2008-11"}, 1) // 2
	appendN(t, l.Store, eventstore.Aggregate{Kind: "laa", ID: "00EB/2011-14"}, 1) // 3
	appendN(t, l.Store, eventstore.Aggregate{Kind: "caa", ID: "00EB/2008-11"}, 1) // 4
	seqs, last := readSeqs(t, l.Store, eventstore.ReadOptions{Filter: "ledger.laa.*.2008-11"})
	require.Equal(t, []uint64{1, 2}, seqs)
	require.Equal(t, uint64(2), last)
	seqs, _ = readSeqs(t, l.Store, eventstore.ReadOptions{Filter: "ledger.*.00EB.>"})
	require.Equal(t, []uint64{1, 3, 4}, seqs)
}

func TestSubscribeOnEmptyLedgerAndBeyondTheEnd(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	got := make(chan uint64, 10)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	for _, opts := range []eventstore.ReadOptions{{}, {FromSequence: 3}} {
		go func() {
			done <- l.Store.Subscribe(sctx, opts, func(c *eventstore.Commit) error {
				got <- c.Events[0].Sequence
				return nil
			})
		}()
	}
	appendN(t, l.Store, hartlepool, 3)
	var seqs []uint64
	for len(seqs) < 4 {
		select {
		case s := <-got:
			seqs = append(seqs, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %v, want 1, 2, 3 and 3", seqs)
		}
	}
	require.ElementsMatch(t, []uint64{1, 2, 3, 3}, seqs)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, <-done)
}
