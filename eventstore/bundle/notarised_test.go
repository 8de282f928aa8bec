package bundle_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/notary"
)

var barnet = eventstore.Aggregate{Kind: "caa", ID: "00AC/2009"}

// notarisedLedger is a ledger of three aggregates, nine commits, ten
// events, with checkpoints at tree sizes 5 and 9, and its notary.
func notarisedLedger(t *testing.T, keyFile string) (*estest.Ledger, *notary.Notary) {
	t.Helper()
	l := estest.Open(t)
	ctx := estest.Context(t)
	k, err := notary.LoadOrCreateKey(keyFile, "laaledger/LEDGER")
	require.NoError(t, err)
	n, err := notary.Open(ctx, l.Store, notary.Config{Key: k})
	require.NoError(t, err)
	versions := map[eventstore.Aggregate]uint64{}
	for i, agg := range []eventstore.Aggregate{hartlepool, hartlepool, westminster, barnet, hartlepool,
		westminster, barnet, hartlepool, barnet} {
		events := []eventstore.Event{event("test.Step", i+1, fmt.Sprintf("step %d", i+1))}
		if i == 4 {
			events = append(events, event("test.Step", 20, "second event of a commit"))
		}
		_, err := l.Store.Append(ctx, agg, versions[agg], events, fmt.Sprintf("cmd-%d", i+1))
		require.NoError(t, err)
		versions[agg] += uint64(len(events))
		if i == 4 || i == 8 {
			_, err := n.Sync(ctx)
			require.NoError(t, err)
			_, _, err = n.Issue(ctx)
			require.NoError(t, err)
		}
	}
	return l, n
}

func exportNotarised(t *testing.T, l *estest.Ledger, n *notary.Notary) []byte {
	t.Helper()
	var buf bytes.Buffer
	count, err := bundle.ExportNotarised(estest.Context(t), l.Store, n, &buf)
	require.NoError(t, err)
	require.Equal(t, 9, count)
	return buf.Bytes()
}

func TestNotarisedExportVerifies(t *testing.T) {
	l, n := notarisedLedger(t, filepath.Join(t.TempDir(), "notary.key"))
	b := exportNotarised(t, l, n)
	rep, err := bundle.VerifyWith(bytes.NewReader(b), bundle.Options{VerifierKey: n.VerifierKey()})
	require.NoError(t, err)
	require.Equal(t, bundle.Report{Events: 10, Commits: 9, LastSequence: 9, Checkpoints: 2, TreeSize: 9,
		Origin: "laaledger/LEDGER", VerifierKey: n.VerifierKey()}, rep)

	// The commits are the stored bytes: each one's leaf hash is the tree's.
	r := bundle.NewReader(bytes.NewReader(b))
	for seq := uint64(1); seq <= 9; seq++ {
		_, err := r.Next()
		require.NoError(t, err)
		stored, err := l.Store.StoredCommit(estest.Context(t), seq)
		require.NoError(t, err)
		require.Equal(t, stored.Data, r.Stored())
	}

	// Commits stored after the latest checkpoint are left out until one
	// signs them.
	_, err = l.Store.Append(estest.Context(t), westminster, 2, []eventstore.Event{event("test.Step", 30, "late")}, "late")
	require.NoError(t, err)
	require.Equal(t, b, exportNotarised(t, l, n))

	// Witnessing: a checkpoint the auditor holds agrees with the bundle.
	cps := n.Checkpoints()
	_, err = bundle.VerifyWith(bytes.NewReader(b), bundle.Options{VerifierKey: n.VerifierKey(), Checkpoints: [][]byte{[]byte(cps[0].Note)}})
	require.NoError(t, err)
}

// bundleLines splits a notarised bundle into its header and its commits.
func bundleLines(b []byte) (header, commits []string) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		switch {
		case l == "":
		case strings.HasPrefix(l, `{"sequence":`):
			commits = append(commits, l)
		default:
			header = append(header, l)
		}
	}
	return header, commits
}

type commitLine struct {
	Sequence uint64            `json:"sequence"`
	Commit   eventstore.Commit `json:"commit"`
}

