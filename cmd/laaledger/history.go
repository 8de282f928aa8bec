package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
)

func init() {
	register("state", "show an aggregate's state now, --as-of a recorded time or --known-at a business time", runState)
	register("replay", "step through an aggregate's history, showing the state after each event", runReplay)
	register("history", "list one aggregate's events (business and recorded time, actor, reason)", runHistory)
}

// aggregateArgs reads "KIND ID" (laa 00EB/2008-11) from the arguments.
func aggregateArgs(fs interface{ Args() []string }) (eventstore.Aggregate, error) {
	args := fs.Args()
	if len(args) != 2 {
		return eventstore.Aggregate{}, usageError{"give the aggregate as KIND ID, e.g. laa 00EB/2008-11, caa 00EB/2009, oa 00EB/2009 or nis catalogue"}
	}
	agg := eventstore.Aggregate{Kind: args[0], ID: args[1]}
	if _, ok := service.Kinds()[agg.Kind]; !ok {
		return agg, usageError{fmt.Sprintf("unknown kind %q: use laa, caa, oa or nis", agg.Kind)}
	}
	if _, err := agg.Subject(); err != nil {
		return agg, usageError{err.Error()}
	}
	return agg, nil
}

// asOf selects events by time: Recorded keeps what the ledger held at that
// instant; Known keeps what is now known to have happened by then,
// including facts recorded later.
type asOf struct {
	Recorded time.Time
	Known    time.Time
}

func (a asOf) keep(e *eventstore.Envelope) bool {
	if !a.Recorded.IsZero() && e.RecordedAt.After(a.Recorded) {
		return false
	}
	if !a.Known.IsZero() && e.OccurredAt.After(a.Known) {
		return false
	}
	return true
}

func parseInstant(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
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

// foldHistory decodes and folds the aggregate's events that sel keeps.
func foldHistory(h eventstore.History, sel asOf, each func(e *eventstore.Envelope, state any) error) (any, int, error) {
	kind := service.Kinds()[h.Aggregate.Kind]
	state := kind.Zero()
	n := 0
	for i := range h.Events {
		e := &h.Events[i]
		if !sel.keep(e) {
			continue
		}
		de, err := domain.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			return nil, n, fmt.Errorf("%s version %d: %w", h.Aggregate, e.AggregateVersion, err)
		}
		state = kind.Apply(state, de)
		n++
		if each != nil {
			if err := each(e, state); err != nil {
				return nil, n, err
			}
		}
	}
	return state, n, nil
}

// sortByBusinessTime orders events by business time, then ledger order.
func sortByBusinessTime(events []eventstore.Envelope) []eventstore.Envelope {
	out := append([]eventstore.Envelope(nil), events...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].OccurredAt.Before(out[j].OccurredAt) })
	return out
}

// parseAndLoad parses the flags and the KIND ID arguments and loads that
// aggregate's history.
func parseAndLoad(ctx context.Context, fs *flag.FlagSet, sf *storeFlags, args []string, stderr io.Writer) (eventstore.Aggregate, eventstore.History, error) {
	if err := parse(fs, args); err != nil {
		return eventstore.Aggregate{}, eventstore.History{}, err
	}
	agg, err := aggregateArgs(fs)
	if err != nil {
		return agg, eventstore.History{}, err
	}
	h, err := openHistory(ctx, sf, stderr, agg)
	return agg, h, err
}

func openHistory(ctx context.Context, sf *storeFlags, stderr io.Writer, agg eventstore.Aggregate) (eventstore.History, error) {
	s, err := sf.open(ctx, newLogger(stderr, false))
	if err != nil {
		return eventstore.History{}, err
	}
	defer s.Close()
	h, err := s.LoadFresh(ctx, agg)
	if err != nil {
		return h, err
	}
	if h.Version == 0 {
		return h, fmt.Errorf("%s: %w: no events", agg, eventstore.ErrNotFound)
	}
	return h, nil
}

func runState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	var srv serverFlags
	fs := newFlagSet("state", "state [flags] KIND ID", stderr)
	sf.register(fs)
	srv.register(fs)
	recorded := fs.String("as-of", "", "state as the ledger recorded it at this instant (recorded time)")
	known := fs.String("known-at", "", "state as now known to have been at this instant (business time, including later corrections)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	agg, err := aggregateArgs(fs)
	if err != nil {
		return err
	}
	var sel asOf
	if sel.Recorded, err = parseInstant("--as-of", *recorded); err != nil {
		return err
	}
	if sel.Known, err = parseInstant("--known-at", *known); err != nil {
		return err
	}
	var state any
	var applied, version uint64
	remote := srv.server != ""
	if remote {
		state, version, err = srv.remoteState(ctx, agg, sel)
	} else {
		state, applied, version, err = localState(ctx, &sf, stderr, agg, sel)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		out := map[string]any{"aggregate": agg, "version": version, "state": state}
		if !remote {
			out["events_applied"] = applied
		}
		return enc.Encode(out)
	}
	if remote {
		fmt.Fprintf(stdout, "%s — as folded by the server up to version %d%s\n\n", agg, version, describeSel(sel))
	} else {
		fmt.Fprintf(stdout, "%s — %d of %d events applied%s\n\n", agg, applied, version, describeSel(sel))
	}
	printState(stdout, state)
	return nil
}

