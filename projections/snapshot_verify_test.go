package projections_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
)

// snapshotOf writes the query service's snapshot of the demo ledger in
// dir, as serve does when it stops, and returns the ledger.
func snapshotOf(t *testing.T, ctx context.Context, dir string) (*estest.Ledger, uint64) {
	t.Helper()
	l := estest.Open(t)
	last := loadDemo(t, ctx, l.Store).last
	q, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	catchUp(t, ctx, q.Runner(), last)
	return l, last
}

func verifySnapshot(ctx context.Context, l *estest.Ledger, dir string) ([]projections.SnapshotSection, error) {
	return projections.VerifyReaderSnapshot(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet})
}

func TestVerifySnapshotPassesAnUntouchedSnapshot(t *testing.T) {
	ctx := estest.Context(t)
	dir := t.TempDir()
	l, last := snapshotOf(t, ctx, dir)
	secs, err := verifySnapshot(ctx, l, dir)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, s := range secs {
		if s.Skipped != "" || s.Position != last || len(s.Digest) != 64 {
			t.Errorf("section %+v: want checked at %d with a digest", s, last)
		}
		names = append(names, s.Model)
	}
	if got := strings.Join(names, ","); got != "timelines,agreements,assessments" {
		t.Errorf("sections %s", got)
	}
}

// An edited timeline entry with the CRC recomputed was served as truth:
// the runner loads it. verify must refuse it, naming the model, whether or
// not the digest recorded with it was recomputed too.
func TestVerifySnapshotRefusesAForgedTimelineEntry(t *testing.T) {
	for _, redigest := range []bool{false, true} {
		name := map[bool]string{false: "stale digest", true: "digest recomputed"}[redigest]
		t.Run(name, func(t *testing.T) {
			ctx := estest.Context(t)
			dir := t.TempDir()
			l, last := snapshotOf(t, ctx, dir)
			err := projections.ForgeSnapshotSection(dir, "timelines", projections.NewTimelines(), redigest, func(b []byte) []byte {
				// The reason of one entry, stored once, edited in place.
				for _, e := range ledgerEntries(t, ctx, l.Store) {
					old := append([]byte{byte(len(e.Reason))}, e.Reason...)
					if len(e.Reason) < 8 || len(e.Reason) > 127 || bytes.Count(b, old) != 1 {
						continue
					}
					forged := append([]byte{byte(len(e.Reason))}, "FORGED"...)
					forged = append(forged, e.Reason[6:]...)
					return bytes.Replace(b, old, forged, 1)
				}
				t.Fatal("no entry to forge in the snapshot")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The forgery passes every check the runner makes on load.
			tl := projections.NewTimelines()
			r := openRunner(t, l, dir, tl)
			if r.Position() != last {
				t.Fatalf("the forged snapshot was not loaded (position %d): the test forges badly", r.Position())
			}

			_, err = verifySnapshot(ctx, l, dir)
			var mm *projections.SnapshotMismatchError
			if !errors.As(err, &mm) || mm.Model != "timelines" {
				t.Fatalf("want a mismatch of the timelines, got %v", err)
			}
			if !errors.Is(err, projections.ErrSnapshotMismatch) || errcode.Of(err) != errcode.ETAMPERED {
				t.Errorf("not a tampered error: %v", err)
			}
			want := map[bool]string{false: "does not match the digest recorded", true: "differs from the model rebuilt from the stream"}[redigest]
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			if strings.Contains(err.Error(), "agreements") || strings.Contains(err.Error(), "assessments") {
				t.Errorf("an untouched model reported: %v", err)
			}
		})
	}
}

// A snapshot taken of one ledger is not verified against another.
func TestVerifySnapshotRefusesAnotherLedgersSnapshot(t *testing.T) {
	ctx := estest.Context(t)
	dir := t.TempDir()
	snapshotOf(t, ctx, dir)
	other := estest.Open(t)
	loadDemo(t, ctx, other.Store) // the same events, recorded again: other ids, times and hashes
	_, err := verifySnapshot(ctx, other, dir)
	if !errors.Is(err, projections.ErrSnapshotMismatch) || !strings.Contains(err.Error(), "another stream") {
		t.Fatalf("want a snapshot of another stream, got %v", err)
	}
}

// The domain read models' digests are canonical: the real demo, with
// aggregates refolded on their own after it, verifies.
func TestVerifySnapshotOfTheDemoAfterRefolds(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	dl := loadDemo(t, ctx, l.Store)
	dir := t.TempDir()
	q, err := projections.OpenReader(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, q.Runner())
	if err := q.WaitFor(ctx, dl.last); err != nil {
		t.Fatal(err)
	}
	for _, agg := range []eventstore.Aggregate{{Kind: "laa", ID: "00EB/2008-11"}, {Kind: "caa", ID: "00EB/2009"}} {
		if err := q.Runner().RebuildAggregate(ctx, agg); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if _, err := verifySnapshot(ctx, l, dir); err != nil {
		t.Fatal(err)
	}
}
