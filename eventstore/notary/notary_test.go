package notary_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nats-io/nats.go/jetstream"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/notary"
)

var hartlepool = eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}

// appendN appends n one-event commits to hartlepool, after its current
// version.
func appendN(t *testing.T, l *estest.Ledger, n int) {
	t.Helper()
	ctx := estest.Context(t)
	h, err := l.Store.Load(ctx, hartlepool)
	require.NoError(t, err)
	for i := 0; i < n; i++ {
		v := h.Version + uint64(i)
		_, err := l.Store.Append(ctx, hartlepool, v, []eventstore.Event{{Type: "laa.TargetProposed", SchemaVersion: 1,
			Data:  json.RawMessage(fmt.Sprintf(`{"round":%d}`, v+1)),
			Actor: eventstore.Actor{ID: "officer", Role: "lsp", Organisation: "00EB"}, OccurredAt: time.Date(2008, 3, 1, 0, 0, 0, 0, time.UTC)}},
			fmt.Sprintf("cmd-%d", v+1))
		require.NoError(t, err)
	}
}

func testKey(t *testing.T) *notary.Key {
	t.Helper()
	k, err := notary.LoadOrCreateKey(filepath.Join(t.TempDir(), "notary.key"), notary.DefaultOrigin(eventstore.DefaultStream))
	require.NoError(t, err)
	return k
}

func openNotary(t *testing.T, l *estest.Ledger, k *notary.Key) *notary.Notary {
	t.Helper()
	n, err := notary.Open(estest.Context(t), l.Store, notary.Config{Key: k})
	require.NoError(t, err)
	return n
}

// notarisedLedger opens a ledger and a notary over it with a new key.
func notarisedLedger(t *testing.T) (*estest.Ledger, *notary.Key, *notary.Notary) {
	t.Helper()
	l := estest.Open(t)
	k := testKey(t)
	return l, k, openNotary(t, l, k)
}

func issue(t *testing.T, n *notary.Notary) notary.Checkpoint {
	t.Helper()
	ctx := estest.Context(t)
	_, err := n.Sync(ctx)
	require.NoError(t, err)
	cp, _, err := n.Issue(ctx)
	require.NoError(t, err)
	return cp
}

