// Package conns hands an open store's NATS connection, JetStream context,
// stream and embedded server to eventstore/estest and the measurement tools
// under eventstore/internal, without eventstore exporting them: tests need
// them for raw-JetStream baselines, to act as the administrator or to open a
// second store on the same server; a user of the library does not.
//
// It imports only NATS; eventstore fills in [Of].
package conns

import (
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Handles are a store's own connections, owned by the store: do not close
// them.
type Handles struct {
	// Conn is the service user's connection.
	Conn *nats.Conn
	// JetStream is the service user's JetStream context.
	JetStream jetstream.JetStream
	// Stream is the ledger stream, seen by the service user.
	Stream jetstream.Stream
	// Server is the embedded server, or nil for an external one.
	Server *server.Server
	// Service is the embedded service user's identity (no address), nil for
	// an external server.
	Service []nats.Option
	// AdminConnect opens a new connection as the administrator; the caller
	// closes it. It fails without administrator credentials.
	AdminConnect func() (*nats.Conn, error)
}

// Of returns the handles of an *eventstore.Store. The eventstore package
// sets it when it is initialised; it takes any because this package cannot
// import eventstore.
var Of func(store any) Handles
