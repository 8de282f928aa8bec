package clustertest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// readYourWritesDeadline bounds the wait for another store to deliver a
// sequence. It is above ten seconds because a new subscription's first pull
// is now and then not answered until nats.go pulls again after ten seconds
// without a heartbeat (see TestReproAggregateReadStallsOnHealthyCluster).
const readYourWritesDeadline = 25 * time.Second

// errReached ends a subscription once it has delivered the awaited commit.
var errReached = errors.New("sequence reached")

// waitForSequence returns once s has delivered the commit at seq on filter
// through its subscription, or fails the test after d.
func waitForSequence(t *testing.T, ctx context.Context, s *eventstore.Store, filter string, seq uint64, d time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	began := time.Now()
	err := s.Subscribe(ctx, eventstore.ReadOptions{FromSequence: seq, Filter: filter}, func(c *eventstore.Commit) error {
		if c.Events[0].Sequence >= seq {
			return errReached
		}
		return nil
	})
	if !errors.Is(err, errReached) {
		t.Fatalf("wait for sequence %d on %s: %v (after %s)", seq, filter, err, time.Since(began).Round(time.Millisecond))
	}
	return time.Since(began)
}

// TestCommandThroughOneStoreIsReadThroughTheOther stands two stores, as two
// serve processes, on one cluster. Commands go alternately through each; the
// other waits for the command's sequence through its subscription and must
// then read the command back and accept the aggregate's next command at the
// version the first one acknowledged. A store whose cache is behind must
// refuse a stale expected version rather than store anything wrong, and a
// command repeated through the other store is answered as already stored.
func TestCommandThroughOneStoreIsReadThroughTheOther(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := startCluster(t, 3)
	a := c.open(ctx) // creates the stream with the administrator's credentials
	b := c.open(ctx) // finds it
	stores := []*eventstore.Store{a, b}
	names := []string{"A", "B"}

	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	filter, err := agg.Subject()
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 12
	var version, before uint64
	var slowest time.Duration
	for n := range rounds {
		w, r := n%2, (n+1)%2
		before = version
		command := fmt.Sprintf("rw-%d", n)
		res, err := stores[w].Append(ctx, agg, version, commandEvents(0, n), command)
		if err != nil {
			t.Fatalf("round %d: append through %s: %v", n, names[w], err)
		}
		version = res.LastVersion
		slowest = max(slowest, waitForSequence(t, ctx, stores[r], filter, res.Sequence, readYourWritesDeadline))

		h, err := stores[r].LoadFresh(ctx, agg)
		if err != nil {
			t.Fatalf("round %d: load through %s: %v", n, names[r], err)
		}
		if h.Version != version || h.LastSequence != res.Sequence || h.Events[len(h.Events)-1].Hash != res.Events[len(res.Events)-1].Hash {
			t.Fatalf("round %d: %s reads version %d at sequence %d after waiting for sequence %d; %s acknowledged version %d",
				n, names[r], h.Version, h.LastSequence, res.Sequence, names[w], version)
		}
	}
	t.Logf("%d commands alternately through two stores; longest wait for the other store to deliver a sequence %s", rounds, slowest.Round(time.Millisecond))

	// A's own appends left its cache at the version before B's last
	// command; a decision made on it must be refused, not stored.
	_, err = a.Append(ctx, agg, before, commandEvents(0, rounds), "stale")
	var conflict *eventstore.ConflictError
	if !errors.As(err, &conflict) || conflict.Actual != version {
		t.Fatalf("append through A at stale version %d: %v; want a conflict naming version %d", before, err, version)
	}
	// B's last command, repeated through A, is the original answer.
	last := fmt.Sprintf("rw-%d", rounds-1)
	res, err := a.Append(ctx, agg, before, commandEvents(0, rounds-1), last)
	if err != nil || !res.Duplicate || res.LastVersion != version {
		t.Fatalf("repeat %s through A: %+v, %v; want the original result marked duplicate", last, res, err)
	}
}
