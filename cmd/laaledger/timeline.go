package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

func timelineFlags(fs *flag.FlagSet) ledgerRun {
	var srv serverFlags
	srv.register(fs)
	agreement := fs.String("agreement", "", "agreement id, e.g. 00EB/2008-11")
	target := fs.String("target", "", "with --agreement: the target, e.g. \"NI 112\" or \"LOCAL HP-L1\"")
	area := fs.String("area", "", "area SNAC code")
	indicator := fs.Int("indicator", 0, "NI number")
	actor := fs.String("actor", "", "actor id")
	org := fs.String("organisation", "", "organisation (area code, region name, CLG, …)")
	types := fs.String("type", "", "comma-separated event types to keep")
	from := fs.String("from", "", "business time from (YYYY-MM-DD)")
	to := fs.String("to", "", "business time before (YYYY-MM-DD)")
	limit := fs.Int("limit", 1000, "at most this many entries")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		chosen := 0
		for _, set := range []bool{*agreement != "", *area != "", *indicator != 0, *actor != "", *org != ""} {
			if set {
				chosen++
			}
		}
		if chosen != 1 {
			return usageError{"choose exactly one of --agreement, --area, --indicator, --actor, --organisation"}
		}
		if *target != "" && *agreement == "" {
			return usageError{"--target needs --agreement"}
		}
		q := projections.TimelineQuery{Limit: *limit}
		if *types != "" {
			q.Types = strings.Split(*types, ",")
		}
		var err error
		if q.From, err = parseDay("--from", *from); err != nil {
			return err
		}
		if q.To, err = parseDay("--to", *to); err != nil {
			return err
		}
		qs, done, err := openQueries(ctx, c, &srv)
		if err != nil {
			return err
		}
		defer done()
		switch {
		case *target != "":
			v, err := qs.TargetRounds(ctx, *agreement, *target)
			if err != nil {
				return err
			}
			return printRounds(c.stdout, *asJSON, map[string][]projections.Round{*agreement: v.Rounds}, *agreement+" "+*target)
		case *indicator != 0:
			v, err := qs.Indicator(ctx, *indicator)
			if err != nil {
				return err
			}
			rounds := map[string][]projections.Round{}
			for _, t := range v.Targets {
				rounds[t.Agreement] = append(rounds[t.Agreement], t.Rounds...)
			}
			return printRounds(c.stdout, *asJSON, rounds, "NI "+strconv.Itoa(*indicator)+" across every area")
		}
		var scope projections.TimelineScope
		switch {
		case *agreement != "":
			scope.Aggregate = eventstore.Aggregate{Kind: domain.KindAgreement, ID: *agreement}
		case *area != "":
			scope.Area = *area
		case *actor != "":
			scope.Actor = *actor
		default:
			scope.Organisation = *org
		}
		page, err := qs.Timeline(ctx, scope, q)
		if err != nil {
			return err
		}
		return printTimeline(c.stdout, page.TimelinePage, *asJSON)
	}
}

func printTimeline(stdout io.Writer, page projections.TimelinePage, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(stdout).Encode(page)
	}
	if len(page.Entries) == 0 {
		return fmt.Errorf("%w: no events match", eventstore.ErrNotFound)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BUSINESS TIME\tRECORDED\tAGGREGATE\tTYPE\tACTOR\tREASON")
	for _, e := range page.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s, %s)\t%s\n", e.OccurredAt.Format(time.DateOnly), e.RecordedAt.Format("2006-01-02 15:04"),
			e.Aggregate().String(), e.Type, e.Actor.ID, e.Actor.Role, e.Actor.Organisation, e.Reason)
	}
	if page.Next != "" {
		fmt.Fprintf(tw, "… more: raise --limit or narrow with --from/--to/--type\n")
	}
	return tw.Flush()
}

func parseDay(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, usageError{fmt.Sprintf("%s %q: want YYYY-MM-DD", flag, v)}
	}
	return t, nil
}

// printRounds shows negotiation rounds: who proposed what values, when,
// why, and the change from the previous round.
func printRounds(w io.Writer, asJSON bool, rounds map[string][]projections.Round, title string) error {
	if asJSON {
		return json.NewEncoder(w).Encode(rounds)
	}
	total := 0
	for _, rs := range rounds {
		total += len(rs)
	}
	if total == 0 {
		return fmt.Errorf("%s: %w: no rounds recorded", title, eventstore.ErrNotFound)
	}
	fmt.Fprintf(w, "%s\n\n", title)
	keys := make([]string, 0, len(rounds))
	for k := range rounds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGREEMENT\tBUSINESS TIME\tEVENT\tROUND\tBY\tVALUES\tCHANGE\tWHY")
	for _, k := range keys {
		for _, r := range rounds[k] {
			why := r.Rationale
			if why == "" {
				why = r.Reason
			}
			if r.Ground != "" {
				why = string(r.Ground) + ": " + why
			}
			vals := formatValues(r.Values)
			if r.Year != "" {
				vals = fmt.Sprintf("outturn %s: %s", r.Year, vals)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s (%s)\t%s\t%s\t%s\n", k, r.OccurredAt.Format(time.DateOnly), strings.TrimPrefix(r.Type, "laa."),
				roundLabel(r), r.By.ID, r.Side, orDash(vals), orDash(formatChange(r.Change)), why)
		}
	}
	return tw.Flush()
}

func roundLabel(r projections.Round) string {
	if r.Round == 0 {
		return "-"
	}
	if r.Refresh {
		return "refresh " + strconv.Itoa(r.Round)
	}
	return strconv.Itoa(r.Round)
}

func formatChange(v laa.Values) string { return formatYears(v, "%s %+g") }
