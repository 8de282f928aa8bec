package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// aggregateArgs reads "KIND ID" (laa 00EB/2008-11) from the arguments.
func aggregateArgs(fs interface{ Args() []string }) (eventstore.Aggregate, error) {
	args := fs.Args()
	if len(args) != 2 {
		return eventstore.Aggregate{}, usageError{"give the aggregate as KIND ID, e.g. laa 00EB/2008-11, caa 00EB/2009, oa 00EB/2009 or nis catalogue"}
	}
	agg := eventstore.Aggregate{Kind: args[0], ID: args[1]}
	if !projections.IsKind(agg.Kind) {
		return agg, usageError{fmt.Sprintf("unknown kind %q: use one of %s", agg.Kind, strings.Join(projections.Kinds(), ", "))}
	}
	if _, err := agg.Subject(); err != nil {
		return agg, usageError{err.Error()}
	}
	return agg, nil
}

// asOfFlags registers --as-of and --known-at, one per [projections.Basis].
type asOfFlags map[projections.Basis]*string

func registerAsOf(fs *flag.FlagSet) asOfFlags {
	f := asOfFlags{}
	for _, b := range projections.Bases {
		f[b] = fs.String(b.Flag(), "", fmt.Sprintf("the state %s this instant (%s)", b.Phrase(), b.Clock()))
	}
	return f
}

// point is the state view the flags select: the current state, or the
// state as of one instant on one basis.
func (f asOfFlags) point() (projections.AsOf, error) {
	at := projections.AsOf{Basis: projections.Current}
	for _, b := range projections.Bases {
		if *f[b] == "" {
			continue
		}
		if at.Basis != projections.Current {
			return at, usageError{fmt.Sprintf("give --%s (%s) or --%s (%s), not both",
				projections.Recorded.Flag(), projections.Recorded.Clock(), projections.Known.Flag(), projections.Known.Clock())}
		}
		t, err := parseInstant("--"+b.Flag(), *f[b])
		if err != nil {
			return at, err
		}
		at = projections.AsOf{Basis: b, At: t}
	}
	return at, nil
}

func parseInstant(flag, v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			if layout == time.DateOnly {
				t = t.Add(24*time.Hour - time.Nanosecond) // the whole day
			}
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("%s %q: want YYYY-MM-DD or RFC 3339", flag, v)}
}

func stateFlags(fs *flag.FlagSet) ledgerRun {
	var srv serverFlags
	srv.register(fs)
	asOf := registerAsOf(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		agg, err := aggregateArgs(c)
		if err != nil {
			return err
		}
		at, err := asOf.point()
		if err != nil {
			return err
		}
		q, done, err := openQueries(ctx, c, &srv)
		if err != nil {
			return err
		}
		defer done()
		v, err := q.State(ctx, agg, at)
		if err != nil {
			return err
		}
		remote := srv.server != ""
		suffix := ""
		if at.Basis != projections.Current {
			suffix = " (" + at.String() + ")"
		}
		if *asJSON {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			out := map[string]any{"aggregate": agg, "version": v.Version, "state": v.State}
			if !remote {
				out["version"], out["events_applied"] = v.Latest, v.Applied
			}
			return enc.Encode(out)
		}
		if remote {
			fmt.Fprintf(c.stdout, "%s — as folded by the server up to version %d%s\n\n", agg, v.Version, suffix)
		} else {
			fmt.Fprintf(c.stdout, "%s — %d of %d events applied%s\n\n", agg, v.Applied, v.Latest, suffix)
		}
		printState(c.stdout, v.State)
		return nil
	}
}

// printState prints a human view of a folded state.
func printState(w io.Writer, state any) {
	switch s := state.(type) {
	case laa.Agreement:
		fmt.Fprintf(w, "%s %s (%s) — %s\n", s.ID, s.AreaName, s.Region, s.Status)
		if !s.LockdownFrom.IsZero() {
			fmt.Fprintf(w, "reward lockdown since %s\n", s.LockdownFrom.Format(time.DateOnly))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tKIND\tSTATUS\tAGREED VALUES\tOPEN PROPOSAL\tREVISIONS\tTITLE")
		for _, k := range slices.Sorted(maps.Keys(s.Targets)) {
			t := s.Targets[k]
			open := "-"
			if t.Open != nil {
				open = fmt.Sprintf("round %d by %s: %s", t.Open.Round, t.Open.Side, formatValues(t.Open.Values))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k, t.Kind, t.Status, orDash(formatValues(t.Values)), open, t.Revisions, t.Title)
		}
		tw.Flush()
	case caa.AreaAssessment:
		pub := "not published"
		if s.Published {
			pub = "published " + s.PublishedOn
		}
		fmt.Fprintf(w, "CAA area assessment %s/%d %s — %s\n\n", s.Area, s.Year, s.AreaName, pub)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FLAG\tCOLOUR\tSTATUS\tTHEME\tINDICATORS")
		for _, id := range s.FlagOrder {
			f := s.Flags[id]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\n", id, f.Colour, f.Status, f.Theme, f.Indicators)
		}
		tw.Flush()
	default:
		b, _ := json.MarshalIndent(state, "", "  ")
		fmt.Fprintln(w, string(b))
	}
}

func formatValues(v laa.Values) string { return formatYears(v, "%s %g") }

// formatYears prints a value per year, years in order, with format taking
// the year and the value.
func formatYears(v laa.Values, format string) string {
	if len(v) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(v))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf(format, k, v[k])
	}
	return strings.Join(parts, ", ")
}