// reforge is what a forger who read the hash encoding does after editing
// the commits: renumber the sequences and every aggregate's versions, and
// recompute every link and hash, so that the hash chains verify again.
func reforge(t *testing.T, lines []string, edit func([]commitLine) []commitLine) []string {
	t.Helper()
	var cs []commitLine
	for _, l := range lines {
		var c commitLine
		require.NoError(t, json.Unmarshal([]byte(l), &c))
		cs = append(cs, c)
	}
	cs = edit(cs)
	heads := map[eventstore.Aggregate]eventstore.Envelope{}
	var out []string
	for i := range cs {
		cs[i].Sequence = uint64(i + 1)
		for j := range cs[i].Commit.Events {
			e := &cs[i].Commit.Events[j]
			head, ok := heads[e.Aggregate()]
			e.AggregateVersion, e.PrevHash = head.AggregateVersion+1, head.Hash
			if !ok {
				e.PrevHash = eventstore.ZeroHash
			}
			e.Hash = e.ComputeHash()
			heads[e.Aggregate()] = *e
		}
		b, err := json.Marshal(cs[i])
		require.NoError(t, err)
		out = append(out, string(b)+"\n")
	}
	return out
}

func without(lines []string, drop ...int) []string {
	var out []string
	for i, l := range lines {
		skip := false
		for _, d := range drop {
			skip = skip || i == d
		}
		if !skip {
			out = append(out, l)
		}
	}
	return out
}

// signedBy re-signs a checkpoint's text with another key of the same name.
func signedBy(t *testing.T, cp string) (string, string) {
	t.Helper()
	text := cp[:strings.Index(cp, "\n\n")+1]
	skey, vkey, err := note.GenerateKey(nil, "laaledger/LEDGER")
	require.NoError(t, err)
	s, err := note.NewSigner(skey)
	require.NoError(t, err)
	signed, err := note.Sign(&note.Note{Text: text}, s)
	require.NoError(t, err)
	return string(signed), vkey
}

func checkpointLine(t *testing.T, signed string, consistency [][]byte) string {
	t.Helper()
	m := map[string]any{"checkpoint": signed}
	if consistency != nil {
		m["consistency"] = consistency
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b) + "\n"
}

