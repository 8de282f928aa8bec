package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/laaledger/laaledger/domain/catalogue"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
)

func runIndicators(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		args = []string{"import", "-h"} // import is the one subcommand: show its flags
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(stderr, "Usage: laaledger indicators import [flags] FILE.csv   (laaledger indicators -h for its flags)")
		return usageError{"expected the subcommand 'import'"}
	}
	return onLedger("indicators import [flags] FILE.csv\n\nThe CSV has the columns of domain/refdata/national_indicators.csv:\nni,number,title,theme,data_source,place_survey,dcsf_statutory,status,source",
		importFlags)(ctx, args[1:], stdout, stderr)
}

func importFlags(fs *flag.FlagSet) ledgerRun {
	effective := fs.String("effective", "", "business date from which the file's content holds, YYYY-MM-DD (required)")
	source := fs.String("source", "", "where the file comes from (default: its file name)")
	actor := fs.String("actor", envOr("USER", "operator"), "id of the person importing")
	return func(ctx context.Context, c *call) error {
		if len(c.args) != 1 {
			return usageError{"give exactly one CSV file"}
		}
		if *effective == "" {
			return usageError{"--effective is required: the business date the file's content holds from"}
		}
		at, err := time.Parse(time.DateOnly, *effective)
		if err != nil {
			return usageError{fmt.Sprintf("--effective %q: want YYYY-MM-DD", *effective)}
		}
		if *source == "" {
			*source = filepath.Base(c.args[0])
		}
		return importIndicators(ctx, c, c.args[0], at, *source, *actor)
	}
}

// importIndicators records the file at path as one ImportIndicators
// command; the same file, date and source is the same command.
func importIndicators(ctx context.Context, c *call, path string, at time.Time, source, actor string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageError{err.Error()}
	}
	rows, err := catalogue.ParseIndicatorCSV(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(append(data, []byte(at.Format(time.DateOnly)+"\x00"+source)...))
	meta := domain.Meta{
		// The same file, date and source is the same command: importing it
		// again records nothing.
		CommandID:  "nis-import-" + hex.EncodeToString(sum[:12]),
		Actor:      domain.Actor{ID: actor, Role: domain.RoleOperator, Organisation: "laaledger operator"},
		OccurredAt: at,
		Reason:     "import of " + source,
		Evidence:   []string{source, "sha256:" + hex.EncodeToString(sum[:])},
	}
	s, err := c.ledger(ctx)
	if err != nil {
		return err
	}
	svc := service.New(s, service.Kinds())
	if err := ensureCatalogueSeed(ctx, svc); err != nil {
		return err
	}
	res, err := svc.Execute(ctx, meta, catalogue.ImportIndicators{Rows: rows, Source: source, EffectiveFrom: at}, nil)
	if err != nil {
		return err
	}
	switch {
	case res.Duplicate:
		fmt.Fprintf(c.stdout, "%s was already imported (catalogue version %d); nothing recorded\n", path, res.LastVersion)
	case len(res.Events) == 0:
		fmt.Fprintf(c.stdout, "%s matches the catalogue (version %d); nothing recorded\n", path, res.LastVersion)
	default:
		fmt.Fprintf(c.stdout, "%s: %d changes recorded; catalogue now at version %d (stream sequence %d)\n", path, len(res.Events), res.LastVersion, res.Sequence)
	}
	return nil
}

// ensureCatalogueSeed records the embedded indicator catalogue once.
func ensureCatalogueSeed(ctx context.Context, svc *service.Service) error {
	if _, err := svc.Execute(ctx, catalogue.SeedMeta(), catalogue.SeedCommand(), nil); err != nil {
		return fmt.Errorf("seed the indicator catalogue: %w", err)
	}
	return nil
}
