package web

import (
	"testing"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
)

func mustDemoTokens(t *testing.T) *api.Tokens {
	t.Helper()
	tokens, err := api.NewTokens(api.DemoTokens())
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// nilQueries is a read side the sign-in tests never reach.
type nilQueries struct{ Queries }

func (nilQueries) Position() uint64 { return 0 }
