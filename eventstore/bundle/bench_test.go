package bundle_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/bundle"
	"github.com/laaledger/laaledger/eventstore/notary"
)

// writeBenchBundle writes a notarised bundle of n single-event commits over
// 1,000 aggregates, with a checkpoint every 100,000 commits and one at the
// end, and returns its path and verifier key. It is built offline (no
// server): the verifier reads the same format either way.
func writeBenchBundle(b *testing.B, n int) (string, string) {
	b.Helper()
	k, _, err := notary.GenerateKey("laaledger/LEDGER")
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bench.jsonl")
	commitsPath := path + ".commits"
	cf, err := os.Create(commitsPath)
	if err != nil {
		b.Fatal(err)
	}
	cw := bufio.NewWriterSize(cf, 1<<20)
	tr := notary.NewTree()
	heads := map[int]eventstore.Envelope{}
	var cps []notary.Checkpoint
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		a := i % 1000
		head, ok := heads[a]
		e := eventstore.Envelope{EventID: fmt.Sprintf("ev-%d", i),
			AggregateKind: "laa", AggregateID: fmt.Sprintf("A%04d/2008-11", a), AggregateVersion: head.AggregateVersion + 1,
			CommandID: fmt.Sprintf("cmd-%d", i),
			Event: eventstore.Event{Type: "laa.TargetProposed", SchemaVersion: 1,
				Actor:      eventstore.Actor{ID: "officer", Role: "la", Organisation: "00EB"},
				OccurredAt: time.Date(2008, 5, 1, 0, 0, 0, 0, time.UTC),
				Data: json.RawMessage(fmt.Sprintf(`{"indicator":112,"kind":"designated","baseline":{"value":%d.5,"year":"2006/07"},"values":{"2008/09":%d.1,"2009/10":%d.2,"2010/11":%d.3},"rationale":"%s"}`,
					i%97, i%89, i%83, i%79, strings.Repeat("x", 200)))},
			RecordedAt: at.Add(time.Duration(i) * time.Millisecond), PrevHash: head.Hash}
		if !ok {
			e.PrevHash = eventstore.ZeroHash
		}
		e.Hash = e.ComputeHash()
		heads[a] = e
		stored, err := json.Marshal(eventstore.Commit{CommandID: e.CommandID, Events: []eventstore.Envelope{e}})
		if err != nil {
			b.Fatal(err)
		}
		if err := tr.Append(notary.LeafHash(stored)); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(cw, `{"sequence":%d,"commit":%s}`+"\n", i+1, stored)
		if size := uint64(i + 1); size%100_000 == 0 || i == n-1 {
			root, err := tr.Root(size)
			if err != nil {
				b.Fatal(err)
			}
			cp, err := k.Sign(size, root, at)
			if err != nil {
				b.Fatal(err)
			}
			cps = append(cps, cp)
		}
	}
	if err := cw.Flush(); err != nil {
		b.Fatal(err)
	}
	cf.Close()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.Encode(map[string]string{"verifier_key": k.VerifierKey()})
	for i, cp := range cps {
		line := map[string]any{"checkpoint": cp.Note}
		if i > 0 {
			p, err := tr.ConsistencyProof(cps[i-1].Size, cp.Size)
			if err != nil {
				b.Fatal(err)
			}
			line["consistency"] = p
		}
		enc.Encode(line)
	}
	commits, err := os.ReadFile(commitsPath)
	if err != nil {
		b.Fatal(err)
	}
	w.Write(commits)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	os.Remove(commitsPath)
	return path, k.VerifierKey()
}

var sink byte

// BenchmarkVerify verifies a notarised bundle of LAALEDGER_BENCH_EVENTS
// events (default 200,000) and, in the same run, hashes every line of the
// same file with plain SHA-256, reading it the same way; it reports both
// rates and their ratio.
func BenchmarkVerify(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("LAALEDGER_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	path, key := writeBenchBundle(b, n)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var acc byte // keeps the hashing from being optimised away
		for sc.Scan() {
			sum := sha256.Sum256(sc.Bytes())
			acc ^= sum[0]
		}
		sink = acc
		plain := time.Since(t0)
		f.Close()
		if sc.Err() != nil {
			b.Fatal(sc.Err())
		}

		f, err = os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		rep, err := bundle.VerifyWith(f, bundle.Options{VerifierKey: key})
		verify := time.Since(t0)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if rep.Events != n {
			b.Fatalf("verified %d events of %d", rep.Events, n)
		}
		b.ReportMetric(float64(n)/verify.Seconds(), "verify_ev/s")
		b.ReportMetric(float64(n)/plain.Seconds(), "sha256_ev/s")
		b.ReportMetric(plain.Seconds()/verify.Seconds(), "verify/sha256")
		b.ReportMetric(float64(fi.Size())/float64(n), "bytes/event")
	}
}
