package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

func init() {
	register("tail", "print ledger events as they are stored (from a sequence or a time), following by default", runTail)
	register("export", "write the ledger (or part of it) as JSON lines, one commit per line, for offline verification", runExport)
}

func readOptions(fs interface {
	String(string, string, string) *string
	Uint64(string, uint64, string) *uint64
}) (func() (eventstore.ReadOptions, error), *string) {
	from := fs.Uint64("from-seq", 0, "start at this stream sequence")
	since := fs.String("since", "", "start at the first commit recorded at or after this time (YYYY-MM-DD or RFC 3339)")
	kind := fs.String("kind", "", "only this aggregate kind (laa, caa, oa, nis)")
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
		if *area != "" && *kind == "" {
			return o, usageError{"--area needs --kind"}
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
	}, kind
}

func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	fs := newFlagSet("tail", "tail [flags]", stderr)
	sf.register(fs)
	opts, _ := readOptions(fs)
	noFollow := fs.Bool("no-follow", false, "stop at the end of the ledger instead of waiting for new events")
	asJSON := fs.Bool("json", false, "print one JSON envelope per line")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := opts()
	if err != nil {
		return err
	}
	s, err := sf.open(ctx, newLogger(stderr, false))
	if err != nil {
		return err
	}
	defer s.Close()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	print := func(c *eventstore.Commit) error {
		for i := range c.Events {
			e := &c.Events[i]
			if *asJSON {
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
	if *noFollow {
		_, err = s.Read(ctx, o, print)
		return err
	}
	return s.Subscribe(ctx, o, print)
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sf storeFlags
	var nf notaryFlags
	fs := newFlagSet("export", "export [flags] [-o FILE]", stderr)
	sf.register(fs)
	nf.register(fs)
	opts, _ := readOptions(fs)
	out := fs.String("o", "-", "output file (- for standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	o, err := opts()
	if err != nil {
		return err
	}
	s, err := sf.open(ctx, newLogger(stderr, false))
	if err != nil {
		return err
	}
	defer s.Close()
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	}
	var n int
	var last uint64
	if o.FromSequence <= 1 && o.FromTime.IsZero() && (o.Filter == "" || o.Filter == eventstore.SubjectPrefix+".>") {
		// The whole ledger: notarised, with its checkpoints and key.
		n, err = exportNotarised(ctx, &sf, &nf, s, w, newLogger(stderr, false))
		last = uint64(n)
	} else {
		n, last, err = exportFiltered(ctx, &sf, &nf, s, o, w, newLogger(stderr, false))
	}
	if err != nil {
		return err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d commits up to stream sequence %d to %s\n", n, last, *out)
	}
	return nil
}
