package eventstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func contextWithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// secondWriter opens another Store on the same server through its client
// port, as a second process would.
func secondWriter(t *testing.T, l *estest.Ledger) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), eventstore.Config{
		NATSURL:        l.Server().ClientURL(),
		ConnectOptions: l.ServiceIdentity(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// copyToScratch re-publishes every commit of the ledger to a scratch stream,
// altering the body of the event at alterSeq, and returns what the scratch
// stream holds.
func copyToScratch(t *testing.T, l *estest.Ledger, alterSeq uint64) []*eventstore.Commit {
	t.Helper()
	ctx := context.Background()
	js := l.AdminJetStream()
	scratch, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}, Storage: jetstream.MemoryStorage})
	require.NoError(t, err)
	_, err = l.Store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		if c.Events[0].Sequence == alterSeq {
			c.Events[0].Data = json.RawMessage(`{"n":999}`)
		}
		body, err := json.Marshal(c)
		if err != nil {
			return err
		}
		_, err = js.Publish(ctx, "scratch.copy", body)
		return err
	})
	require.NoError(t, err)
	var out []*eventstore.Commit
	for seq := uint64(1); ; seq++ {
		m, err := scratch.GetMsg(ctx, seq)
		if err != nil {
			break
		}
		var c eventstore.Commit
		require.NoError(t, json.Unmarshal(m.Data, &c))
		for i := range c.Events {
			c.Events[i].Sequence = seq
		}
		out = append(out, &c)
	}
	return out
}
