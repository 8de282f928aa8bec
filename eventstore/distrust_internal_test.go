package eventstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A commit that cannot be found although the stream should hold it (the
// stream denies deletes) is a loss: reading it is an integrity error and
// the store stops taking writes. A sequence past the end is only not
// found, and puts nothing in doubt.
func TestReadingALostCommitPutsTheLedgerInDoubt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := openTailLedger(t, ctx, 5)
	last := l.tail[len(l.tail)-1]

	if _, err := l.s.Commit(ctx, last+1); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrIntegrity) {
		t.Fatalf("commit past the end: %v; want ErrNotFound only", err)
	}
	if err := l.s.Integrity(); err != nil {
		t.Fatalf("reading past the end put the ledger in doubt: %v", err)
	}

	gone := l.tail[2]
	s := copyToServer(t, ctx, l, l.s.StreamConfig(), func(st jetstream.Stream) {
		if err := st.DeleteMsg(ctx, gone); err != nil {
			t.Fatal(err)
		}
	})
	for name, read := range map[string]func() error{
		"Commit":       func() error { _, err := s.Commit(ctx, gone); return err },
		"StoredCommit": func() error { _, err := s.StoredCommit(ctx, gone); return err },
		"mustHold":     func() error { return s.mustHold(ctx, gone, nil) },
	} {
		err := read()
		var ie *IntegrityError
		if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "cannot be found") {
			t.Fatalf("%s of the lost commit %d: %v; want an IntegrityError saying it cannot be found", name, gone, err)
		}
	}
	if err := s.mustHold(ctx, gone-1, nil); err != nil {
		t.Fatalf("a commit the stream holds: %v", err)
	}
	if !errors.Is(s.Integrity(), ErrIntegrity) {
		t.Fatal("the store takes writes after a lost commit was found")
	}
}

// The running check names the watermark it holds the stream to by the
// time it was written, as the check at Open does.
func TestRunningCheckNamesTheWatermarksTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l := openTailLedger(t, ctx, 1)
	last := l.tail[0]
	written := time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
	// A watermark ahead of the stream: the stream lost its last commits.
	w := newWatermarker(t.TempDir()+"/"+WatermarkFile, DefaultStream,
		Watermark{Stream: DefaultStream, Sequence: last + 3, CommitSHA256: strings.Repeat("ab", 32), UpdatedAt: written}, 5*time.Millisecond)
	go w.run(ctx, l.s.stream, func(string, ...any) {})
	defer w.close()
	deadline := time.Now().Add(30 * time.Second)
	for w.err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the running check did not find the stream shorter than the watermark")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	msg := w.err().Error()
	if !strings.Contains(msg, "while running") || !strings.Contains(msg, "watermark of 2026-11-30T09:15:00Z") {
		t.Fatalf("running check: %q; want it to name the watermark of 2026-11-30T09:15:00Z", msg)
	}
}
