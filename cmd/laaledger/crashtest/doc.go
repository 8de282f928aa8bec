// Package crashtest holds the crash suite of the ledger: tests that run the
// real laaledger binary as a child process on loopback, post commands to it
// through the HTTP API from concurrent clients, kill it with SIGKILL at
// random moments, restart it, retry every unanswered command with its
// original Idempotency-Key, and then check the ledger from the outside: every
// acknowledged command stored exactly once, nothing stored that was never
// sent, no version gap, `laaledger verify` passing, and projections resumed
// after the crash equal to projections rebuilt from sequence 1.
//
// The package has no code outside its tests and imports nothing of the
// ledger: it knows the binary only by its command line and its HTTP API, as
// an operator or a client would. `go test ./cmd/laaledger/crashtest` runs a
// few rounds; scripts/crash-test runs many, with different seeds. The
// environment variables it reads are listed in crash_test.go.
package crashtest
