package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func caaSteps() []service.Step {
	var steps []service.Step
	for _, s := range demo.CAAHistory() {
		steps = append(steps, service.Step(s))
	}
	return steps
}

// caaLedger is a fresh ledger holding the first n steps of the CAA demo.
func caaLedger(t *testing.T, n int) (*estest.Ledger, context.Context, *service.Service, []service.Step) {
	t.Helper()
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	steps := caaSteps()
	_, err := svc.RunSteps(ctx, steps[:n])
	require.NoError(t, err)
	return l, ctx, svc, steps
}

var auditCommission = domain.Actor{ID: "ac-lead", Role: domain.RoleAuditCommission, Organisation: "Audit Commission"}

func fold(t *testing.T, l *estest.Ledger, ref domain.AggregateRef, apply func(any, domain.Event) any, zero any) any {
	t.Helper()
	h, err := l.Store.LoadFresh(estest.Context(t), service.StoreAggregate(ref))
	require.NoError(t, err)
	st := zero
	for _, e := range h.Events {
		de, err := registry.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		require.NoError(t, err)
		st = apply(st, de)
	}
	return st
}

func TestWholeDemoThroughTheLedgerTwice(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	_, err := svc.RunSteps(ctx, service.DemoSteps())
	require.NoError(t, err)
	first, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)

	l.Restart()
	svc = service.New(l.Store, service.Kinds())
	_, err = svc.RunSteps(ctx, service.DemoSteps())
	require.NoError(t, err)
	again, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, first, again, "a second demo run appended nothing")

	kinds := service.Kinds()
	ref := domain.AggregateRef{Kind: domain.KindAgreement, ID: "00EB/2008-11"}
	st, _, err := svc.State(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, fold(t, l, ref, kinds[ref.Kind].Apply, kinds[ref.Kind].Zero()), st)
	hp := st.(laa.Agreement)
	require.Equal(t, 46.0, hp.Targets["NI 112"].Values["2010/11"], "NI 112 reopened on the CAA red flag")
}

func TestCorrectionMustNameAnEventOfItsAggregate(t *testing.T) {
	_, ctx, svc, steps := caaLedger(t, 1)
	m := steps[0].Meta
	m.CommandID = "corr-1"
	m.Actor = auditCommission
	key := steps[0].Command.(caa.OpenAssessment).CAAKey
	_, err := svc.Execute(ctx, m, caa.RecordCorrection{CAAKey: key, CorrectsEventID: "no-such-event", Reason: "typo", Correction: "the area's name"}, nil)
	require.Equal(t, "correction.unknown_event", domain.ErrorRule(err), "%v", err)
	_, err = svc.Execute(ctx, m, caa.RecordCorrection{CAAKey: key, CorrectsEventID: steps[0].Meta.CommandID + "#0", Reason: "typo", Correction: "the area's name"}, nil)
	require.NoError(t, err)
}

func TestCAADemoThroughTheLedgerTwice(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	_, err := svc.RunSteps(ctx, caaSteps())
	require.NoError(t, err)
	first, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.NotZero(t, first)

	// A second run, on a fresh service after a restart, appends nothing.
	l.Restart()
	svc = service.New(l.Store, service.Kinds())
	outcomes, err := svc.RunSteps(ctx, caaSteps())
	require.NoError(t, err)
	for _, o := range outcomes {
		if o.Err == nil {
			require.True(t, o.Result.Duplicate, "%s was appended again", o.Step.Meta.CommandID)
		}
	}
	again, err := l.Store.LastSequence(ctx)
	require.NoError(t, err)
	require.Equal(t, first, again)

	// The service's state equals folding the stored events from zero.
	ref := caa.AreaAssessmentRef("00EB", 2009)
	st, _, err := svc.State(ctx, ref)
	require.NoError(t, err)
	h, err := l.Store.LoadFresh(ctx, service.StoreAggregate(ref))
	require.NoError(t, err)
	var events []domain.Event
	for _, e := range h.Events {
		de, err := registry.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
		require.NoError(t, err)
		events = append(events, de)
	}
	require.Equal(t, caa.FoldAreaAssessment(events), st)
	require.True(t, st.(caa.AreaAssessment).Published)
}

func TestExecuteWithStaleIfMatchIsAConflict(t *testing.T) {
	_, ctx, svc, steps := caaLedger(t, 3)
	zero := uint64(0)
	next := steps[3]
	_, err := svc.Execute(ctx, next.Meta, next.Command, &zero)
	var ce *eventstore.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Zero(t, ce.Expected)
}

