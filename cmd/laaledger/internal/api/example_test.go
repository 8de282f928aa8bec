package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
)

// Example wires the API the way `laaledger serve` does: the store, the
// service that executes commands on it, a read side, the tokens, and an
// http.Server whose shutdown also ends the open event streams.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	store, err := eventstore.Open(ctx, eventstore.Config{DataDir: "laaledger-data", Logger: log})
	if err != nil {
		log.Error("open ledger", "err", err)
		return
	}
	defer store.Close()
	tokens, err := api.LoadTokenFile("tokens.json") // or api.NewTokens(api.DemoTokens()) for a demo
	if err != nil {
		log.Error("tokens", "err", err)
		return
	}
	queries := api.NewLedgerQueries(store, service.Kinds())
	srv, err := api.New(api.Config{
		Executor: service.New(store, service.Kinds()),
		Queries:  queries,
		Progress: queries,
		Feed:     store,
		Tokens:   tokens,
		Logger:   log,
	})
	if err != nil {
		log.Error("api", "err", err)
		return
	}
	hs := &http.Server{Addr: "127.0.0.1:8080", Handler: srv}
	hs.RegisterOnShutdown(srv.StopStreams)
	go hs.ListenAndServe()
	// … on a signal: hs.Shutdown(ctx), then store.Close().
}
