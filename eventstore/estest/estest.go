// Package estest starts real embedded ledgers for tests: a nats-server with
// JetStream in a temporary directory, closed by t.Cleanup. No mocks.
package estest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// Ledger is an embedded ledger under test, restartable on the same data.
type Ledger struct {
	t     testing.TB
	Cfg   eventstore.Config
	Store *eventstore.Store
}

// Open starts an embedded ledger in a fresh temporary directory. mod, if
// given, adjusts the configuration first.
func Open(t testing.TB, mod ...func(*eventstore.Config)) *Ledger {
	t.Helper()
	cfg := eventstore.Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mod {
		m(&cfg)
	}
	l := &Ledger{t: t, Cfg: cfg}
	l.start()
	t.Cleanup(func() {
		if l.Store != nil {
			l.Store.Close()
		}
	})
	return l
}

func (l *Ledger) start() {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := eventstore.Open(ctx, l.Cfg)
	if err != nil {
		l.t.Fatalf("open ledger: %v", err)
	}
	l.Store = s
}

// Restart closes the ledger and opens it again on the same directory.
func (l *Ledger) Restart() {
	l.t.Helper()
	if err := l.Store.Close(); err != nil {
		l.t.Fatalf("close ledger: %v", err)
	}
	l.Store = nil
	l.start()
}

// Context returns a context that ends with the test, bounded by a minute.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
