package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/cmd/laaledger/internal/api"
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/service"
)

// indicatorCommands are the subcommands of `laaledger indicators`: each
// works offline on the data directory, or through a running server's API
// with --server (the server holds the data directory while it runs).
var indicatorCommands = map[string]struct {
	synopsis string
	flags    func(fs *flag.FlagSet) ledgerRun
}{
	"import": {"indicators import [flags] FILE.csv\n\nRecords the file as one import. Every row is checked first; a bad row refuses the whole file.\nBy default the file is the whole catalogue: an indicator missing from it, or with status\nwithdrawn or deleted, is withdrawn. With --partial it adds or changes only the indicators it\nnames and removes nothing. The same file imported the same way again records nothing.\n\n" + csvColumns,
		importFlags},
	"export": {"indicators export [flags]\n\nWrites the catalogue as of a business date, as CSV (the format import reads) or JSON.",
		catalogueExportFlags},
	"set": {"indicators set [flags] NI NUMBER\n\nAdds one indicator or changes the attributes given, leaving the rest as they are.\nExample: laaledger indicators set NI 112 --title \"Under 18 conception rate\" --source DOC --effective 2009-04-01",
		indicatorSetFlags},
	"withdraw": {"indicators withdraw [flags] NI NUMBER\n\nRemoves one indicator from the catalogue from the effective date on; its past stays.",
		indicatorWithdrawFlags},
}

const csvColumns = "The CSV has the columns of domain/refdata/national_indicators.csv:\nni,number,title,theme,data_source,place_survey,dcsf_statutory,status,source"

func runIndicators(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sub string
	if len(args) > 0 {
		sub = args[0]
	}
	c, ok := indicatorCommands[sub]
	if !ok {
		fmt.Fprintln(stderr, "Usage: laaledger indicators import|export|set|withdraw [flags] ...")
		if isHelp(sub) {
			// Every subcommand's usage and flags.
			for _, name := range []string{"import", "export", "set", "withdraw"} {
				fmt.Fprintln(stderr)
				_ = onLedger(indicatorCommands[name].synopsis, indicatorCommands[name].flags)(ctx, []string{"-h"}, stdout, stderr)
			}
			return errHelp
		}
		return usageError{"expected a subcommand: import, export, set or withdraw"}
	}
	args = args[1:]
	if sub == "set" || sub == "withdraw" {
		args = numberLast(args)
	}
	return onLedger(c.synopsis, c.flags)(ctx, args, stdout, stderr)
}

// numberLast moves the indicator number given before the flags ("NI 112
// --title …") after them, where the flag package leaves positional
// arguments.
func numberLast(args []string) []string {
	n := 0
	for n < len(args) && n < 2 && !strings.HasPrefix(args[n], "-") {
		n++
	}
	return append(append([]string(nil), args[n:]...), args[:n]...)
}

// parseNI reads an indicator number given as "NI 112", "NI112" or "112".
func parseNI(args []string) (int, error) {
	s := strings.TrimSpace(strings.Join(args, " "))
	s = strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(s), "NI"))
	n, err := strconv.Atoi(s)
	if err != nil || len(args) == 0 || len(args) > 2 {
		return 0, usageError{fmt.Sprintf("give one indicator, as NI 112 or 112 (got %q)", strings.Join(args, " "))}
	}
	return n, nil
}

// changeFlags are the flags every catalogue change takes.
type changeFlags struct {
	effective string
	actor     string
	server    serverFlags
}

func (f *changeFlags) register(fs *flag.FlagSet, effective string) {
	fs.StringVar(&f.effective, "effective", "", effective)
	fs.StringVar(&f.actor, "actor", envOr("USER", "operator"), "id of the operator making the change (offline; with --server the token's actor)")
	f.server.register(fs)
}

// date checks --effective.
func (f *changeFlags) date() (time.Time, error) {
	if f.effective == "" {
		return time.Time{}, usageError{"--effective is required: the business date the change holds from, YYYY-MM-DD"}
	}
	at, err := time.Parse(time.DateOnly, f.effective)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--effective %q: want YYYY-MM-DD", f.effective)}
	}
	return at, nil
}

// indicator checks the indicator a change of one names and --effective.
func (f *changeFlags) indicator(args []string) (int, time.Time, error) {
	ni, err := parseNI(args)
	if err != nil {
		return 0, time.Time{}, err
	}
	at, err := f.date()
	return ni, at, err
}

