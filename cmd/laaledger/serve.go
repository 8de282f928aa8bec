package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/cmd/laaledger/internal/web"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
)

func serveFlags(fs *flag.FlagSet) ledgerRun {
	var nf notaryFlags
	nf.register(fs)
	addr := fs.String("http", "127.0.0.1:8080", "HTTP API address")
	tokenFile := fs.String("tokens", "", "bearer token file (JSON, see README); with --demo and no file, the fixed demo tokens")
	demo := fs.Bool("demo", false, "load the demo history on start (idempotent) so a newcomer sees a populated ledger")
	verbose := fs.Bool("v", false, "log debug detail, the embedded NATS server's included")
	var ce cloudevent.Mapper
	fs.StringVar(&ce.Source, "cloudevents-source", cloudevent.DefaultSource, "URI the CloudEvents source of each event starts with; the aggregate kind and id follow")
	publicURL := fs.String("public-url", "", "URL clients reach the API at; CloudEvents then name their JSON Schema in dataschema")
	asOf := fs.Int("as-of-checkpoints", 0, "states kept to answer as-now-known-at reads fast, across aggregates (up to 32 each, ~30 KB each at a million events); 0 = 5120, negative = none")
	return func(ctx context.Context, c *call) error {
		c.log = newLogger(c.stderr, *verbose)
		var tokens *api.Tokens
		var err error
		switch {
		case *tokenFile != "":
			tokens, err = api.LoadTokenFile(*tokenFile)
		case *demo:
			tokens, err = api.NewTokens(api.DemoTokens())
		default:
			return usageError{"give --tokens FILE (or --demo for the demo tokens): every API call needs a bearer token"}
		}
		if err != nil {
			return usageError{fmt.Sprintf("tokens: %v", err)}
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return usageError{fmt.Sprintf("--http %s: %v", *addr, err)}
		}
		defer ln.Close()
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		if *publicURL != "" {
			ce.SchemaBase = strings.TrimSuffix(*publicURL, "/") + "/v1/schemas"
		}
		return serve(ctx, c, &nf, s, ln, serveOptions{tokens: tokens, demo: *demo, ce: ce, asOfCheckpoints: *asOf})
	}
}

// serve runs the HTTP API on ln until ctx ends, then shuts down in order:
// requests, projections (which save a snapshot), and, after serve returns,
// the ledger.
// serveOptions are serve's settings from its own flags.
type serveOptions struct {
	tokens          *api.Tokens
	demo            bool // load the demo history
	ce              cloudevent.Mapper
	asOfCheckpoints int // projections.Config.AsOfCheckpoints
}