// A retry gets its original answer even when, decided again now, the
// command would produce different events.
func TestRetryAfterTheAggregateMovedOnReturnsTheOriginal(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	steps := service.DemoSteps()
	outcomes, err := svc.RunSteps(ctx, steps[:12])
	require.NoError(t, err)
	var first service.Outcome
	for _, o := range outcomes {
		if o.Err == nil && o.Step.Command.Aggregate().Kind == domain.KindAgreement {
			first = o
			break
		}
	}
	require.NotZero(t, first.Result.Sequence)
	again, err := svc.Execute(ctx, first.Step.Meta, first.Step.Command, nil)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.Result.Sequence, again.Sequence)
	require.Equal(t, first.Result.Events[0].EventID, again.Events[0].EventID)
}

// The same command id for another command is refused, even on an aggregate
// that has moved on; a retry with a new correlation id is still a retry.
func TestCommandIDReusedForAnotherCommandIsRefused(t *testing.T) {
	_, ctx, svc, steps := caaLedger(t, 2)
	m := steps[1].Meta
	m.CorrelationID = "another-request"
	again, err := svc.Execute(ctx, m, steps[1].Command, nil)
	require.NoError(t, err)
	require.True(t, again.Duplicate)

	var other service.Step
	for _, st := range steps[2:] {
		if st.Command.Aggregate() == steps[1].Command.Aggregate() && st.ExpectError == "" {
			other = st
			break
		}
	}
	require.NotNil(t, other.Command)
	other.Meta.CommandID = steps[1].Meta.CommandID
	_, err = svc.Execute(ctx, other.Meta, other.Command, nil)
	require.ErrorIs(t, err, eventstore.ErrDuplicate)
	require.Contains(t, err.Error(), "already used for a different command")
}

// Identical retries racing each other all get the one original result,
// never a refusal decided against the state their twin produced.
func TestConcurrentIdenticalRetriesAllGetTheOriginal(t *testing.T) {
	_, ctx, svc, steps := caaLedger(t, 1)
	open := steps[0].Command.(caa.OpenAssessment)
	ac := auditCommission
	for round := 0; round < 400; round++ {
		m := domain.Meta{CommandID: fmt.Sprintf("flag-%d", round), Actor: ac, OccurredAt: steps[0].Meta.OccurredAt.AddDate(0, 0, 1)}
		cmd := caa.ProposeFlag{CAAKey: open.CAAKey, FlagID: fmt.Sprintf("R%d", round+10), Colour: caa.FlagRed,
			Theme: fmt.Sprintf("theme %d", round), Indicators: []int{112}, Rationale: "test", LeadInspectorate: "Audit Commission"}
		var wg sync.WaitGroup
		seqs := make([]uint64, 8)
		errs := make([]error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := svc.Execute(ctx, m, cmd, nil)
				seqs[g], errs[g] = res.Sequence, err
			}()
		}
		wg.Wait()
		for g := range 8 {
			require.NoError(t, errs[g], "round %d goroutine %d", round, g)
			require.Equal(t, seqs[0], seqs[g], "round %d", round)
		}
	}
}

// An assessment's events keep business-time order: a command dated before
// the latest event is refused after the rules that say who may act.
func TestAssessmentCommandsDatedBeforeTheLatestEventAreRefused(t *testing.T) {
	_, ctx, svc, steps := caaLedger(t, 1)
	open := steps[0].Command.(caa.OpenAssessment)
	ac := auditCommission
	early := domain.Meta{CommandID: "early", Actor: ac, OccurredAt: steps[0].Meta.OccurredAt.AddDate(0, 0, -1)}
	flag := caa.ProposeFlag{CAAKey: open.CAAKey, FlagID: "R9", Colour: caa.FlagRed, Theme: "t",
		Indicators: []int{112}, Rationale: "r", LeadInspectorate: "Audit Commission"}
	_, err := svc.Execute(ctx, early, flag, nil)
	require.Equal(t, "caa.time_order", domain.ErrorRule(err), "%v", err)

	la := early
	la.Actor = domain.Actor{ID: "la", Role: domain.RoleLA, Organisation: open.Area}
	_, err = svc.Execute(ctx, la, flag, nil)
	require.Equal(t, domain.EFORBIDDEN, domain.ErrorCode(err), "who may act is answered first: %v", err)

	onTime := early
	onTime.CommandID, onTime.OccurredAt = "on-time", steps[0].Meta.OccurredAt
	_, err = svc.Execute(ctx, onTime, flag, nil)
	require.NoError(t, err)
}
