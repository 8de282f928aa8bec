package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/laaledger/laaledger/eventstore/integration"
)

func runIntegration(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"add", "-h"} // add is the one subcommand: show its flags
	}
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: laaledger integration add NAME [--from-start|--from-seq N|--from-time T] [--filter SUBJECT] [--json]"}
	}
	return onLedger("integration add [flags] NAME\n\nCreates an integration user and its durable consumer on the ledger stream and prints the\ncredentials once. Run it while serve is stopped; the user is admitted when serve next\nstarts, on the address of --nats-listen (loopback only).", integrationAddFlags)(ctx, args[1:], stdout, stderr)
}

func integrationAddFlags(fs *flag.FlagSet) ledgerRun {
	fromStart := fs.Bool("from-start", false, "deliver from the first commit of the ledger (the default)")
	fromSeq := fs.Uint64("from-seq", 0, "deliver from this stream sequence")
	fromTime := fs.String("from-time", "", "deliver from the first commit recorded at or after this RFC 3339 time")
	filter := fs.String("filter", "", "deliver only commits on these ledger subjects, e.g. ledger.laa.> or ledger.caa.00EB.>")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	return func(ctx context.Context, c *call) error {
		if len(c.args) != 1 {
			return usageError{"integration add takes one NAME"}
		}
		if c.flags.natsURL != "" {
			return usageError{"integration users are for the embedded server; on --nats-url, give the integration a user of your NATS deployment with integration.Permissions"}
		}
		spec := integration.Spec{Name: c.args[0], Filter: *filter}
		n := 0
		if *fromStart {
			n++
		}
		if *fromSeq > 0 {
			n++
			spec.Start.Sequence = *fromSeq
		}
		if *fromTime != "" {
			n++
			t, err := time.Parse(time.RFC3339Nano, *fromTime)
			if err != nil {
				return usageError{fmt.Sprintf("--from-time %q: want an RFC 3339 time", *fromTime)}
			}
			spec.Start.Time = t
		}
		if n > 1 {
			return usageError{"give one of --from-start, --from-seq and --from-time"}
		}
		if spec.Filter != "" && spec.Filter != "ledger.>" && !strings.HasPrefix(spec.Filter, "ledger.") {
			return usageError{"--filter must be a ledger subject (ledger.<kind>.<id tokens>, wildcards allowed)"}
		}
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		cred, err := integration.Add(ctx, s, c.flags.data, spec)
		if errors.Is(err, integration.ErrExists) {
			return usageError{err.Error()}
		}
		if err != nil {
			return err
		}
		if *asJSON {
			// The password hash is the server's to keep, not the
			// integrator's: it is left out of what is handed over.
			shown := cred
			shown.PasswordHash = ""
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(shown)
		}
		url := "nats://127.0.0.1:4222"
		if c.flags.listen != "" {
			url = "nats://" + c.flags.listen
		}
		fmt.Fprintf(c.stdout, `integration %s added; the password is shown only now.
  user          %s
  password      %s
  inbox prefix  %s   (your client must use it: it may receive nothing else)
  stream        %s
  consumer      %s   (durable, pull; acknowledging a commit acknowledges all before it)
It is admitted when serve next starts with --nats-listen (e.g. --nats-listen %s).
Read with the nats CLI:
  nats --server %s --user %s --password '%s' --inbox-prefix %s consumer next %s %s --count 10
`, cred.Name, cred.User, cred.Password, cred.InboxPrefix, cred.Stream, cred.Consumer,
			strings.TrimPrefix(url, "nats://"), url, cred.User, cred.Password, cred.InboxPrefix, cred.Stream, cred.Consumer)
		return nil
	}
}

// checkLoopback refuses a --nats-listen address that is not on the
// loopback interface: integrators reach the embedded server through a
// local proxy or tunnel of the operator's choosing, never directly.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("--nats-listen %s: %v", addr, err)}
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageError{fmt.Sprintf("--nats-listen %s: the embedded server listens on loopback only (127.0.0.1 or ::1)", addr)}
}
