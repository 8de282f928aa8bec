// Package demotest decides the demo histories for tests: the domain's
// checks that need a long, realistic history run over them. It lives
// apart from package domaintest because the demo imports every aggregate
// package, whose own tests use domaintest.
package demotest

import (
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
)

// Decide decides steps with [demo.Decide], calling each (if not nil) with
// every step and its events, and stops the test if a step does not turn
// out as the demo says it must.
func Decide(t testing.TB, steps []demo.Step, each func(demo.Step, []domain.Event)) demo.Decided {
	t.Helper()
	d, err := demo.Decide(steps, each)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