// localState folds the aggregate from the data directory.
func localState(ctx context.Context, sf *storeFlags, stderr io.Writer, agg eventstore.Aggregate, sel asOf) (any, uint64, uint64, error) {
	h, err := openHistory(ctx, sf, stderr, agg)
	if err != nil {
		return nil, 0, 0, err
	}
	// Events are folded in the order they were decided (version order),
	// keeping those selected by time, as the API's as-of views do.
	state, n, err := foldHistory(h, sel, nil)
	return state, uint64(n), h.Version, err
}

func describeSel(sel asOf) string {
	var parts []string
	if !sel.Recorded.IsZero() {
		parts = append(parts, "as recorded at "+sel.Recorded.Format(time.RFC3339))
	}
	if !sel.Known.IsZero() {
		parts = append(parts, "as now known at "+sel.Known.Format(time.RFC3339))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// printState prints a human view of a folded state.
func printState(w io.Writer, state any) {
	switch s := state.(type) {
	case domain.Agreement:
		fmt.Fprintf(w, "%s %s (%s) — %s\n", s.ID, s.AreaName, s.Region, s.Status)
		if !s.LockdownFrom.IsZero() {
			fmt.Fprintf(w, "reward lockdown since %s\n", s.LockdownFrom.Format(time.DateOnly))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TARGET\tKIND\tSTATUS\tAGREED VALUES\tOPEN PROPOSAL\tREVISIONS\tTITLE")
		keys := make([]string, 0, len(s.Targets))
		for k := range s.Targets {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t := s.Targets[k]
			open := "-"
			if t.Open != nil {
				open = fmt.Sprintf("round %d by %s: %s", t.Open.Round, t.Open.Side, formatValues(t.Open.Values))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", k, t.Kind, t.Status, orDash(formatValues(t.Values)), open, t.Revisions, t.Title)
		}
		tw.Flush()
	case domain.AreaAssessment:
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

func formatValues(v domain.Values) string { return formatYears(v, "%s %g") }

// formatYears prints a value per year, years in order, with format taking
// the year and the value.
func formatYears(v domain.Values, format string) string {
	if len(v) == 0 {
		return ""
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf(format, k, v[k])
	}
	return strings.Join(parts, ", ")
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("replay", "replay [flags] KIND ID", stderr)
	sf.register(fs)
	upTo := fs.Uint64("to-version", 0, "stop after this aggregate version (default: all)")
	asJSON := fs.Bool("json", false, "print one JSON object per event with the state after it")
	_, h, err := parseAndLoad(ctx, fs, &sf, args, stderr)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	_, _, err = foldHistory(h, asOf{}, func(e *eventstore.Envelope, state any) error {
		if *upTo > 0 && e.AggregateVersion > *upTo {
			return errStop
		}
		if *asJSON {
			return enc.Encode(map[string]any{"event": e, "state": state})
		}
		fmt.Fprintf(stdout, "── v%d  %s  %s by %s\n", e.AggregateVersion, e.OccurredAt.Format(time.DateOnly), e.Type, e.Actor.ID)
		if e.Reason != "" {
			fmt.Fprintf(stdout, "   why: %s\n", e.Reason)
		}
		fmt.Fprintf(stdout, "   recorded %s, stream sequence %d\n   now: %s\n", e.RecordedAt.Format(time.RFC3339), e.Sequence, summarise(state))
		return nil
	})
	if err == errStop {
		err = nil
	}
	return err
}

var errStop = fmt.Errorf("stop")

// summarise is a one-line account of a state.
func summarise(state any) string {
	switch s := state.(type) {
	case domain.Agreement:
		counts := map[domain.TargetStatus]int{}
		for _, t := range s.Targets {
			counts[t.Status]++
		}
		return fmt.Sprintf("agreement %s; targets: %d agreed, %d negotiating, %d withdrawn", orDash(string(s.Status)),
			counts[domain.TargetStatusAgreed], counts[domain.TargetStatusNegotiating], counts[domain.TargetStatusWithdrawn])
	case domain.AreaAssessment:
		return fmt.Sprintf("assessment with %d standing flags; pre-published %v; published %v", len(s.StandingFlags()), s.PrePublished, s.Published)
	case domain.OrgAssessment:
		return fmt.Sprintf("scores %+v; published %v", s.Scores, s.Published)
	case domain.Catalogue:
		return fmt.Sprintf("catalogue version %d", s.Version)
	}
	return fmt.Sprintf("%T", state)
}

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("history", "history [flags] KIND ID", stderr)
	sf.register(fs)
	typ := fs.String("type", "", "only events of this type (e.g. laa.TargetProposed)")
	asJSON := fs.Bool("json", false, "print one JSON envelope per line")
	_, h, err := parseAndLoad(ctx, fs, &sf, args, stderr)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "BUSINESS TIME\tRECORDED\tV\tTYPE\tACTOR\tREASON")
	}
	for _, e := range sortByBusinessTime(h.Events) {
		if *typ != "" && e.Type != *typ {
			continue
		}
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