func importFlags(fs *flag.FlagSet) ledgerRun {
	var f changeFlags
	f.register(fs, "business date from which the file's content holds, YYYY-MM-DD (required)")
	source := fs.String("source", "", "where the file comes from (default: its file name)")
	partial := fs.Bool("partial", false, "add or change only the indicators in the file; withdraw none")
	return func(ctx context.Context, c *call) error {
		if len(c.args) != 1 {
			return usageError{"give exactly one CSV file"}
		}
		at, err := f.date()
		if err != nil {
			return err
		}
		if *source == "" {
			*source = filepath.Base(c.args[0])
		}
		data, err := os.ReadFile(c.args[0])
		if err != nil {
			return usageError{err.Error()}
		}
		rows, err := catalogue.ParseIndicatorCSV(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", c.args[0], err)
		}
		what := c.args[0]
		if f.server.server != "" {
			q := url.Values{"effective": {at.Format(time.DateOnly)}, "source": {*source}}
			if *partial {
				q.Set("partial", "true")
			}
			var res api.CommandResult
			if err := f.server.send(ctx, "POST", "/v1/catalogue/import", q, map[string]string{"Content-Type": "text/csv"}, data, &res); err != nil {
				return err
			}
			reportChange(c.stdout, what, res.Duplicate, len(res.Events), res.LastVersion, res.Sequence)
			return nil
		}
		meta := domain.Meta{
			// The same file, date, source and partiality is the same
			// command: importing it again records nothing.
			CommandID:  catalogue.ImportCommandID(data, at, *source, *partial),
			Actor:      operatorActor(f.actor),
			OccurredAt: at,
			Reason:     "import of " + *source,
			Evidence:   []string{*source, "sha256:" + catalogue.ContentSHA256(data)},
		}
		return executeOffline(ctx, c, what, meta, catalogue.ImportIndicators{Rows: rows, Source: *source, EffectiveFrom: at, Partial: *partial})
	}
}

func indicatorSetFlags(fs *flag.FlagSet) ledgerRun {
	var f changeFlags
	f.register(fs, "business date from which the change holds, YYYY-MM-DD (required)")
	source := fs.String("source", "", "where the new facts come from, a document or dataset (required)")
	var (
		title, theme, dataSource   optionalString
		provisional, ps, statutory optionalBool
	)
	fs.Var(&title, "title", "the indicator's title")
	fs.Var(&provisional, "provisional", "whether the title is provisional: yes or no")
	fs.Var(&theme, "theme", "the indicator's theme (empty to clear)")
	fs.Var(&dataSource, "data-source", "the indicator's data source (empty to clear)")
	fs.Var(&ps, "place-survey", "whether the indicator comes from the Place Survey: yes or no")
	fs.Var(&statutory, "dcsf-statutory", "whether the indicator is in the DCSF statutory set: yes or no")
	return func(ctx context.Context, c *call) error {
		ni, at, err := f.indicator(c.args)
		if err != nil {
			return err
		}
		cmd := catalogue.SetIndicator{NI: ni, Title: title.v, TitleProvisional: provisional.v, Theme: theme.v, DataSource: dataSource.v,
			PlaceSurvey: ps.v, DCSFStatutory: statutory.v, Source: *source, EffectiveFrom: at}
		return recordChange(ctx, c, &f, fmt.Sprintf("NI %d", ni), at, "change of NI "+strconv.Itoa(ni), cmd)
	}
}

func indicatorWithdrawFlags(fs *flag.FlagSet) ledgerRun {
	var f changeFlags
	f.register(fs, "business date from which the indicator is withdrawn, YYYY-MM-DD (required)")
	source := fs.String("source", "", "on what authority the indicator is withdrawn, a document or decision (required)")
	return func(ctx context.Context, c *call) error {
		ni, at, err := f.indicator(c.args)
		if err != nil {
			return err
		}
		cmd := catalogue.WithdrawIndicator{NI: ni, Source: *source, EffectiveFrom: at}
		return recordChange(ctx, c, &f, fmt.Sprintf("NI %d", ni), at, "withdrawal of NI "+strconv.Itoa(ni), cmd)
	}
}