// The tamper table of the audit-proofs issue: each alteration is caught,
// with a message that says where and which check failed.
func TestNotarisedBundleCatchesEveryTampering(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "notary.key")
	l, n := notarisedLedger(t, keyFile)
	good := exportNotarised(t, l, n)
	header, commits := bundleLines(good)
	require.Len(t, header, 3) // key, checkpoint of 5, checkpoint of 9
	require.Len(t, commits, 9)
	key := n.VerifierKey()
	cps := n.Checkpoints()

	// A split view: the same key signs a second history, whose checkpoint
	// of size 9 is put beside the first history's checkpoint of size 5.
	other := estest.Open(t)
	ctx := estest.Context(t)
	k, err := notary.LoadOrCreateKey(keyFile, "laaledger/LEDGER")
	require.NoError(t, err)
	otherNotary, err := notary.Open(ctx, other.Store, notary.Config{Key: k})
	require.NoError(t, err)
	for i := 0; i < 9; i++ {
		_, err := other.Store.Append(ctx, hartlepool, uint64(i), []eventstore.Event{event("test.Other", i+1, "another history")}, fmt.Sprintf("o%d", i))
		require.NoError(t, err)
	}
	_, err = otherNotary.Sync(ctx)
	require.NoError(t, err)
	splitCP, _, err := otherNotary.Issue(ctx)
	require.NoError(t, err)
	cons, err := n.ConsistencyProof(5, 9)
	require.NoError(t, err)

	foreign, foreignKey := signedBy(t, cps[0].Note)
	forgedEvent := func(cs []commitLine) []commitLine {
		f := cs[1]
		f.Commit.CommandID = "forged"
		f.Commit.Events = append([]eventstore.Envelope(nil), f.Commit.Events...)
		f.Commit.Events[0].Reason = "a proposal nobody made"
		f.Commit.Events[0].EventID = "forged-event"
		return append(cs[:2:2], append([]commitLine{f}, cs[2:]...)...)
	}

	join := func(parts ...[]string) string { return strings.Join(append([]string(nil), concat(parts...)...), "") }
	for _, tc := range []struct {
		desc   string
		bundle string
		opts   bundle.Options
		says   []string
	}{
		{desc: "one byte of an event body",
			bundle: join(header, commits[:1], []string{strings.Replace(commits[1], `"data":{"n":2}`, `"data":{"n":3}`, 1)}, commits[2:]),
			says:   []string{"line 5: hash chain of laa 00EB/2008-11 broken at version 2 (stream sequence 2): content hashes to"}},
		{desc: "a recorded time",
			bundle: join(header, commits[:3], []string{recordedAtPlusOne(t, commits[3])}, commits[4:]),
			says:   []string{"line 7: hash chain of caa 00AC/2009 broken at version 1 (stream sequence 4): content hashes to"}},
		{desc: "an event removed from the middle of an aggregate",
			bundle: join(header, without(commits, 1)),
			says:   []string{"line 5: not verified: sequence 3 follows 1: commits 2 to 2 are missing"}},
		{desc: "an event removed from the middle of an aggregate, chain and sequences recomputed",
			bundle: join(header, reforge(t, commits, func(cs []commitLine) []commitLine { return append(cs[:1:1], cs[2:]...) })),
			says:   []string{"checkpoint 1 (line 2, tree size 5): not verified: the bundle's first 5 commits (through line 8) have Merkle root"}},
		{desc: "the last event of an aggregate removed",
			bundle: join(header, without(commits, 7)),
			says:   []string{"line 11: not verified: sequence 9 follows 7: commits 8 to 8 are missing"}},
		{desc: "the last event of an aggregate removed, sequences recomputed",
			bundle: join(header, reforge(t, commits, func(cs []commitLine) []commitLine { return append(cs[:7:7], cs[8:]...) })),
			says:   []string{"checkpoint 2 (line 3, tree size 9): not verified: it signs a tree of 9 commits, the bundle holds 8: its tail was cut"}},
		{desc: "a whole aggregate removed",
			bundle: join(header, without(commits, 3, 6, 8)),
			says:   []string{"line 7: not verified: sequence 5 follows 3: commits 4 to 4 are missing"}},
		{desc: "a whole aggregate removed, sequences recomputed",
			bundle: join(header, reforge(t, commits, func(cs []commitLine) []commitLine {
				return []commitLine{cs[0], cs[1], cs[2], cs[4], cs[5], cs[7]}
			})),
			says: []string{"checkpoint 1 (line 2, tree size 5): not verified: the bundle's first 5 commits (through line 8) have Merkle root"}},
		{desc: "two events swapped",
			bundle: join(header, commits[:2], []string{commits[3], commits[2]}, commits[4:]),
			says:   []string{"line 6: not verified: sequence 4 follows 2: commits 3 to 3 are missing"}},
		{desc: "two events of different aggregates swapped with their sequences",
			bundle: join(header, commits[:2], []string{swapSequences(commits[3], commits[2]), swapSequences(commits[2], commits[3])}, commits[4:]),
			says:   []string{"checkpoint 1 (line 2, tree size 5): not verified: the bundle's first 5 commits (through line 8) have Merkle root"}},
		{desc: "a forged event with a correctly recomputed chain",
			bundle: join(header, reforge(t, commits, forgedEvent)),
			says:   []string{"checkpoint 1 (line 2, tree size 5): not verified: the bundle's first 5 commits (through line 8) have Merkle root"}},
		{desc: "a forged event after the last checkpoint",
			bundle: join(header, reforge(t, commits, func(cs []commitLine) []commitLine { return append(cs, forgedEvent(cs)[2]) })),
			says:   []string{"line 13: not verified: the commit at sequence 10 is after the last checkpoint (tree size 9): nothing signs it"}},
		{desc: "the tail cut after a checkpoint",
			bundle: join(header, commits[:6]),
			says:   []string{"checkpoint 2 (line 3, tree size 9): not verified: it signs a tree of 9 commits, the bundle holds 6: its tail was cut"}},
		{desc: "the tail and its checkpoint cut, against the checkpoint an auditor holds",
			bundle: join(header[:2], commits[:5]),
			opts:   bundle.Options{VerifierKey: key, Checkpoints: [][]byte{[]byte(cps[1].Note)}},
			says:   []string{"your checkpoint 1 (tree size 9): not verified: it signs a tree of 9 commits, the bundle holds 5: its tail was cut"}},
		{desc: "a checkpoint signed by another key",
			bundle: join(header[:1], []string{checkpointLine(t, foreign, nil)}, header[2:], commits),
			says:   []string{"checkpoint 1 (line 2): not verified: checkpoint is not signed by " + key + " (signed by laaledger/LEDGER+"}},
		{desc: "the bundle re-signed by another key, against the key the auditor trusts",
			bundle: join([]string{`{"verifier_key":"` + foreignKey + `"}` + "\n", checkpointLine(t, foreign, nil)}, commits[:5]),
			opts:   bundle.Options{VerifierKey: key},
			says:   []string{"line 1: not verified: the bundle's verifier key " + foreignKey + " is not the key you trust, " + key}},
		{desc: "two checkpoints that are not consistent (split view)",
			bundle: join(header[:2], []string{checkpointLine(t, splitCP.Note, cons.Hashes)}, commits),
			says: []string{"checkpoint 2 (line 3, tree size 9) is not consistent with checkpoint 1 (tree size 5), a split view: not verified: consistency of tree size 5",
				"with 9"}},
		{desc: "a checkpoint without its consistency proof",
			bundle: join(header[:2], []string{checkpointLine(t, cps[1].Note, nil)}, commits),
			says:   []string{"checkpoint 2 (line 3, tree size 9): not verified: no consistency proof from checkpoint 1"}},
		{desc: "checkpoints without a verifier key",
			bundle: join(header[1:], commits),
			says:   []string{"not verified: the bundle holds checkpoints but no verifier key"}},
		{desc: "checkpoints stripped, against the key the auditor trusts",
			bundle: join(commits),
			opts:   bundle.Options{VerifierKey: key},
			says:   []string{"not verified: the bundle holds no checkpoint: nothing signed by " + key + " covers it"}},
		{desc: "a checkpoint after the commits",
			bundle: join(header[:1], commits, header[1:]),
			says:   []string{"line 11: hash chain broken: a verifier key or checkpoint after the commits"}},
		{desc: "header only",
			bundle: join(header),
			says:   []string{"empty bundle"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			rep, err := bundle.VerifyWith(strings.NewReader(tc.bundle), tc.opts)
			require.Error(t, err)
			require.ErrorIs(t, err, eventstore.ErrTampered)
			for _, s := range tc.says {
				require.Contains(t, err.Error(), s)
			}
			require.Zero(t, rep)
			t.Logf("%s → %v", tc.desc, err)
		})
	}
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// swapSequences gives line a's commit the sequence of line b.
func swapSequences(a, b string) string {
	var la, lb struct {
		Sequence uint64          `json:"sequence"`
		Commit   json.RawMessage `json:"commit"`
	}
	_ = json.Unmarshal([]byte(a), &la)
	_ = json.Unmarshal([]byte(b), &lb)
	return fmt.Sprintf(`{"sequence":%d,"commit":%s}`+"\n", lb.Sequence, la.Commit)
}

