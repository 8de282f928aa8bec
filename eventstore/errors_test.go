package eventstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/domain/errcode"
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

// A package's own kind of tamper evidence matches itself and ErrTampered,
// never another package's kind, and reports the tampered code.
func TestTamperedErrorMatchesItselfAndErrTampered(t *testing.T) {
	empty, notVerified := &TamperedError{Message: "empty"}, &TamperedError{Message: "not verified"}
	err := fmt.Errorf("line 3: %w: a proof fails", notVerified)
	if !errors.Is(err, notVerified) || !errors.Is(err, ErrTampered) {
		t.Errorf("%v is not its own kind and ErrTampered", err)
	}
	if errors.Is(err, empty) {
		t.Errorf("%v matches another kind", err)
	}
	if got := errcode.Of(err); got != errcode.ETAMPERED {
		t.Errorf("code %q, want %q", got, errcode.ETAMPERED)
	}
}