func serve(ctx context.Context, c *call, nf *notaryFlags, s *eventstore.Store, ln net.Listener, opts serveOptions) error {
	log, tokens, demo, ce := c.log, opts.tokens, opts.demo, opts.ce
	// The read models load their snapshot while the notary checks the
	// ledger: the two are independent and each keeps a core busy. Loading
	// writes nothing; nothing is written or served before both are done.
	type readSideOpened struct {
		rs  *readSide
		err error
	}
	opening := make(chan readSideOpened, 1)
	go func() {
		rs, err := openReadSide(ctx, &c.flags, s, log, opts.asOfCheckpoints)
		opening <- readSideOpened{rs, err}
	}()
	// The notary checks the ledger against its signed checkpoints before
	// anything is written or served.
	nt, err := nf.open(ctx, &c.flags, s, log)
	opened := <-opening
	if err != nil {
		return err
	}
	if opened.err != nil {
		return opened.err
	}
	rs := opened.rs
	svc := service.New(s, service.Kinds())
	doubt := s.Integrity()
	if doubt != nil {
		// Served read-only: every command is refused (503), /readyz fails,
		// the history can still be read and exported.
		log.Error("ledger integrity in doubt: serving read-only", "err", withRecovery(doubt))
		fmt.Fprintf(c.stderr, "laaledger serve: %v\n", withRecovery(doubt))
	} else if err := ensureCatalogueSeed(ctx, svc); err != nil {
		return err
	}
	if demo && doubt == nil {
		if _, err := loadDemo(ctx, svc); err != nil {
			return err
		}
	}
	if err := checkTokensAgainstRegister(ctx, svc, tokens); err != nil {
		return err
	}
	startSeq, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	// runnerErr holds why the projections stopped, if they did: the server
	// then stops being ready rather than serving stale reads as current.
	var runnerErr atomic.Value
	// notaryErr holds why the notary stopped signing, if it did.
	var notaryErr atomic.Value
	reads := rs.reader
	ui, err := web.New(web.Config{Queries: reads, Tokens: tokens, Commits: s, Proofs: nt, Logger: log})
	if err != nil {
		return err
	}
	// One registry for the API's metrics and the webhooks'.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hooks, err := newWebhooks(c.flags.data, s, ce, log, reg)
	if err != nil {
		return err
	}
	srv, err := api.New(api.Config{
		Webhooks:    hooks,
		Fallback:    ui,
		Registry:    reg,
		Executor:    svc,
		Queries:     reads,
		Progress:    reads,
		Feed:        s,
		Tokens:      tokens,
		Proofs:      nt,
		Auditor:     &ledgerAuditor{sf: &c.flags, nf: nf, s: s, nt: nt},
		Logger:      log,
		CloudEvents: ce,
		ProjectionLag: func() api.Lag {
			last, err := s.LastSequence(context.Background())
			if err != nil || last < rs.runner.Position() {
				return api.Lag{}
			}
			return api.Lag{Events: last - rs.runner.Position()}
		},
		Ready: func(ctx context.Context) error {
			if err := s.Integrity(); err != nil {
				return err
			}
			if err, _ := runnerErr.Load().(error); err != nil {
				return fmt.Errorf("projections stopped: %w", err)
			}
			if err, _ := notaryErr.Load().(error); err != nil {
				return fmt.Errorf("notary stopped: %w", err)
			}
			if p := rs.runner.Position(); p < startSeq {
				return fmt.Errorf("projections at sequence %d of %d", p, startSeq)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}

	runCtx, stopRunner := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := rs.runner.Run(runCtx); err != nil {
			runnerErr.Store(s.DistrustIfTampered(err))
			log.Error("projections stopped; /readyz now fails", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := nt.Run(runCtx); err != nil {
			notaryErr.Store(s.DistrustIfTampered(err))
			log.Error("notary stopped: no more checkpoints are signed; /readyz now fails", "err", err)
		}
	}()
	// Webhooks deliver until runCtx ends; /v1/webhooks adds and removes
	// them while they run.
	if err := hooks.Start(runCtx); err != nil {
		stopRunner()
		wg.Wait()
		hooks.Wait()
		return err
	}
	hs := srv.HTTPServer()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("laaledger serving", "http", ln.Addr().String(), "data", c.flags.data, "nats_url", c.flags.natsURL, "last_sequence", startSeq, "demo", demo)
	// Start-up allocates far more than it keeps (the read models' snapshot
	// decoded or rebuilt, the whole ledger read by the notary): once the
	// read models have caught up, give that back to the system rather than
	// over the runtime's next minutes.
	go func() {
		if rs.runner.WaitFor(runCtx, startSeq) == nil {
			debug.FreeOSMemory()
		}
	}()
	fmt.Fprintf(c.stdout, "laaledger serving on http://%s (web UI at /, OpenAPI at /v1/openapi.json); Ctrl-C to stop\n", ln.Addr())

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	log.Info("shutting down: finishing requests, then draining the ledger connection")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutCtx); serr != nil {
		log.Error("http shutdown", "err", serr)
	}
	stopRunner() // Run writes a snapshot as it stops
	wg.Wait()
	hooks.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
