package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/laaledger/laaledger/eventstore"
)

// An export bundle is JSON lines, one commit per line with its stream
// sequence ([exportLine]); [export] writes one and [verifyBundle] checks one
// without a server.

func export(ctx context.Context, s *eventstore.Store, o eventstore.ReadOptions, out string, stdout, stderr io.Writer) error {
	var w io.Writer = stdout
	var f *os.File
	var err error
	if out != "-" {
		if f, err = os.Create(out); err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	n := 0
	last, err := s.Read(ctx, o, func(c *eventstore.Commit) error {
		n++
		return enc.Encode(exportLine{Sequence: c.Events[0].Sequence, Commit: c})
	})
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Sync(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d commits up to stream sequence %d to %s\n", n, last, out)
	}
	return nil
}

// exportLine is one line of an export: a commit and its stream sequence.
type exportLine struct {
	Sequence uint64             `json:"sequence"`
	Commit   *eventstore.Commit `json:"commit"`
}

// verifyBundle checks an export's hash chains without any server. An export
// that starts after sequence 1 can only be checked from its first event of
// each aggregate on; that is said, not hidden.
func verifyBundle(path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err.Error()}
	}
	defer f.Close()
	v := eventstore.NewChainVerifier()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var commits, events int
	var last uint64
	for line := 1; sc.Scan(); line++ {
		var l exportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Commit == nil || len(l.Commit.Events) == 0 {
			return fmt.Errorf("%s line %d: %w: not an export line", path, line, eventstore.ErrTampered)
		}
		if l.Sequence <= last {
			return fmt.Errorf("%s line %d: %w: sequence %d after %d", path, line, eventstore.ErrTampered, l.Sequence, last)
		}
		last = l.Sequence
		commits++
		for i := range l.Commit.Events {
			e := &l.Commit.Events[i]
			e.Sequence = l.Sequence
			events++
			if err := v.Check(e); err != nil {
				return fmt.Errorf("%s line %d: %w", path, line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundle intact: %d events in %d commits, up to stream sequence %d; every hash chain verifies\n", events, commits, last)
	return nil
}
