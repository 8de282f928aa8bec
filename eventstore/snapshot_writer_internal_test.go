package eventstore

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// A snapshot is written off the aggregate's lock: while the bucket write
// cannot proceed, SaveSnapshot returns and the aggregate takes appends;
// once it can, the write completes (FlushSnapshots) and a fresh store
// loads the aggregate from it.
func TestSnapshotWriteDoesNotHoldTheAggregate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Open(ctx, Config{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	agg := Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	appendN := func(s *Store, from, n uint64) {
		for v := from; v < from+n; v++ {
			if _, err := s.Append(ctx, agg, v, []Event{{Type: "x", SchemaVersion: 1, Data: []byte(`{"n":1}`),
				Actor: Actor{ID: "jo.smith", Role: "la", Organisation: "00EB"}, OccurredAt: time.Date(2008, 4, 1, 10, 0, 0, 0, time.UTC)}},
				"cmd-"+time.Duration(v).String()); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(s, 0, snapshotMinVersion+1)
	v := uint64(snapshotMinVersion + 1)
	if s.bucket(ctx) == nil {
		t.Fatal("no snapshot bucket")
	}

	// Hold the bucket's state: a snapshot write cannot proceed.
	s.snaps.mu.Lock()
	saved := make(chan error, 1)
	go func() { saved <- s.SaveSnapshot(ctx, agg, v, []byte("state")) }()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		s.snaps.mu.Unlock()
		t.Fatal("SaveSnapshot waited for the bucket write")
	}
	appended := make(chan struct{})
	go func() { appendN(s, v, 1); close(appended) }()
	select {
	case <-appended:
	case <-time.After(10 * time.Second):
		s.snaps.mu.Unlock()
		t.Fatal("an append waited for the snapshot write")
	}
	s.snaps.mu.Unlock()
	if err := s.FlushSnapshots(ctx); err != nil {
		t.Fatal(err)
	}
	sn := s.readSnapshot(ctx, agg)
	if sn == nil || sn.version != v || string(sn.state) != "state" {
		t.Fatalf("snapshot after the flush: %+v, want version %d", sn, v)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, Config{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	h, err := s2.Load(ctx, agg)
	if err != nil {
		t.Fatal(err)
	}
	if h.Base != v || string(h.BaseState) != "state" || h.Version != v+1 || len(h.Events) != 1 {
		t.Fatalf("reopened: base %d (%q), version %d, %d events after it; want base %d, version %d, 1 event", h.Base, h.BaseState, h.Version, len(h.Events), v, v+1)
	}
}