func TestNotaryProvesEveryCommitAgainstEveryCheckpoint(t *testing.T) {
	l, _, n := notarisedLedger(t)
	_, ok := n.Latest()
	require.False(t, ok)
	appendN(t, l, 5)
	cp5 := issue(t, n)
	require.Equal(t, uint64(5), cp5.Size)
	appendN(t, l, 8)
	cp13 := issue(t, n)
	require.Equal(t, uint64(13), cp13.Size)
	// Nothing new: no new checkpoint.
	again, fresh, err := n.Issue(estest.Context(t))
	require.NoError(t, err)
	require.False(t, fresh)
	require.Equal(t, cp13, again)

	// A verifier built from the printed key alone checks every proof.
	v, err := notary.NewVerifier(n.VerifierKey())
	require.NoError(t, err)
	ctx := estest.Context(t)
	for _, cp := range []notary.Checkpoint{cp5, cp13} {
		for seq := uint64(1); seq <= cp.Size; seq++ {
			p, err := n.InclusionProof(ctx, seq, cp.Size)
			require.NoError(t, err)
			// Plain data: what goes over the wire verifies on the other side.
			var back notary.InclusionProof
			require.NoError(t, json.Unmarshal(mustJSON(t, p), &back))
			got, err := v.VerifyInclusion(back)
			require.NoError(t, err)
			require.Equal(t, cp.Size, got.Size)
			stored, err := l.Store.StoredCommit(ctx, seq)
			require.NoError(t, err)
			require.Equal(t, stored.Data, back.Commit)
			// Interoperability: transparency-dev/merkle's verifier agrees.
			require.NoError(t, proof.VerifyInclusion(rfc6962.DefaultHasher, seq-1, cp.Size, rfc6962.DefaultHasher.HashLeaf(stored.Data), back.Hashes, cp.Hash))
		}
	}
	_, err = n.InclusionProof(ctx, 6, 5)
	require.ErrorIs(t, err, eventstore.ErrNotFound)
	_, err = n.InclusionProof(ctx, 1, 7)
	require.ErrorIs(t, err, eventstore.ErrNotFound)
	_, err = n.InclusionProof(ctx, 0, 5)
	require.ErrorIs(t, err, eventstore.ErrInvalid)

	cons, err := n.ConsistencyProof(5, 13)
	require.NoError(t, err)
	var back notary.ConsistencyProof
	require.NoError(t, json.Unmarshal(mustJSON(t, cons), &back))
	_, _, err = v.VerifyConsistency(back)
	require.NoError(t, err)
	require.NoError(t, proof.VerifyConsistency(rfc6962.DefaultHasher, 5, 13, back.Hashes, cp5.Hash, cp13.Hash))
	_, err = n.ConsistencyProof(13, 5)
	require.ErrorIs(t, err, eventstore.ErrInvalid)
	_, err = n.ConsistencyProof(4, 13)
	require.ErrorIs(t, err, eventstore.ErrNotFound)

	// Interoperability: the checkpoint is a C2SP checkpoint in a signed note.
	nv, err := note.NewVerifier(n.VerifierKey())
	require.NoError(t, err)
	parsed, _, _, err := log.ParseCheckpoint([]byte(cp13.Note), "laaledger/LEDGER", nv)
	require.NoError(t, err)
	require.Equal(t, log.Checkpoint{Origin: "laaledger/LEDGER", Size: 13, Hash: cp13.Hash}, *parsed)

	// A proof altered in transit does not verify.
	p, err := n.InclusionProof(ctx, 3, 13)
	require.NoError(t, err)
	p.Hashes[1][0] ^= 1
	_, err = v.VerifyInclusion(p)
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorIs(t, err, eventstore.ErrTampered)
	require.ErrorContains(t, err, "inclusion of sequence 3 in tree size 13")
	p, err = n.InclusionProof(ctx, 3, 13)
	require.NoError(t, err)
	p.Commit[10] ^= 1
	_, err = v.VerifyInclusion(p)
	require.ErrorContains(t, err, "inclusion proof of sequence 3: the commit's leaf hash is")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// Restarting reads the checkpoints back and checks the ledger against them.
func TestNotaryRestartsOnItsCheckpoints(t *testing.T) {
	l, k, n := notarisedLedger(t)
	appendN(t, l, 4)
	cp := issue(t, n)
	l.Restart()
	n = openNotary(t, l, k)
	got, ok := n.Latest()
	require.True(t, ok)
	require.Equal(t, cp.Note, got.Note)
	require.Equal(t, uint64(4), n.TreeSize())

	// Another key cannot take over the log: the stored checkpoints do not
	// verify under it.
	other, _, err := notary.GenerateKey("laaledger/LEDGER")
	require.NoError(t, err)
	_, err = notary.Open(estest.Context(t), l.Store, notary.Config{Key: other})
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "checkpoint 1 of LEDGER_CHECKPOINTS: not verified: checkpoint is not signed by laaledger/LEDGER+")
}

// A ledger cut or rewritten behind the notary's back (here: an
// administrator deletes the whole stream, which DenyDelete does not stop,
// and the store's watermark file with it, then writes another history) is
// refused at start.
func TestNotaryRefusesALedgerThatNoLongerMatchesItsCheckpoints(t *testing.T) {
	l, k, n := notarisedLedger(t)
	appendN(t, l, 5)
	issue(t, n)
	require.NoError(t, l.AdminJetStream().DeleteStream(estest.Context(t), eventstore.DefaultStream))
	restartWithoutWatermark(t, l)
	appendN(t, l, 3)
	_, err := notary.Open(estest.Context(t), l.Store, notary.Config{Key: k})
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "the ledger holds 3 commits, but checkpoint 1 of LEDGER_CHECKPOINTS signed a tree of 5: its tail was cut")

	require.NoError(t, l.AdminJetStream().DeleteStream(estest.Context(t), eventstore.DefaultStream))
	restartWithoutWatermark(t, l)
	appendN(t, l, 6)
	_, err = notary.Open(estest.Context(t), l.Store, notary.Config{Key: k})
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "the ledger's first 5 commits have root")
	require.ErrorContains(t, err, "the history was rewritten")
}

