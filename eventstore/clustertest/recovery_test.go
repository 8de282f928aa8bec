package clustertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// TestReplicaLostWithItsDiskIsRebuiltFromTheOthers is the recovery path of
// docs/OPERATIONS.md for one damaged node: a follower loses its whole store
// directory and is started again empty. The two intact replicas rebuild it;
// once it leads the stream, the ledger read through it holds every
// acknowledged command with every chain intact.
func TestReplicaLostWithItsDiskIsRebuiltFromTheOthers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancel()
	c := startCluster(t, 3)
	s := c.open(ctx)
	c.waitFor("three current replicas", catchUpDeadline, c.streamCurrent)

	var acks []ack
	appendN := func(n int) {
		t.Helper()
		agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
		for range n {
			i := len(acks)
			var version uint64
			if i > 0 {
				version = acks[i-1].res.LastVersion
			}
			command := fmt.Sprintf("c%d", i)
			// An unavailable answer (replicas catching up) is retried with
			// the same command id, as a client would; anything else fails.
			res, err := s.Append(ctx, agg, version, commandEvents(0, i), command)
			for deadline := time.Now().Add(30 * time.Second); errors.Is(err, eventstore.ErrUnavailable) && time.Now().Before(deadline); {
				t.Logf("append %s: %v; retrying", command, err)
				res, err = s.Append(ctx, agg, version, commandEvents(0, i), command)
			}
			if err != nil {
				t.Fatalf("append %s: %v", command, err)
			}
			acks = append(acks, ack{worker: 0, n: i, agg: agg, command: command, res: res})
		}
	}
	appendN(30)

	leader := c.leader(ctx, s, "")
	var damaged *node
	for _, n := range c.nodes {
		if n.name != leader {
			damaged = n
			break
		}
	}
	c.stop(damaged)
	if err := os.RemoveAll(damaged.storeDir); err != nil {
		t.Fatal(err)
	}
	appendN(10) // written while it is down
	c.start(damaged)
	c.waitFor(damaged.name+" to be rebuilt from the other replicas", catchUpDeadline, func() bool {
		st, ok := c.localState(damaged)
		return ok && st.LastSeq == uint64(len(acks)) && st.Msgs == uint64(len(acks)) && c.streamCurrent()
	})
	appendN(10)

	// Hand the leadership to the rebuilt node, so that reads are served
	// from its store.
	for attempt := 0; ; attempt++ {
		l := c.leader(ctx, s, "")
		if l == damaged.name {
			break
		}
		if attempt == 10 {
			t.Fatalf("%s did not become the stream leader in 10 step-downs", damaged.name)
		}
		if err := c.byName(l).srv.JetStreamStepdownStream(c.auth.ledgerPub, eventstore.DefaultStream); err != nil {
			t.Fatal(err)
		}
		c.leader(ctx, s, l)
	}
	commits := readAll(t, ctx, s)
	lost, dup := verifyLedger(t, ctx, s, acks, commits)
	if len(commits) != len(acks) || lost != 0 || dup != 0 {
		t.Fatalf("ledger read through the rebuilt node: %d commits for %d acknowledged, %d lost, %d duplicated", len(commits), len(acks), lost, dup)
	}
}
