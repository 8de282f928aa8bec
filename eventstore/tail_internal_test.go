package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var tailAgg = Aggregate{Kind: "laa", ID: "00EB/2008-11"}

// tailLedger is a store holding tailAgg with a snapshot at version
// snapshotMinVersion+6 and tail more commits after it, one event each.
type tailLedger struct {
	s        *Store
	subject  string
	snapshot uint64   // the snapshot's version
	tail     []uint64 // the sequences of the commits after it
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTailLedger(t *testing.T, ctx context.Context, tail int) *tailLedger {
	t.Helper()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l := &tailLedger{s: s, subject: mustSubject(t, tailAgg), snapshot: snapshotMinVersion + 6}
	l.append(t, ctx, l.snapshot)
	if err := s.SaveSnapshot(ctx, tailAgg, l.snapshot, []byte("state")); err != nil {
		t.Fatal(err)
	}
	if err := s.FlushSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	if sn := s.readSnapshot(ctx, tailAgg); sn == nil || sn.version != l.snapshot {
		t.Fatalf("snapshot %+v, want version %d", sn, l.snapshot)
	}
	l.tail = l.append(t, ctx, uint64(tail))
	return l
}

// append appends n commits of one event to tailAgg and returns their
// sequences.
func (l *tailLedger) append(t *testing.T, ctx context.Context, n uint64) []uint64 {
	t.Helper()
	h, err := l.s.Load(ctx, tailAgg)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for v := h.Version; v < h.Version+n; v++ {
		res, err := l.s.Append(ctx, tailAgg, v, []Event{{Type: "x", SchemaVersion: 1, Data: []byte(`{"n":1}`),
			Actor: Actor{ID: "jo.smith", Role: "la", Organisation: "00EB"}, OccurredAt: time.Date(2008, 4, 1, 10, 0, 0, 0, time.UTC)}},
			"cmd-"+time.Duration(v).String())
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, res.Sequence)
	}
	return seqs
}

// coldLoad loads tailAgg as a command on an aggregate in no cache does.
func coldLoad(ctx context.Context, s *Store) (*aggState, error) {
	st := &aggState{agg: tailAgg}
	st.reset()
	return st, s.loadInto(ctx, st, mustSubjectOf(tailAgg))
}

func mustSubjectOf(agg Aggregate) string {
	subject, err := agg.Subject()
	if err != nil {
		panic(err)
	}
	return subject
}

// readTailDirect reads l's tail with batched direct gets only, verifying
// the chain from the snapshot, and returns the sequences it handled.
func (l *tailLedger) readTailDirect(ctx context.Context, s *Store) ([]uint64, error) {
	sn := s.readSnapshot(ctx, tailAgg)
	if sn == nil {
		return nil, errors.New("no snapshot")
	}
	st := &aggState{agg: tailAgg}
	st.reset()
	v := NewChainVerifier()
	v.heads[tailAgg] = chainHead{version: sn.version, hash: sn.hash}
	var seqs []uint64
	err := s.readTail(ctx, l.subject, sn.seq+1, l.tail[len(l.tail)-1], len(l.tail), func(c *Commit) error {
		seqs = append(seqs, c.Events[0].Sequence)
		return st.addCommit(v, c, l.subject)
	})
	return seqs, err
}

// directGets counts the direct get requests sent to a store's stream.
type directGets struct {
	n       atomic.Int64
	counted chan struct{}
}

// countDirectGets counts the direct get requests for tailAgg's commits
// sent to s's stream from now on.
func countDirectGets(t *testing.T, s *Store) *directGets {
	t.Helper()
	d := &directGets{counted: make(chan struct{}, 1)}
	sub, err := s.nc.Subscribe(directGetAPI+s.cfg.Stream, func(m *nats.Msg) {
		// Others read the stream too (the watermark's checks): count
		// only the reads of tailAgg's commits.
		var req directGetRequest
		if json.Unmarshal(m.Data, &req) != nil || req.NextFor != mustSubjectOf(tailAgg) {
			return
		}
		d.n.Add(1)
		select {
		case d.counted <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	if err := s.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return d
}

// atLeast waits until n requests have been counted, failing the test
// after ten seconds, and returns the count.
func (d *directGets) atLeast(t *testing.T, n int64) int64 {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for d.n.Load() < n {
		select {
		case <-d.counted:
		case <-deadline.C:
			t.Fatalf("counted %d direct get requests in 10s, want %d", d.n.Load(), n)
		}
	}
	return d.n.Load()
}

// A tail longer than what one batched direct get returns — the read's
// own cap on the messages asked for, or the server ending the batch at its
// byte limit with more pending — is read whole, one request after
// another, and the cold load holds exactly the events a full read holds
// after the snapshot.
func TestColdLoadReadsATailLongerThanOneBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const tail = 11
	l := openTailLedger(t, ctx, tail)
	fresh, err := l.s.LoadFresh(ctx, tailAgg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		desc         string
		batch, bytes int
		requests     int64
	}{
		{"batches of three messages", 3, maxTailBytes, (tail + 2) / 3},
		{"batches ended by the server after each message", maxTailBatch, 1, tail},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			l.s.tailBatch, l.s.tailBytes = tc.batch, tc.bytes
			requests := countDirectGets(t, l.s)
			seqs, err := l.readTailDirect(ctx, l.s)
			if err != nil {
				t.Fatalf("direct read of the tail: %v", err)
			}
			if !slices.Equal(seqs, l.tail) {
				t.Fatalf("read sequences %v, want %v", seqs, l.tail)
			}
			if got := requests.atLeast(t, tc.requests); got != tc.requests {
				t.Errorf("%d direct get requests, want %d", got, tc.requests)
			}

			st, err := coldLoad(ctx, l.s)
			if err != nil {
				t.Fatal(err)
			}
			if st.base != l.snapshot || string(st.baseState) != "state" || st.version != fresh.Version || st.lastSeq != fresh.LastSequence {
				t.Fatalf("cold load: base %d, version %d, last sequence %d; want base %d, version %d, last sequence %d",
					st.base, st.version, st.lastSeq, l.snapshot, fresh.Version, fresh.LastSequence)
			}
			want := fresh.Events[l.snapshot:]
			if len(st.events) != len(want) {
				t.Fatalf("cold load holds %d events after the snapshot, want %d", len(st.events), len(want))
			}
			for i := range want {
				if st.events[i].Sequence != want[i].Sequence || st.events[i].Hash != want[i].Hash {
					t.Errorf("event %d: sequence %d hash %.12s, want %d %.12s", i, st.events[i].Sequence, st.events[i].Hash, want[i].Sequence, want[i].Hash)
				}
			}
		})
	}
}