// recordedAtPlusOne moves the first recorded time on the line by a second.
func recordedAtPlusOne(t *testing.T, line string) string {
	t.Helper()
	const key = `"recorded_at":"`
	i := strings.Index(line, key) + len(key)
	j := i + strings.IndexByte(line[i:], '"')
	at, err := time.Parse(time.RFC3339Nano, line[i:j])
	require.NoError(t, err)
	return line[:i] + at.Add(time.Second).Format(time.RFC3339Nano) + line[j:]
}

var _ = context.Background

// TestNotarisedFixture writes (with -update) and checks the notarised
// fixture the examples and the fuzz target read: testdata/notarised.jsonl
// and its verifier key, testdata/notarised.vkey.
func TestNotarisedFixture(t *testing.T) {
	if *update {
		l, n := notarisedLedger(t, filepath.Join(t.TempDir(), "notary.key"))
		require.NoError(t, os.WriteFile("testdata/notarised.jsonl", exportNotarised(t, l, n), 0o644))
		require.NoError(t, os.WriteFile("testdata/notarised.vkey", []byte(n.VerifierKey()+"\n"), 0o644))
	}
	b, err := os.ReadFile("testdata/notarised.jsonl")
	require.NoError(t, err)
	key, err := os.ReadFile("testdata/notarised.vkey")
	require.NoError(t, err)
	rep, err := bundle.VerifyWith(bytes.NewReader(b), bundle.Options{VerifierKey: strings.TrimSpace(string(key))})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Checkpoints)
}

