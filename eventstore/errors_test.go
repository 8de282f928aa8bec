package eventstore

import (
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors that leave the command unsent (or its outcome unknown) must be
// ErrUnavailable, so callers know to retry with the same command id.
func TestTransportErrorsAreUnavailable(t *testing.T) {
	for _, err := range []error{
		jetstream.ErrTooManyStalledMsgs,
		nats.ErrConnectionDraining,
		nats.ErrConnectionClosed,
		nats.ErrTimeout,
		context.Canceled,
	} {
		if got := mapErr(err); !errors.Is(got, ErrUnavailable) {
			t.Errorf("mapErr(%v) = %v, want ErrUnavailable", err, got)
		}
	}
}
