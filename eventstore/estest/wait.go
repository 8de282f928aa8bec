package estest

import (
	"testing"
	"time"
)

// WaitFor waits until cond holds, failing t after 30 s with what it was
// waiting for. It is for a state that another process or goroutine
// reaches in its own time (a delivery arriving, a consumer catching up),
// where there is nothing to wait on.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval of a condition, not synchronisation
	}
}
