package genhistory

import (
	"context"
	"testing"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func TestGeneratesAValidHistoryOnceAndOnlyOnce(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	n, err := Run(ctx, svc, Options{Events: 6_000, Areas: 4, Workers: 2, Seed: 1})
	require.NoError(t, err)
	require.Greater(t, n, int64(4_000))
	last, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)

	_, err = Run(ctx, svc, Options{Events: 6_000, Areas: 4, Workers: 2, Seed: 1})
	require.NoError(t, err)
	again, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, last, again, "a second run appends nothing")

	area := domain.Areas()[0].Code
	st, _, err := svc.State(ctx, domain.AggregateRef{Kind: domain.KindAgreement, ID: laa.AgreementID(area, laa.Period2008)})
	require.NoError(t, err)
	a := st.(laa.Agreement)
	require.Equal(t, laa.StatusApproved, a.Status)
	agreed := 0
	for _, tg := range a.Targets {
		if tg.Status == laa.TargetStatusAgreed {
			agreed++
		}
	}
	require.Equal(t, len(a.Targets), agreed)
	require.LessOrEqual(t, agreed, 35+15)
}

func TestPlanSpreadsEventsOverAreas(t *testing.T) {
	p := planFor(1_000_000, 150)
	perArea := (p.designated+p.local)*(p.rounds+1) + (p.designated+p.local)*2*p.outturnRevisions + 40
	require.InDelta(t, 1_000_000/150, perArea, 1_000_000/150*0.1)
}

// A negative size is refused, not read as the default of a million events.
func TestRefusesANegativeSize(t *testing.T) {
	l := estest.Open(t)
	svc := service.New(l.Store, service.Kinds())
	// Cancelled, so that a size read as the default fails at once instead
	// of writing a million events.
	ctx, cancel := context.WithCancel(estest.Context(t))
	cancel()
	for _, tc := range []struct {
		desc string
		opt  Options
	}{
		{"events", Options{Events: -5, Areas: 1, Workers: 1}},
		{"areas", Options{Events: 100, Areas: -1, Workers: 1}},
		{"workers", Options{Events: 100, Areas: 1, Workers: -1}},
	} {
		n, err := Run(ctx, svc, tc.opt)
		require.ErrorContains(t, err, "cannot be negative", tc.desc)
		require.Zero(t, n, tc.desc)
	}
	last, err := l.Store.LastSequence(estest.Context(t))
	require.NoError(t, err)
	require.Zero(t, last, "nothing is written")
}
