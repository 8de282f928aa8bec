package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// Example wires the API the way `laaledger serve` does: the store, the
// service that executes commands on it, the projections and the read side
// over them, the tokens, and an
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
	reads, err := projections.OpenReader(ctx, projections.Config{Store: store, Dir: "laaledger-data/projections", Logger: log})
	if err != nil {
		log.Error("projections", "err", err)
		return
	}
	go reads.Runner().Run(ctx) // until ctx ends; it writes a snapshot on the way out
	srv, err := api.New(api.Config{
		Executor: service.New(store, service.Kinds()),
		Queries:  reads,
		Progress: reads,
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
