// Command laaledger is the audit ledger of Local Area Agreement negotiations
// and Comprehensive Area Assessment judgements: one binary that serves the
// ledger and answers the people who use it.
//
// It owns the command line: flags, exit codes, progress output, export
// bundles as files and the running server's wiring. It may import every
// package of this module; none may import it, and it decides nothing
// itself: the rules are the domain's, the reading is projections', the
// storing is the event store's.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is every subcommand, by name. A command that works on the
// ledger states only its usage line and its own flags; [onLedger] adds the
// store flags, parses, and opens and closes the ledger.
var commands = map[string]command{
	"actors": {"the actor register: who may act, in which role, for which organisation (actors list|register|retire)",
		runActors},
	"checkpoint": {"witness a running server: fetch its latest checkpoint, check it extends the last one kept, keep it (--watch to repeat)",
		runCheckpoint},
	"demo": {"load the demo history (idempotent) and print a summary per area",
		onLedger("demo [flags]", noFlags(runDemo))},
	"export": {"write the ledger (or part of it) as JSON lines, one commit per line, for offline verification",
		onLedger("export [flags] [-o FILE]", exportFlags)},
	"gen-history": {"write a large synthetic ledger through the real command path (for benchmarks)",
		onLedger("gen-history [flags]", genHistoryFlags)},
	"history": {"list one aggregate's events (business and recorded time, actor, reason)",
		onLedger("history [flags] KIND ID", historyFlags)},
	"indicators": {"import, export, set or withdraw National Indicators in the catalogue (offline or --server)",
		runIndicators},
	"integration": {"give an integration service read-only NATS access through its own durable consumer (integration add NAME)",
		runIntegration},
	"key": {"print the verifier key of the checkpoint signing key (creating the key on first use), or a running server's (--server)",
		onLedger("key [--data DIR | --key FILE | --server URL] [--origin ORIGIN]", keyFlags)},
	"prove": {"print an inclusion proof of a commit or a consistency proof between checkpoints, or check one offline",
		onLedger("prove (--sequence N [--tree-size M] | --from A [--to B]) [flags]\n       laaledger prove --check FILE --verifier-key KEY", proveFlags)},
	"rebuild": {"rebuild every projection from stream sequence 1, with progress, and save the snapshot",
		onLedger("rebuild [flags] [KIND ID]\n\nWith KIND ID (e.g. laa 00EB/2008-11), rebuild only that aggregate's read models from its own events.", noFlags(runRebuild))},
	"replay": {"step through an aggregate's history, showing the state after each event",
		onLedger("replay [flags] KIND ID", replayFlags)},
	"serve": {"run the ledger, its projections and the HTTP API (embedded NATS by default) until interrupted",
		onLedger("serve [flags]", serveFlags)},
	"state": {"show an aggregate's state now, as recorded at an instant (--as-of) or as now known at one (--known-at)",
		onLedger("state [flags] KIND ID", stateFlags)},
	"tail": {"print ledger events as they are stored (from a sequence or a time), following by default",
		onLedger("tail [flags]", tailFlags)},
	"timeline": {"how did a target get here: the timeline of an agreement, area, target, indicator, actor or organisation",
		onLedger(`timeline [flags]

One of:
  --agreement 00EB/2008-11 [--target "NI 112"]   an agreement, or one target's negotiation rounds
  --area 00EB                                    every aggregate of an area
  --indicator 112                                one indicator across every area
  --actor ID | --organisation ORG                what a person or an organisation did`, timelineFlags)},
	"verify": {"read the whole ledger and check every aggregate's hash chain",
		onLedger("verify [flags]", verifyFlags)},
	"webhook": {"register webhooks that serve delivers signed CloudEvents to, see their delivery status, and list or replay their dead letters (webhook add|list|show|status|dead|replay|disable|enable|remove)",
		runWebhook},
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "laaledger: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "laaledger %s: %v\n", args[0], err)
	return exitCode(err)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `laaledger — the audit ledger of Local Area Agreements and CAA judgements

Usage: laaledger <command> [flags]   (laaledger <command> -h for its flags)

Commands:`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, `
Exit codes: 0 ok, 1 internal error, 2 bad input, 3 conflict, 4 not found,
5 unavailable, 6 forbidden, 7 ledger tampered, 8 unauthenticated (no token,
or one the server does not accept).`)
}
