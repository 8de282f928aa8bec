package projections_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// checkAgreementsAsBefore fails the test where the agreements model
// answers anything differently from the model as it was before its rounds
// were kept compact, and returns how many rounds it compared.
func checkAgreementsAsBefore(t *testing.T, what string, got *projections.Agreements, ref projections.ReadModel) int {
	t.Helper()
	diffs, rounds := projections.DiffAgreements(got, ref)
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
	if rounds == 0 {
		t.Fatalf("%s: no rounds compared", what)
	}
	return rounds
}

// The compact model answers every query exactly as the model before it
// did: applied commit by commit, loaded from its snapshot, and with every
// agreement refolded on its own.
func TestAgreementsAnswerAsBeforeOnTheDemo(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	dl := loadDemo(t, ctx, l.Store)
	dir := t.TempDir()
	ag, ref := projections.NewAgreements(), projections.NewReferenceAgreements()
	catchUp(t, ctx, openRunner(t, l, dir, ag, ref), dl.last)
	checkAgreementsAsBefore(t, "applied", ag, ref)

	ag2, ref2 := projections.NewAgreements(), projections.NewReferenceAgreements()
	r2 := openRunner(t, l, dir, ag2, ref2)
	if r2.Position() != dl.last {
		t.Fatalf("restored at %d, want %d", r2.Position(), dl.last)
	}
	checkAgreementsAsBefore(t, "loaded from the snapshot", ag2, ref)
	for _, s := range ag2.List() {
		if err := r2.RebuildAggregate(ctx, eventstore.Aggregate{Kind: domain.KindAgreement, ID: s.ID}); err != nil {
			t.Fatal(err)
		}
	}
	checkAgreementsAsBefore(t, "refolded", ag2, ref2)
}

// The same on a ledger generated through the domain, with many rounds and
// outturn revisions per target, applied while it is written (catch-up
// and live) and loaded from the snapshot; the snapshot verifies.
func TestAgreementsAnswerAsBeforeOnAGeneratedLedger(t *testing.T) {
	ctx := estest.Context(t)
	l := estest.Open(t)
	dir := t.TempDir()
	ag, ref := projections.NewAgreements(), projections.NewReferenceAgreements()
	r := openRunner(t, l, dir, ag, ref)
	stop := running(t, r)
	if _, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: 4000, Areas: 3, Seed: 5, Workers: 3}); err != nil {
		t.Fatal(err)
	}
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	stop()
	n := checkAgreementsAsBefore(t, "applied", ag, ref)
	if n < 300 {
		t.Errorf("compared %d rounds; the generated ledger should have hundreds", n)
	}
	ag2 := projections.NewAgreements()
	openRunner(t, l, dir, ag2)
	checkAgreementsAsBefore(t, "loaded from the snapshot", ag2, ref)

	secs, err := projections.VerifySnapshot(ctx, projections.Config{Store: l.Store, Dir: dir, Logger: quiet},
		func() []projections.ReadModel { return []projections.ReadModel{projections.NewAgreements()} })
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range secs {
		if s.Model == "agreements" && s.Skipped == "" {
			checked++
		}
	}
	if checked != 1 {
		t.Errorf("agreements section not verified: %+v", secs)
	}
}

// A round's value edited in the snapshot, with the CRC recomputed, is
// loaded by the runner; verify must refuse it, whether or not the digest
// recorded with it was recomputed too.
func TestVerifySnapshotRefusesAForgedRoundValue(t *testing.T) {
	for _, redigest := range []bool{false, true} {
		name := map[bool]string{false: "stale digest", true: "digest recomputed"}[redigest]
		t.Run(name, func(t *testing.T) {
			ctx := estest.Context(t)
			dir := t.TempDir()
			l, last := snapshotOf(t, ctx, dir)
			// Hartlepool's NI 112 opens at 60 for 2008/09 (see the demo).
			before := projections.NewAgreements()
			openRunner(t, l, dir, before)
			if rs := before.TargetRounds("00EB/2008-11", "NI 112"); len(rs) == 0 || rs[0].Values["2008/09"] != 60 {
				t.Fatalf("NI 112 rounds %+v: the demo changed", rs)
			}
			value := func(v float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(v)) }
			err := projections.ForgeSnapshotSection(dir, "agreements", projections.NewAgreements(), redigest, func(b []byte) []byte {
				if bytes.Count(b, value(60)) == 0 {
					t.Fatal("no value 60 in the agreements snapshot")
				}
				return bytes.Replace(b, value(60), value(66), -1)
			})
			if err != nil {
				t.Fatal(err)
			}
			ag := projections.NewAgreements()
			r := openRunner(t, l, dir, ag)
			if r.Position() != last {
				t.Fatalf("the forged snapshot was not loaded (position %d): the test forges badly", r.Position())
			}
			if rs := ag.TargetRounds("00EB/2008-11", "NI 112"); rs[0].Values["2008/09"] != 66 {
				t.Fatalf("the forgery did not reach the rounds: %+v", rs[0])
			}
			_, err = verifySnapshot(ctx, l, dir)
			var mm *projections.SnapshotMismatchError
			if !errors.As(err, &mm) || mm.Model != "agreements" {
				t.Fatalf("want a mismatch of the agreements, got %v", err)
			}
			want := map[bool]string{false: "does not match the digest recorded", true: "differs from the model rebuilt from the stream"}[redigest]
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
}
