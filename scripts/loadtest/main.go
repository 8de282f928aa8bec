// Command loadtest puts a bounded, realistic load on a laaledger server and
// reports throughput, errors by kind and latency percentiles per operation;
// then, for a server it started itself, it stops the server and checks the
// ledger verifies and the projections equal a rebuild (`laaledger verify
// --projections`). It stops by itself after --duration. Run it through
// scripts/load-test; see docs/PERFORMANCE.md, "Load test".
//
//	go run ./scripts/loadtest -clients 64 -duration 60s
//	go run ./scripts/loadtest -server http://127.0.0.1:8080 -token-write demo-la-hartlepool-00EB
//
// It imports nothing of this module: it knows the server only by its HTTP
// API and the laaledger binary by its command line, as a client would.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.server, "server", "", "target this running server instead of starting one (no verification afterwards)")
	flag.IntVar(&o.clients, "clients", 64, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long to put load on the server")
	flag.StringVar(&o.bin, "bin", "", "laaledger binary to start (default: built from ./cmd/laaledger into the temporary directory)")
	flag.StringVar(&o.data, "data", "", "data directory for the server started (default a new temporary one, removed at the end)")
	flag.StringVar(&o.writeToken, "token-write", "demo-la-hartlepool-00EB", "bearer token of the lead authority that records outturns")
	flag.StringVar(&o.readToken, "token-read", "demo-auditor-readonly", "bearer token for the queries")
	flag.StringVar(&o.agreement, "agreement", "00EB/2008-11", "the agreement the commands and queries are about")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the operation mix")
	flag.Parse()
	o.progress = os.Stderr
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		o.terminal = true
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if rep != nil {
		rep.write(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load-test:", err)
		os.Exit(1)
	}
	if rep.unexpected() > 0 || !rep.verified && o.server == "" {
		os.Exit(1)
	}
}
