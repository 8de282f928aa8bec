package bundle_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/estest"
)

var update = flag.Bool("update", false, "rewrite testdata/ledger.jsonl from a fresh ledger")

var (
	hartlepool  = eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	westminster = eventstore.Aggregate{Kind: "laa", ID: "00BK/2008-11"}
)

func event(typ string, n int, reason string) eventstore.Event {
	return eventstore.Event{Type: typ, SchemaVersion: 1, Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
		Actor:  eventstore.Actor{ID: "officer", Role: "lsp", Organisation: "00EB"},
		Reason: reason, OccurredAt: time.Date(2008, 2, n, 12, 0, 0, 0, time.UTC)}
}

// ledger is a small ledger: two aggregates, four commits, five events.
func ledger(t *testing.T) *estest.Ledger {
	t.Helper()
	l := estest.Open(t)
	ctx := estest.Context(t)
	for _, c := range []struct {
		agg     eventstore.Aggregate
		version uint64
		events  []eventstore.Event
	}{
		{hartlepool, 0, []eventstore.Event{event("laa.AgreementOpened", 1, "negotiation begins")}},
		{hartlepool, 1, []eventstore.Event{event("laa.TargetProposed", 2, "proposal from the LSP board")}},
		{westminster, 0, []eventstore.Event{event("laa.AgreementOpened", 3, "negotiation begins")}},
		{hartlepool, 2, []eventstore.Event{event("laa.TargetAgreed", 4, "GO accepts"), event("laa.AgreementAdopted", 5, "cabinet adopts")}},
	} {
		_, err := l.Store.Append(ctx, c.agg, c.version, c.events, fmt.Sprintf("cmd-%s-%d", c.agg.ID, c.version))
		require.NoError(t, err)
	}
	return l
}

func export(t *testing.T, l *estest.Ledger, opts eventstore.ReadOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, last, err := bundle.Export(estest.Context(t), l.Store, opts, &buf)
	require.NoError(t, err)
	require.Equal(t, strings.Count(buf.String(), "\n"), n)
	if n > 0 {
		require.NotZero(t, last)
	}
	return buf.Bytes()
}

func TestExportVerifiesOffline(t *testing.T) {
	l := ledger(t)
	b := export(t, l, eventstore.ReadOptions{})
	rep, err := bundle.Verify(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, bundle.Report{Events: 5, Commits: 4, LastSequence: 4}, rep)

	// Reading gives back the stored commits, with their sequences.
	r := bundle.NewReader(bytes.NewReader(b))
	for seq := uint64(1); seq <= 4; seq++ {
		c, err := r.Next()
		require.NoError(t, err)
		stored, err := l.Store.Commit(estest.Context(t), seq)
		require.NoError(t, err)
		require.Equal(t, stored, c)
	}
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF)

	if *update {
		require.NoError(t, os.WriteFile("testdata/ledger.jsonl", b, 0o644))
	}
}

func TestVerifyRefusesWhatIsNotAnIntactBundle(t *testing.T) {
	l := ledger(t)
	good := export(t, l, eventstore.ReadOptions{})
	lines := strings.SplitAfter(string(good), "\n")
	for _, tc := range []struct {
		desc   string
		bundle string
		want   error
		says   string
	}{
		{"empty", "", bundle.ErrEmpty, "empty bundle"},
		{"blank line", "\n", eventstore.ErrTampered, "line 1: hash chain broken: not an export line"},
		{"not JSON", lines[0] + "garbage\n", eventstore.ErrTampered, "line 2"},
		{"commit without events", `{"sequence":1,"commit":{"command_id":"c","events":[]}}` + "\n", eventstore.ErrTampered, "not an export line"},
		{"altered reason", strings.Replace(string(good), "proposal from the LSP board", "proposal from the LA", 1), eventstore.ErrTampered, "line 2: hash chain of laa 00EB/2008-11 broken at version 2"},
		{"line removed", lines[0] + lines[2] + lines[3], eventstore.ErrTampered, "version 3 follows version 1"},
		{"lines swapped", lines[0] + lines[2] + lines[1] + lines[3], eventstore.ErrTampered, "line 3: hash chain broken: sequence 2 after 3"},
		{"starts mid-history", lines[3], eventstore.ErrTampered, "version 3 follows version 0"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			rep, err := bundle.Verify(strings.NewReader(tc.bundle))
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.says)
			require.Zero(t, rep)
		})
	}
	// An unreadable bundle is an error too, never intact.
	boom := errors.New("disk on fire")
	rep, err := bundle.Verify(iotest.ErrReader(boom))
	require.ErrorIs(t, err, boom)
	require.Zero(t, rep)
	rep, err = bundle.Verify(iotest.DataErrReader(strings.NewReader(lines[0] + lines[1][:20])))
	require.Error(t, err)
	require.Zero(t, rep)
}

// The committed fixture the examples read is a verifiable export.
func TestFixtureVerifies(t *testing.T) {
	f, err := os.Open("testdata/ledger.jsonl")
	require.NoError(t, err)
	defer f.Close()
	rep, err := bundle.Verify(f)
	require.NoError(t, err)
	require.Equal(t, 4, rep.Commits)
}