// The verifier never panics, whatever it reads, and never calls anything
// intact that does not hold a commit.
func FuzzVerify(f *testing.F) {
	for _, name := range []string{"testdata/ledger.jsonl", "testdata/notarised.jsonl"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		lines := strings.SplitAfter(string(b), "\n")
		f.Add([]byte(strings.Join(lines[:len(lines)/2], "")))
	}
	f.Add([]byte(`{"verifier_key":"x"}` + "\n" + `{"checkpoint":"a\n1\nAA==\n\n— a AAAAAA==\n"}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := bundle.Verify(bytes.NewReader(b))
		if err == nil && rep.Commits == 0 {
			t.Fatalf("intact without a commit: %+v", rep)
		}
	})
}

// A filtered bundle (one aggregate) carries an inclusion proof per commit
// into the latest checkpoint, so the subset is provably part of the signed
// ledger; an altered proof is caught.
func TestFilteredBundleProvesEveryCommit(t *testing.T) {
	l, n := notarisedLedger(t, filepath.Join(t.TempDir(), "notary.key"))
	ctx := estest.Context(t)
	filter, err := eventstore.FilterSubject("laa", "00EB")
	require.NoError(t, err)
	var buf bytes.Buffer
	count, last, err := bundle.ExportFiltered(ctx, l.Store, n, eventstore.ReadOptions{Filter: filter}, &buf)
	require.NoError(t, err)
	require.Equal(t, uint64(8), last)
	require.Equal(t, 4, count) // hartlepool's commits: sequences 1, 2, 5, 8
	good := buf.String()
	opts := bundle.Options{VerifierKey: n.VerifierKey()}
	rep, err := bundle.VerifyWith(strings.NewReader(good), opts)
	require.NoError(t, err)
	require.Equal(t, 4, rep.Included)
	require.Equal(t, 5, rep.Events)
	require.Equal(t, uint64(9), rep.TreeSize)

	lines := strings.SplitAfter(good, "\n")
	require.True(t, strings.HasPrefix(lines[4], `{"sequence":5,"proof":["`), lines[4])
	var l4 struct {
		Sequence uint64          `json:"sequence"`
		Proof    [][]byte        `json:"proof"`
		Commit   json.RawMessage `json:"commit"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[4]), &l4))
	l4.Proof[0][0] ^= 1
	altered, err := json.Marshal(l4)
	require.NoError(t, err)
	noProof := fmt.Sprintf(`{"sequence":5,"commit":%s}`+"\n", l4.Commit)
	for _, tc := range []struct {
		desc, bundle, says string
	}{
		{"one proof altered", strings.Join(lines[:4], "") + string(altered) + "\n" + strings.Join(lines[5:], ""),
			"line 5: not verified: inclusion of sequence 5 in tree size 9: the proof leads to root"},
		{"one proof removed", strings.Join(lines[:4], "") + noProof + strings.Join(lines[5:], ""),
			"line 5: not verified: the commit at sequence 5 has no inclusion proof, unlike the bundle's first commit"},
		{"a commit of the subset removed", strings.Join(lines[:3], "") + strings.Join(lines[4:], ""),
			"line 4: hash chain of laa 00EB/2008-11 broken at version 3 (stream sequence 5): version 3 follows version 1"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := bundle.VerifyWith(strings.NewReader(tc.bundle), opts)
			require.ErrorIs(t, err, eventstore.ErrTampered)
			require.ErrorContains(t, err, tc.says)
			t.Logf("%s → %v", tc.desc, err)
		})
	}
}