func replayFlags(fs *flag.FlagSet) ledgerRun {
	upTo := fs.Uint64("to-version", 0, "stop after this aggregate version (default: all)")
	asJSON := fs.Bool("json", false, "print one JSON object per event with the state after it")
	return func(ctx context.Context, c *call) error {
		agg, err := aggregateArgs(c)
		if err != nil {
			return err
		}
		q, done, err := localReader(ctx, c)
		if err != nil {
			return err
		}
		defer done()
		enc := json.NewEncoder(c.stdout)
		err = q.Replay(ctx, agg, func(e *projections.Entry, state any) error {
			if *upTo > 0 && e.AggregateVersion > *upTo {
				return errStop
			}
			if *asJSON {
				return enc.Encode(map[string]any{"event": e, "state": state})
			}
			fmt.Fprintf(c.stdout, "── v%d  %s  %s by %s\n", e.AggregateVersion, e.OccurredAt.Format(time.DateOnly), e.Type, e.Actor.ID)
			if e.Reason != "" {
				fmt.Fprintf(c.stdout, "   why: %s\n", e.Reason)
			}
			fmt.Fprintf(c.stdout, "   recorded %s, stream sequence %d\n   now: %s\n", e.RecordedAt.Format(time.RFC3339), e.Sequence, summarise(state))
			return nil
		})
		if err == errStop {
			err = nil
		}
		return err
	}
}

var errStop = fmt.Errorf("stop")

// summarise is a one-line account of a state.
func summarise(state any) string {
	switch s := state.(type) {
	case laa.Agreement:
		counts := map[laa.TargetStatus]int{}
		for _, t := range s.Targets {
			counts[t.Status]++
		}
		return fmt.Sprintf("agreement %s; targets: %d agreed, %d negotiating, %d withdrawn", orDash(string(s.Status)),
			counts[laa.TargetStatusAgreed], counts[laa.TargetStatusNegotiating], counts[laa.TargetStatusWithdrawn])
	case caa.AreaAssessment:
		return fmt.Sprintf("assessment with %d standing flags; pre-published %v; published %v", len(s.StandingFlags()), s.PrePublished, s.Published)
	case caa.OrgAssessment:
		return fmt.Sprintf("scores %+v; published %v", s.Scores, s.Published)
	case catalogue.Catalogue:
		return fmt.Sprintf("catalogue version %d", s.Version)
	}
	return fmt.Sprintf("%T", state)
}

func historyFlags(fs *flag.FlagSet) ledgerRun {
	typ := fs.String("type", "", "only events of this type (e.g. laa.TargetProposed)")
	asJSON := fs.Bool("json", false, "print one JSON event per line")
	return func(ctx context.Context, c *call) error {
		agg, err := aggregateArgs(c)
		if err != nil {
			return err
		}
		var types []string
		if *typ != "" {
			types = []string{*typ}
		}
		q, done, err := localReader(ctx, c)
		if err != nil {
			return err
		}
		defer done()
		events, err := q.History(ctx, agg, types)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(c.stdout)
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		if !*asJSON {
			fmt.Fprintln(tw, "BUSINESS TIME\tRECORDED\tV\tTYPE\tACTOR\tREASON")
		}
		for _, e := range events {
			if *asJSON {
				if err := enc.Encode(e); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s (%s, %s)\t%s\n", e.OccurredAt.Format(time.DateOnly), e.RecordedAt.Format("2006-01-02 15:04:05"),
				e.AggregateVersion, e.Type, e.Actor.ID, e.Actor.Role, e.Actor.Organisation, e.Reason)
		}
		return tw.Flush()
	}
}
