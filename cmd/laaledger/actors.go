package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/service"
)

// checkTokensAgainstRegister refuses to serve tokens the actor register
// would refuse: once the register is in use, every token's actor must be
// registered, active, and in its registered role and organisation.
func checkTokensAgainstRegister(ctx context.Context, svc *service.Service, tokens *api.Tokens) error {
	reg, _, err := service.StateOf[actors.Register](ctx, svc, actors.Ref)
	if err != nil {
		return fmt.Errorf("read the actor register: %w", err)
	}
	var errs []error
	for i, a := range tokens.Actors() {
		if err := reg.Check(a); err != nil {
			errs = append(errs, fmt.Errorf("token %d: %w", i+1, err))
		}
	}
	if len(errs) > 0 {
		return usageError{fmt.Sprintf("tokens: the actor register is in use and refuses these tokens' actors (register them with `laaledger actors register`, or remove the tokens):\n%v", errors.Join(errs...))}
	}
	return nil
}

func runActors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "list":
		return onLedger("actors list [flags]\n\nList the actor register: who may act, in which role, for which organisation.", actorsListFlags)(ctx, args[1:], stdout, stderr)
	case "register":
		return onLedger("actors register [flags] ID ROLE ORGANISATION\n\nEnter an actor in the register (operator only). ROLE is one of "+roleNames()+"; an LSP or lead authority's ORGANISATION is its area's SNAC code, a Government Office's its region's name.",
			actorsChangeFlags(true))(ctx, args[1:], stdout, stderr)
	case "retire":
		return onLedger("actors retire [flags] ID\n\nTake an actor out of the register (operator only); its past events stay.", actorsChangeFlags(false))(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, "Usage: laaledger actors list|register|retire [flags] ...\n\nThe actor register: once it holds an operator, only registered, active actors may issue commands, and serve refuses tokens whose actors it does not hold.")
	if isHelp(sub) {
		// Every subcommand's usage and flags.
		for _, s := range []string{"list", "register", "retire"} {
			fmt.Fprintln(stderr)
			_ = runActors(ctx, []string{s, "-h"}, stdout, stderr)
		}
		return errHelp
	}
	return usageError{"expected the subcommand list, register or retire"}
}

func roleNames() string {
	names := make([]string, len(domain.Roles))
	for i, r := range domain.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func actorsListFlags(fs *flag.FlagSet) ledgerRun {
	asJSON := fs.Bool("json", false, "print JSON")
	var srv serverFlags
	srv.register(fs)
	return func(ctx context.Context, c *call) error {
		if len(c.args) != 0 {
			return usageError{"actors list takes no arguments"}
		}
		var list []actors.Entry
		if srv.server != "" {
			var v api.ActorList
			if err := srv.get(ctx, "/v1/actors", nil, &v); err != nil {
				return err
			}
			list = v.Actors
		} else {
			s, err := c.ledger(ctx)
			if err != nil {
				return err
			}
			reg, _, err := service.StateOf[actors.Register](ctx, service.New(s, service.Kinds()), actors.Ref)
			if err != nil {
				return err
			}
			list = reg.List()
		}
		if *asJSON {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stdout, "the actor register is empty: actors stand on their tokens alone")
			return nil
		}
		w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tROLE\tORGANISATION\tNAME\tREGISTERED\tSTATUS")
		for _, e := range list {
			status := "active"
			if !e.Active {
				status = "retired " + e.RetiredAt.Format(time.DateOnly)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Role, e.Organisation, e.Name, e.RegisteredAt.Format(time.DateOnly), status)
		}
		return w.Flush()
	}
}

// actorsChangeFlags are the flags of actors register (register true) and
// actors retire, which run offline on the data directory.
func actorsChangeFlags(register bool) func(fs *flag.FlagSet) ledgerRun {
	return func(fs *flag.FlagSet) ledgerRun {
		name := fs.String("name", "", "the person's or system's name, as readers see it (register)")
		operator := fs.String("operator", envOr("USER", "operator"), "id of the operator making the change (a registered operator once the register is in use)")
		org := fs.String("operator-organisation", "laaledger", "the operator's organisation")
		reason := fs.String("reason", "", "why (recorded with the event; required)")
		at := fs.String("at", "", "business time of the change, RFC 3339 or YYYY-MM-DD (default: now)")
		id := fs.String("id", "", "command id, to make a retry safe (default: derived from the change)")
		return func(ctx context.Context, c *call) error {
			var cmd domain.Command
			switch {
			case register && len(c.args) == 3:
				cmd = actors.RegisterActor{ID: c.args[0], Role: domain.Role(c.args[1]), Organisation: c.args[2], Name: *name}
			case !register && len(c.args) == 1:
				cmd = actors.RetireActor{ID: c.args[0]}
			case register:
				return usageError{"give ID ROLE ORGANISATION"}
			default:
				return usageError{"give the ID of the actor to retire"}
			}
			if *reason == "" {
				return usageError{"--reason is required: the register records why it changed"}
			}
			when := time.Now().UTC()
			if *at != "" {
				t, err := time.Parse(time.RFC3339Nano, *at)
				if err != nil {
					t, err = time.Parse(time.DateOnly, *at)
				}
				if err != nil {
					return usageError{fmt.Sprintf("--at %q: want RFC 3339 or YYYY-MM-DD", *at)}
				}
				when = t
			}
			if v, ok := cmd.(interface{ Validate() error }); ok {
				if err := v.Validate(); err != nil {
					return err
				}
			}
			m := domain.Meta{CommandID: *id, Actor: domain.Actor{ID: *operator, Role: domain.RoleOperator, Organisation: *org},
				OccurredAt: when, Reason: *reason}
			if m.CommandID == "" {
				body, _ := json.Marshal(cmd)
				m.CommandID = "actors-" + contentDigest(cmd, body, when.Format(time.RFC3339Nano))
			}
			res, err := executeOperator(ctx, c, m, cmd)
			if err != nil {
				return err
			}
			if res.Duplicate {
				fmt.Fprintf(c.stdout, "already recorded (register version %d)\n", res.LastVersion)
				return nil
			}
			fmt.Fprintf(c.stdout, "%s recorded: register version %d (stream sequence %d)\n", cmd.CommandType(), res.LastVersion, res.Sequence)
			return nil
		}
	}
}
