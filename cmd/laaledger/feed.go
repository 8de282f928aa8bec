package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// readFlags are the flags that choose which events to read, as given.
type readFlags struct {
	from              *uint64
	since, kind, area *string
}

// query is the flags as the query of GET /v1/export.
func (f readFlags) query() url.Values {
	q := url.Values{}
	if *f.from > 0 {
		q.Set("from_sequence", strconv.FormatUint(*f.from, 10))
	}
	for name, v := range map[string]string{"since": *f.since, "kind": *f.kind, "area": *f.area} {
		if v != "" {
			q.Set(name, v)
		}
	}
	return q
}

func readOptions(fs interface {
	String(string, string, string) *string
	Uint64(string, uint64, string) *uint64
}) (func() (eventstore.ReadOptions, error), readFlags) {
	from := fs.Uint64("from-seq", 0, "start at this stream sequence")
	since := fs.String("since", "", "start at the first commit recorded at or after this time (YYYY-MM-DD or RFC 3339)")
	kind := fs.String("kind", "", "only this aggregate kind ("+strings.Join(projections.Kinds(), ", ")+")")
	area := fs.String("area", "", "only this area's aggregates (with --kind)")
	return func() (eventstore.ReadOptions, error) {
		o := eventstore.ReadOptions{FromSequence: *from}
		if *since != "" {
			t, err := time.Parse(time.DateOnly, *since)
			if err != nil {
				if t, err = time.Parse(time.RFC3339Nano, *since); err != nil {
					return o, usageError{fmt.Sprintf("--since %q: want YYYY-MM-DD or RFC 3339", *since)}
				}
			}
			o.FromTime = t
		}
		if *kind != "" && !projections.IsKind(*kind) {
			return o, usageError{fmt.Sprintf("--kind %q: unknown aggregate kind; use one of %s", *kind, strings.Join(projections.Kinds(), ", "))}
		}
		if *area != "" && *kind == "" {
			return o, usageError{"--area needs --kind"}
		}
		if _, ok := domain.LookupArea(*area); *area != "" && !ok {
			return o, usageError{fmt.Sprintf("--area %q: no LAA area has that 2008 ONS/SNAC code (such as 00EB, Hartlepool)", *area)}
		}
		var toks []string
		if *area != "" {
			toks = []string{*area}
		}
		f, err := eventstore.FilterSubject(*kind, toks...)
		if err != nil {
			return o, usageError{err.Error()}
		}
		o.Filter = f
		return o, nil
	}, readFlags{from: from, since: since, kind: kind, area: area}
}

// reading adds the flags that choose which events to read (see
// [readOptions]) and returns a run that checks them, opens the ledger and
// calls read.
func reading(fs *flag.FlagSet, read func(ctx context.Context, c *call, s *eventstore.Store, o eventstore.ReadOptions) error) ledgerRun {
	return readingOr(fs, nil, read)
}

// readingOr is [reading] for a command that may ask a running server
// instead: remote, when it is not nil and returns true, has done the work.
func readingOr(fs *flag.FlagSet, remote func(ctx context.Context, c *call, f readFlags) (bool, error), read func(ctx context.Context, c *call, s *eventstore.Store, o eventstore.ReadOptions) error) ledgerRun {
	opts, raw := readOptions(fs)
	return func(ctx context.Context, c *call) error {
		o, err := opts()
		if err != nil {
			return err
		}
		if remote != nil {
			if done, err := remote(ctx, c, raw); done || err != nil {
				return err
			}
		}
		s, err := c.ledger(ctx)
		if err != nil {
			return err
		}
		return read(ctx, c, s, o)
	}
}

func tailFlags(fs *flag.FlagSet) ledgerRun {
	noFollow := fs.Bool("no-follow", false, "stop at the end of the ledger instead of waiting for new events")
	asJSON := fs.Bool("json", false, "print one JSON envelope per line")
	return reading(fs, func(ctx context.Context, c *call, s *eventstore.Store, o eventstore.ReadOptions) error {
		return tail(ctx, s, o, c.stdout, *noFollow, *asJSON)
	})
}

func tail(ctx context.Context, s *eventstore.Store, o eventstore.ReadOptions, stdout io.Writer, noFollow, asJSON bool) error {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	print := func(c *eventstore.Commit) error {
		for i := range c.Events {
			e := &c.Events[i]
			if asJSON {
				if err := enc.Encode(e); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(w, "%8d  %s  %-14s %-32s %s (%s)  %s\n", e.Sequence, e.OccurredAt.Format(time.DateOnly),
				e.AggregateKind+" "+e.AggregateID, e.Type, e.Actor.ID, e.Actor.Role, e.Reason)
		}
		return w.Flush()
	}
	if noFollow {
		_, err := s.Read(ctx, o, print)
		return err
	}
	return s.Subscribe(ctx, o, print)
}

func exportFlags(fs *flag.FlagSet) ledgerRun {
	var nf notaryFlags
	nf.register(fs)
	var srv serverFlags
	srv.register(fs)
	out := fs.String("o", "-", "output file (- for standard output)")
	remote := func(ctx context.Context, c *call, f readFlags) (bool, error) {
		if srv.server == "" {
			return false, nil
		}
		return true, exportFromServer(ctx, &srv, f.query(), *out, c.stdout, c.stderr)
	}
	return readingOr(fs, remote, func(ctx context.Context, c *call, s *eventstore.Store, o eventstore.ReadOptions) error {
		return export(ctx, c, &nf, s, o, *out)
	})
}
