package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/service"
)

func runDemo(ctx context.Context, c *call) error {
	s, err := c.ledger(ctx)
	if err != nil {
		return err
	}
	before, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	svc := service.New(s, service.Kinds())
	outcomes, err := loadDemo(ctx, svc)
	if err != nil {
		return err
	}
	after, err := s.LastSequence(ctx)
	if err != nil {
		return err
	}
	return printDemoSummary(ctx, c.stdout, svc, outcomes, after-before)
}

func loadDemo(ctx context.Context, svc *service.Service) ([]service.Outcome, error) {
	outcomes, err := svc.RunSteps(ctx, service.DemoSteps())
	if err != nil {
		return nil, fmt.Errorf("load demo history: %w", err)
	}
	return outcomes, nil
}

func printDemoSummary(ctx context.Context, w io.Writer, svc *service.Service, outcomes []service.Outcome, appended uint64) error {
	fmt.Fprintf(w, "Demo history: %d commands, %d new commits in the ledger (0 means it was already loaded).\n", len(outcomes), appended)
	fmt.Fprintf(w, "Note: %s.\n\n", demo.Illustrative)

	agreements := map[string]bool{}
	assessments := map[string]bool{}
	for _, o := range outcomes {
		ref := o.Step.Command.Aggregate()
		switch ref.Kind {
		case domain.KindAgreement:
			agreements[ref.ID] = true
		case domain.KindAreaAssessment:
			assessments[ref.ID] = true
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGREEMENT\tAREA\tREGION\tSTATUS\tAGREED\tREFRESHED\tLOCKED SINCE")
	for _, id := range slices.Sorted(maps.Keys(agreements)) {
		a, err := stateOf[laa.Agreement](ctx, svc, domain.KindAgreement, id)
		if err != nil {
			return err
		}
		agreed, refreshed := 0, 0
		for _, t := range a.Targets {
			if t.Status == laa.TargetStatusAgreed {
				agreed++
			}
			if t.Revisions > 0 {
				refreshed++
			}
		}
		locked := "-"
		if !a.LockdownFrom.IsZero() {
			locked = a.LockdownFrom.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", id, a.AreaName, a.Region, a.Status, agreed, refreshed, locked)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSESSMENT\tAREA\tPUBLISHED\tRED FLAGS\tGREEN FLAGS")
	for _, id := range slices.Sorted(maps.Keys(assessments)) {
		a, err := stateOf[caa.AreaAssessment](ctx, svc, domain.KindAreaAssessment, id)
		if err != nil {
			return err
		}
		var red, green []string
		for _, f := range a.StandingFlags() {
			label := f.ID + " " + f.Theme
			if f.Colour == caa.FlagRed {
				red = append(red, label)
			} else {
				green = append(green, label)
			}
		}
		pub := "no"
		if a.Published {
			pub = a.PublishedOn
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id, a.AreaName, pub, orDash(strings.Join(red, "; ")), orDash(strings.Join(green, "; ")))
	}
	tw.Flush()
	refused := 0
	for _, o := range outcomes {
		if o.Err != nil {
			refused++
		}
	}
	fmt.Fprintf(w, "\n%d commands were refused by the rules, as the demo intends (for example: %s).\n", refused, firstRefusal(outcomes))
	return nil
}

func firstRefusal(outcomes []service.Outcome) string {
	for _, o := range outcomes {
		if o.Err != nil && o.Step.Command.Aggregate().Kind == domain.KindAgreement {
			return o.Err.Error()
		}
	}
	return "none"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stateOf returns the current state of the aggregate kind/id, of type S.
func stateOf[S any](ctx context.Context, svc *service.Service, kind, id string) (S, error) {
	st, _, err := svc.State(ctx, domain.AggregateRef{Kind: kind, ID: id})
	if err != nil {
		var zero S
		return zero, err
	}
	return st.(S), nil
}
