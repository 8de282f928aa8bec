package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A short run of the load test against a server it starts: every
// operation of the mix is exercised, nothing but the deliberate conflicts
// is refused, and afterwards the ledger verifies and the projections equal
// a rebuild from the stream.
func TestShortLoadRunVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var progress strings.Builder
	o := options{clients: 8, duration: 3 * time.Second, writeToken: "demo-la-hartlepool-00EB", readToken: "demo-auditor-readonly",
		agreement: "00EB/2008-11", seed: 1, progress: &progress, progressEvery: time.Second,
		unexpectedStatusHook: func(op string, status int, body []byte) { t.Logf("%s: %d %s", op, status, body) }}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := run(ctx, o)
	if rep != nil {
		var out strings.Builder
		rep.write(&out)
		t.Log("\n" + out.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.unexpected(); n > 0 {
		t.Errorf("%d unexpected errors: %v", n, rep.unexpKinds)
	}
	for _, o := range mix {
		if s := rep.ops[o.name]; s == nil || s.n == 0 {
			t.Errorf("operation %s never ran", o.name)
		}
	}
	if rep.kinds["record_stale 412 version_conflict"] == 0 {
		t.Error("no deliberate If-Match conflict was answered 412")
	}
	if !rep.verified || !strings.Contains(rep.verifyOut, "ledger intact") || !strings.Contains(rep.verifyOut, "equals a rebuild from the stream") {
		t.Errorf("the ledger was not verified after the load:\n%s", rep.verifyOut)
	}
	if !strings.Contains(progress.String(), "requests,") {
		t.Errorf("no progress line on a non-terminal:\n%s", progress.String())
	}
}