// The service user the store appends with can neither delete nor purge
// the checkpoints, nor delete one of them.
func TestServiceUserCannotRemoveCheckpoints(t *testing.T) {
	l := estest.Open(t)
	n := openNotary(t, l, testKey(t))
	appendN(t, l, 2)
	issue(t, n)
	ctx := estest.Context(t)
	js := l.JetStream()
	name := notary.CheckpointStream(eventstore.DefaultStream)
	st, err := js.Stream(ctx, name)
	require.NoError(t, err)
	// The service connection may not even ask: the server drops the
	// request, so each attempt ends at its own short deadline.
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	require.Error(t, js.DeleteStream(short, name))
	require.Error(t, st.Purge(short))
	require.Error(t, st.DeleteMsg(short, 1))
	// And the stream refuses deletions from anyone, the administrator too.
	admin, err := l.AdminJetStream().Stream(ctx, name)
	require.NoError(t, err)
	require.Error(t, admin.DeleteMsg(ctx, 1))
	require.Error(t, admin.Purge(ctx))
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(1), info.State.Msgs)
	require.True(t, info.Config.DenyDelete)
	require.True(t, info.Config.DenyPurge)
}

// Run signs a checkpoint every Every commits as they are stored.
func TestNotaryRunSignsAsCommitsArrive(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	n, err := notary.Open(ctx, l.Store, notary.Config{Key: testKey(t), Every: 3, Interval: time.Hour})
	require.NoError(t, err)
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- n.Run(runCtx) }()
	appendN(t, l, 7)
	// The checkpoint stream is the notary's output: wait for the second
	// checkpoint by reading it, with a subscription, not a sleep.
	waitForCheckpoints(t, l, 2)
	stop()
	require.NoError(t, <-done)
	// Stopping signs what the last checkpoint left out.
	cps := n.Checkpoints()
	require.Len(t, cps, 3)
	require.Equal(t, uint64(3), cps[0].Size)
	require.Equal(t, uint64(6), cps[1].Size)
	require.Equal(t, uint64(7), cps[2].Size)
}

func waitForCheckpoints(t *testing.T, l *estest.Ledger, count int) {
	t.Helper()
	ctx := estest.Context(t)
	st, err := l.JetStream().Stream(ctx, notary.CheckpointStream(eventstore.DefaultStream))
	require.NoError(t, err)
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	for i := 0; i < count; i++ {
		_, err := cons.Next(jetstream.FetchMaxWait(30 * time.Second))
		require.NoError(t, err)
	}
}

func TestKeyFileIsPrivateAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "notary.key")
	k, err := notary.LoadOrCreateKey(path, "laaledger/LEDGER")
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	again, err := notary.LoadOrCreateKey(path, "laaledger/LEDGER")
	require.NoError(t, err)
	require.Equal(t, k.VerifierKey(), again.VerifierKey())
	_, err = notary.LoadOrCreateKey(path, "laaledger/OTHER")
	require.ErrorContains(t, err, `is named "laaledger/LEDGER", the log's origin is "laaledger/OTHER"`)
	require.NoError(t, os.WriteFile(path, []byte("PRIVATE+KEY+nonsense\n"), 0o600))
	_, err = notary.LoadOrCreateKey(path, "laaledger/LEDGER")
	require.Error(t, err)
}

// restartWithoutWatermark restarts the ledger after removing its watermark
// file, as an operator covering a rewrite would.
func restartWithoutWatermark(t *testing.T, l *estest.Ledger) {
	t.Helper()
	require.NoError(t, l.Store.Close())
	l.Store = nil
	require.NoError(t, os.Remove(filepath.Join(l.Cfg.DataDir, eventstore.WatermarkFile)))
	s, err := eventstore.Open(estest.Context(t), l.Cfg)
	require.NoError(t, err)
	l.Store = s
}

