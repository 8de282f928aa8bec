package eventstore

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/errcode"
)

// A bounded read that waits for a message the stream does not deliver (here
// a range beyond what exists, as when the last message of a block cannot be
// read) must fail within its idle deadline, naming the sequence it was
// waiting for, not hang until its caller gives up (the context here allows
// a minute).
func TestBoundedReadOfAMissingMessageFailsWithinTheIdleDeadline(t *testing.T) {
	const idle = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{DataDir: t.TempDir(), ReadIdleTimeout: idle, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agg := Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	for v := range uint64(3) {
		if _, err := s.Append(ctx, agg, v, []Event{{Type: "x", SchemaVersion: 1, Data: []byte(`{"n":1}`),
			Actor: Actor{ID: "jo.smith", Role: "la", Organisation: "00EB"}, OccurredAt: time.Date(2008, 4, 1, 10, 0, 0, 0, time.UTC)}}, "cmd-"+string(rune('a'+v))); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		read    func(fn func(StoredCommit) error) error
		waiting uint64
		want    string
	}{
		{"whole stream", func(fn func(StoredCommit) error) error { return s.consumeStored(ctx, 1, 5, fn) }, 4, "waiting for stream sequence 4"},
		{"from a sequence", func(fn func(StoredCommit) error) error { return s.consumeStored(ctx, 2, 9, fn) }, 4, "waiting for stream sequence 4"},
		{"one aggregate", func(fn func(StoredCommit) error) error {
			cfg := ReadOptions{Filter: "ledger.laa.>"}.consumerConfig()
			cfg.FilterSubjects = []string{mustSubject(t, agg)}
			return s.consume(ctx, "load", cfg, 5, fn)
		}, 4, "at or after stream sequence 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			err := tc.read(func(StoredCommit) error { return nil })
			took := time.Since(began)
			var stalled *ReadStalledError
			if !errors.As(err, &stalled) {
				t.Fatalf("want a *ReadStalledError, got %v", err)
			}
			if stalled.Waiting != tc.waiting || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not name sequence %d: %v", tc.waiting, err)
			}
			if !errors.Is(err, ErrUnavailable) || errcode.Of(err) != errcode.EUNAVAILABLE {
				t.Errorf("not unavailable: %v", err)
			}
			if took > 20*idle {
				t.Errorf("failed after %s, deadline %s", took, idle)
			}
		})
	}
}

func mustSubject(t *testing.T, agg Aggregate) string {
	t.Helper()
	s, err := agg.Subject()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
