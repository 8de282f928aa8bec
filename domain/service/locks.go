package service

import (
	"context"
	"sync"

	"github.com/laaledger/laaledger/domain"
)

// aggLocks is a mutex per aggregate, made when first wanted and dropped
// when nobody holds or waits for it.
type aggLocks struct {
	mu    sync.Mutex
	locks map[domain.AggregateRef]*aggLock
}

type aggLock struct {
	ch    chan struct{} // holds a token while the lock is held
	users int           // holders and waiters; guarded by aggLocks.mu
}

// lock waits until the caller holds ref's lock, or ctx ends. The caller
// calls the returned function to unlock.
func (l *aggLocks) lock(ctx context.Context, ref domain.AggregateRef) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[domain.AggregateRef]*aggLock{}
	}
	k := l.locks[ref]
	if k == nil {
		k = &aggLock{ch: make(chan struct{}, 1)}
		l.locks[ref] = k
	}
	k.users++
	l.mu.Unlock()
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; l.done(ref, k) }, nil
	case <-ctx.Done():
		l.done(ref, k)
		return nil, ctx.Err()
	}
}

func (l *aggLocks) done(ref domain.AggregateRef, k *aggLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k.users--; k.users == 0 {
		delete(l.locks, ref)
	}
}