// Once the store distrusts its stream, the notary signs nothing more:
// commits stored after the damage was found are not vouched for, and the
// checkpoints signed before stand.
func TestNotarySignsNothingOnceTheLedgerIsInDoubt(t *testing.T) {
	l, _, n := notarisedLedger(t)
	ctx := estest.Context(t)
	appendN(t, l, 3)
	before := issue(t, n)
	appendN(t, l, 2)
	_, err := n.Sync(ctx)
	require.NoError(t, err)
	l.Store.Distrust(errors.New("a verification found commit 2 altered"))

	_, fresh, err := n.Issue(ctx)
	require.ErrorIs(t, err, eventstore.ErrIntegrity, "a grown tree is not signed while the ledger is in doubt")
	require.False(t, fresh)
	require.Contains(t, err.Error(), "commit 2 altered", "the refusal says why")
	latest, ok := n.Latest()
	require.True(t, ok)
	require.Equal(t, before.Size, latest.Size, "the last checkpoint is still the one signed before the damage was found")
}

// With a MarkFile, the notary records the last checkpoint it stored and
// refuses, at the next Open, a checkpoint stream that no longer holds it:
// removing the signed checkpoints does not pass for a ledger never signed.
func TestNotaryRefusesACheckpointStreamThatLostTheRecordedCheckpoint(t *testing.T) {
	l := estest.Open(t)
	k := testKey(t)
	ctx := estest.Context(t)
	markFile := filepath.Join(t.TempDir(), notary.MarkFile)
	cfg := notary.Config{Key: k, MarkFile: markFile}
	n, err := notary.Open(ctx, l.Store, cfg)
	require.NoError(t, err)
	_, err = os.Stat(markFile)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing is recorded before a checkpoint is stored")
	appendN(t, l, 4)
	issue(t, n)
	appendN(t, l, 2)
	cp := issue(t, n)
	b, err := os.ReadFile(markFile)
	require.NoError(t, err)
	require.Contains(t, string(b), fmt.Sprintf(`"tree_size":%d`, cp.Size), "the record names the last checkpoint stored")

	_, err = notary.Open(ctx, l.Store, cfg)
	require.NoError(t, err, "the intact checkpoint stream matches the record")

	// A record of the same size with another root: the stream holds a
	// different checkpoint from the one stored.
	require.NoError(t, os.WriteFile(markFile, fmt.Appendf(nil, `{"origin":%q,"tree_size":%d,"root_hash":"AAAA"}`, k.Name(), cp.Size), 0o600))
	_, err = notary.Open(ctx, l.Store, cfg)
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "had root AAAA: the checkpoint stream was replaced")
	require.NoError(t, os.WriteFile(markFile, b, 0o600))

	// The administrator removes the checkpoint stream.
	require.NoError(t, l.AdminJetStream().DeleteStream(ctx, notary.CheckpointStream(eventstore.DefaultStream)))
	_, err = notary.Open(ctx, l.Store, cfg)
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorIs(t, err, eventstore.ErrTampered)
	require.ErrorContains(t, err, fmt.Sprintf("a checkpoint of tree size %d was stored", cp.Size))
	require.ErrorContains(t, err, "LEDGER_CHECKPOINTS does not hold it (it holds none)")

	// A damaged record is refused, not read as none.
	require.NoError(t, os.WriteFile(markFile, []byte("{not json"), 0o600))
	_, err = notary.Open(ctx, l.Store, cfg)
	require.ErrorIs(t, err, notary.ErrNotVerified)
	require.ErrorContains(t, err, "is damaged")

	// Without a record (an older ledger, or the first start) there is
	// nothing to hold the stream to.
	require.NoError(t, os.Remove(markFile))
	_, err = notary.Open(ctx, l.Store, cfg)
	require.NoError(t, err)
}
