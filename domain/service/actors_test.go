package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore/estest"
)

func TestRegisterInUseDecidesWhoMayAct(t *testing.T) {
	l := estest.Open(t)
	ctx := estest.Context(t)
	svc := service.New(l.Store, service.Kinds())
	// first is the demo's first command by a negotiator, second the next
	// one by the same actor; every step before second runs with an empty
	// register, which decides nothing.
	steps := service.DemoSteps()
	k, j := -1, -1
	for i, st := range steps {
		if k < 0 && st.Meta.Actor.Role != domain.RoleOperator && st.ExpectError == "" {
			k = i
		} else if k >= 0 && st.Meta.Actor == steps[k].Meta.Actor && st.ExpectError == "" {
			j = i
			break
		}
	}
	require.True(t, k >= 0 && j > k, "the demo has two commands by one negotiator")
	first, second, who := steps[k], steps[j], steps[k].Meta.Actor
	var res service.Result
	for _, st := range steps[:j] {
		r, err := svc.Execute(ctx, st.Meta, st.Command, nil)
		require.Equal(t, st.ExpectError, domain.ErrorRule(err), "%v", err)
		if st.Meta.CommandID == first.Meta.CommandID {
			res = r
		}
	}

	op := domain.Actor{ID: "ops.jones", Role: domain.RoleOperator, Organisation: "laaledger"}
	at := time.Date(2007, 1, 1, 0, 0, 0, 0, time.UTC)
	reg := func(id string, c domain.Command) error {
		at = at.Add(time.Hour)
		_, err := svc.Execute(ctx, domain.Meta{CommandID: id, Actor: op, OccurredAt: at, Reason: "register"}, c, nil)
		return err
	}
	require.NoError(t, reg("r1", actors.RegisterActor{ID: op.ID, Role: op.Role, Organisation: op.Organisation}))

	// In use: the first command's retry keeps its original answer, a new
	// command from the same unregistered actor is refused.
	again, err := svc.Execute(ctx, first.Meta, first.Command, nil)
	require.NoError(t, err)
	require.Equal(t, res.Sequence, again.Sequence)
	_, err = svc.Execute(ctx, second.Meta, second.Command, nil)
	require.Equal(t, "actor.not_registered", domain.ErrorRule(err), "%v", err)

	// Registered in another role: refused as a mismatch.
	require.NoError(t, reg("r2", actors.RegisterActor{ID: who.ID, Role: domain.RoleCLG, Organisation: "CLG"}))
	_, err = svc.Execute(ctx, second.Meta, second.Command, nil)
	require.Equal(t, "actor.mismatch", domain.ErrorRule(err), "%v", err)
	require.NoError(t, reg("r3", actors.RetireActor{ID: who.ID}))
	_, err = svc.Execute(ctx, second.Meta, second.Command, nil)
	require.Equal(t, "actor.retired", domain.ErrorRule(err), "%v", err)

	// Registered as it acts: the decision is the domain's again.
	require.NoError(t, reg("r4", actors.RegisterActor{ID: who.ID, Role: who.Role, Organisation: who.Organisation}))
	_, err = svc.Execute(ctx, second.Meta, second.Command, nil)
	require.Equal(t, second.ExpectError, domain.ErrorRule(err), "%v", err)

	st, version, err := service.StateOf[actors.Register](ctx, svc, actors.Ref)
	require.NoError(t, err)
	require.EqualValues(t, 4, version)
	e, ok := st.Lookup(who.ID)
	require.True(t, ok)
	require.True(t, e.Active)
}