// recordChange records a set or a withdrawal, offline or through --server. Its
// command id is derived from the command, so the same change given twice
// is recorded once.
func recordChange(ctx context.Context, c *call, f *changeFlags, what string, at time.Time, reason string, cmd domain.Command) error {
	body, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	id := "nis-" + strings.ToLower(strings.TrimPrefix(cmd.CommandType(), "nis.")) + "-" + contentDigest(cmd, body)
	if f.server.server != "" {
		req, err := json.Marshal(map[string]any{"occurred_at": at, "reason": reason, "command": json.RawMessage(body)})
		if err != nil {
			return err
		}
		var res api.CommandResult
		if err := f.server.send(ctx, "POST", "/v1/commands/"+cmd.CommandType(), nil,
			map[string]string{"Content-Type": "application/json", "Idempotency-Key": id}, req, &res); err != nil {
			return err
		}
		reportChange(c.stdout, what, res.Duplicate, len(res.Events), res.LastVersion, res.Sequence)
		return nil
	}
	meta := domain.Meta{CommandID: id, Actor: operatorActor(f.actor), OccurredAt: at, Reason: reason}
	return executeOffline(ctx, c, what, meta, cmd)
}

func operatorActor(id string) domain.Actor {
	return domain.Actor{ID: id, Role: domain.RoleOperator, Organisation: "laaledger operator"}
}

// executeOffline records a catalogue change on the ledger in the data
// directory and says what it recorded.
func executeOffline(ctx context.Context, c *call, what string, meta domain.Meta, cmd domain.Command) error {
	res, err := executeOperator(ctx, c, meta, cmd)
	if err != nil {
		return err
	}
	reportChange(c.stdout, what, res.Duplicate, len(res.Events), res.LastVersion, res.Sequence)
	return nil
}

func reportChange(w io.Writer, what string, duplicate bool, events int, version, seq uint64) {
	switch {
	case duplicate:
		fmt.Fprintf(w, "%s was already recorded (catalogue version %d); nothing recorded\n", what, version)
	case events == 0:
		fmt.Fprintf(w, "%s matches the catalogue (version %d); nothing recorded\n", what, version)
	default:
		fmt.Fprintf(w, "%s: %d changes recorded; catalogue now at version %d (stream sequence %d)\n", what, events, version, seq)
	}
}

func catalogueExportFlags(fs *flag.FlagSet) ledgerRun {
	var srv serverFlags
	srv.register(fs)
	format := fs.String("format", "csv", "csv (the format import reads) or json")
	at := fs.String("at", "", "the business date, YYYY-MM-DD (default today)")
	out := fs.String("o", "", "write to this file instead of standard output")
	return func(ctx context.Context, c *call) error {
		if len(c.args) != 0 {
			return usageError{"export takes no arguments"}
		}
		if *format != "csv" && *format != "json" {
			return usageError{fmt.Sprintf("--format %q: want csv or json", *format)}
		}
		var when time.Time
		if *at != "" {
			t, err := time.Parse(time.DateOnly, *at)
			if err != nil {
				return usageError{fmt.Sprintf("--at %q: want YYYY-MM-DD", *at)}
			}
			when = t
		}
		q, done, err := openQueries(ctx, c, &srv)
		if err != nil {
			return err
		}
		defer done()
		v, err := q.Catalogue(ctx, when)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if *format == "csv" {
			err = catalogue.WriteIndicatorCSV(&b, v.Indicators)
		} else {
			enc := json.NewEncoder(&b)
			enc.SetIndent("", "  ")
			err = enc.Encode(v)
		}
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = c.stdout.Write(b.Bytes())
			return err
		}
		return os.WriteFile(*out, b.Bytes(), 0o644)
	}
}

// optionalString is a string flag that records whether it was given.
type optionalString struct{ v *string }

func (o *optionalString) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	return *o.v
}
func (o *optionalString) Set(s string) error { o.v = &s; return nil }

// optionalBool is a yes/no flag that records whether it was given.
type optionalBool struct{ v *bool }

func (o *optionalBool) String() string {
	if o == nil || o.v == nil {
		return ""
	}
	if *o.v {
		return "yes"
	}
	return "no"
}
func (o *optionalBool) Set(s string) error {
	var b bool
	switch strings.ToLower(s) {
	case "yes", "true":
		b = true
	case "no", "false":
	default:
		return fmt.Errorf("want yes or no")
	}
	o.v = &b
	return nil
}

// ensureCatalogueSeed records the embedded indicator catalogue once.
func ensureCatalogueSeed(ctx context.Context, svc *service.Service) error {
	if _, err := svc.Execute(ctx, catalogue.SeedMeta(), catalogue.SeedCommand(), nil); err != nil {
		return fmt.Errorf("seed the indicator catalogue: %w", err)
	}
	return nil
}
