// Package estest starts real embedded ledgers for tests: a nats-server with
// JetStream in a temporary directory, closed by t.Cleanup. No mocks.
//
// It also reaches what the eventstore package keeps to itself and only
// tests need: the store's own JetStream context and stream (for the raw
// JetStream baselines benchmarks measure against, and to check what the
// service user may not do), the embedded server and its service identity
// (to open a second store on it) and an administrator connection.
//
// It also checks that a program a document shows is the one a test runs
// ([Documented]), and gives tests a log destination they can read while a
// server writes to it ([LogBuffer]) and a wait for a state another
// goroutine reaches in its own time ([WaitFor]).
//
// Only test code imports it; it imports eventstore and NATS, never the
// domain, the projections or the HTTP layer.
package estest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
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

// JetStream is the store's own JetStream context, connected as the service
// user: the same connection and permissions the store appends with.
func (l *Ledger) JetStream() jetstream.JetStream { return conns.Of(l.Store).JetStream }

// Stream is the ledger stream as the service user sees it.
func (l *Ledger) Stream() jetstream.Stream { return conns.Of(l.Store).Stream }

// Server is the embedded NATS server.
func (l *Ledger) Server() *server.Server { return conns.Of(l.Store).Server }

// ServiceIdentity is the embedded service user's identity, to connect to
// [Ledger.Server] as the store does (a second store, another process).
func (l *Ledger) ServiceIdentity() []nats.Option { return conns.Of(l.Store).Service }

// AdminJetStream connects to the embedded server as its administrator,
// who may do what the service user may not; the connection closes with the
// test. The administrator's password lives only in the store.
func (l *Ledger) AdminJetStream() jetstream.JetStream {
	l.t.Helper()
	nc, err := conns.Of(l.Store).AdminConnect()
	if err != nil {
		l.t.Fatalf("admin connection: %v", err)
	}
	l.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		l.t.Fatalf("admin JetStream: %v", err)
	}
	return js
}
