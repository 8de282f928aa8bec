package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// A waiter gives up when its context ends, the lock passes to the next
// one when released, and nothing is left behind once nobody holds it.
func TestAggregateLockWaitsUntilReleasedOrCancelled(t *testing.T) {
	var l aggLocks
	ref := domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"}
	unlock, err := l.lock(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.lock(ctx, ref); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second holder got %v while the lock was held, want the context's deadline", err)
	}
	other, err := l.lock(context.Background(), domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EC/2008-11"})
	if err != nil {
		t.Fatalf("another aggregate's lock: %v", err)
	}
	other()
	got := make(chan func(), 1)
	go func() {
		u, err := l.lock(context.Background(), ref)
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	unlock()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not get the lock after it was released")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.locks) != 0 {
		t.Fatalf("%d locks left after every holder released", len(l.locks))
	}
}
