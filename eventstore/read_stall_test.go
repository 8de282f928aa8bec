package eventstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// A read whose handler is slow is making progress: the idle deadline
// measures the wait for the next message, never the handler.
func TestReadIdleDeadlineIgnoresTheHandlersTime(t *testing.T) {
	const idle = 200 * time.Millisecond
	l := estest.Open(t, func(c *eventstore.Config) { c.ReadIdleTimeout = idle })
	appendN(t, l.Store, hartlepool, 3)
	ctx := estest.Context(t)
	n := 0
	_, err := l.Store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		n++
		timer := time.NewTimer(2 * idle) // stands for an apply that takes a while
		defer timer.Stop()
		<-timer.C
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 3, n)
}

func TestReadIdleTimeoutMustBePositive(t *testing.T) {
	_, err := eventstore.Open(context.Background(), eventstore.Config{DataDir: t.TempDir(), ReadIdleTimeout: -time.Second})
	require.ErrorIs(t, err, eventstore.ErrInvalid)
}