// A message in the tail whose content does not match its hash (a raw
// publish on the aggregate's subject) fails the direct read with a chain
// error naming it, and the cold load with ErrTampered, as a consumer's
// read does.
func TestColdLoadFailsClosedOnATamperedTailMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := openTailLedger(t, ctx, 3)
	l.s.tailBatch = 2 // the tampered message comes in the second batch
	m, err := l.s.stream.GetMsg(ctx, l.tail[len(l.tail)-1])
	if err != nil {
		t.Fatal(err)
	}
	c, err := decodeCommit(m.Data, m.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	e := &c.Events[0]
	e.AggregateVersion, e.PrevHash, e.EventID = e.AggregateVersion+1, e.Hash, e.EventID+"-next"
	e.Hash = e.ComputeHash()
	e.Data = json.RawMessage(`{"n":999}`) // altered after it was hashed
	c.CommandID += "-next"
	body, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := l.s.js.Publish(ctx, l.subject, body)
	if err != nil {
		t.Fatal(err)
	}
	l.tail = append(l.tail, ack.Sequence)

	_, err = l.readTailDirect(ctx, l.s)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Sequence != ack.Sequence || ce.Version != e.AggregateVersion {
		t.Fatalf("direct read of the tail: %v; want a chain error at sequence %d, version %d", err, ack.Sequence, e.AggregateVersion)
	}
	_, err = coldLoad(ctx, l.s)
	if !errors.As(err, &ce) || !errors.Is(err, ErrTampered) || ce.Sequence != ack.Sequence {
		t.Fatalf("cold load: %v; want ErrTampered at sequence %d", err, ack.Sequence)
	}
}

// copyToServer starts a second server (a stand-in for an external one,
// on loopback), copies l's stream and snapshots to it, lets edit change
// the copy before deletes are denied, and opens a store on it.
func copyToServer(t *testing.T, ctx context.Context, l *tailLedger, cfg jetstream.StreamConfig, edit func(jetstream.Stream)) *Store {
	t.Helper()
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the second server did not start")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	denyDelete := cfg.DenyDelete
	cfg.DenyDelete = false
	stream, err := js.CreateStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	last, err := l.s.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= last; seq++ {
		m, err := l.s.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if ack, err := js.Publish(ctx, m.Subject, m.Data); err != nil || ack.Sequence != seq {
			t.Fatalf("copy of sequence %d: %v", seq, err)
		}
	}
	from := l.s.bucket(ctx)
	to, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: SnapshotBucket, History: 1, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := from.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for key := range keys.Keys() {
		e, err := from.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.Put(ctx, key, e.Value()); err != nil {
			t.Fatal(err)
		}
	}
	edit(stream)
	if denyDelete {
		cfg.DenyDelete = true
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, Config{NATSURL: ns.ClientURL(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A commit missing from the tail (deleted before the stream denied
// deletes) fails the direct read with a chain error at the commit after
// it, and the cold load with ErrTampered, as a consumer's read does.
func TestColdLoadFailsClosedOnADeletedTailMessage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := openTailLedger(t, ctx, 5)
	gone := l.tail[2]
	s := copyToServer(t, ctx, l, l.s.StreamConfig(), func(st jetstream.Stream) {
		if err := st.DeleteMsg(ctx, gone); err != nil {
			t.Fatal(err)
		}
	})
	_, err := l.readTailDirect(ctx, s)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Sequence != gone+1 {
		t.Fatalf("direct read of the tail: %v; want a chain error at sequence %d", err, gone+1)
	}
	_, err = coldLoad(ctx, s)
	if !errors.As(err, &ce) || !errors.Is(err, ErrTampered) || ce.Sequence != gone+1 {
		t.Fatalf("cold load: %v; want ErrTampered at sequence %d", err, gone+1)
	}
}

// A stream that does not answer direct gets (no responder: AllowDirect
// off) has its tails read with a consumer, with the same result.
func TestColdLoadWithoutDirectGetsReadsTheTailWithAConsumer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := openTailLedger(t, ctx, 5)
	cfg := l.s.StreamConfig()
	cfg.AllowDirect = false
	s := copyToServer(t, ctx, l, cfg, func(jetstream.Stream) {})
	if _, err := l.readTailDirect(ctx, s); !errors.Is(err, errNoBatchGet) {
		t.Fatalf("direct read of the tail without direct gets: %v, want errNoBatchGet", err)
	}
	st, err := coldLoad(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if st.base != l.snapshot || st.version != l.snapshot+5 || len(st.events) != 5 || st.events[4].Sequence != l.tail[4] {
		t.Fatalf("cold load: base %d, version %d, %d events; want base %d, version %d, 5 events", st.base, st.version, len(st.events), l.snapshot, l.snapshot+5)
	}
}
