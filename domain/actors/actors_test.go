package actors_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
)

var (
	op  = domain.Actor{ID: "ops.jones", Role: domain.RoleOperator, Organisation: "laaledger"}
	day = time.Date(2008, 4, 1, 9, 0, 0, 0, time.UTC)
)

func meta(a domain.Actor, id string, at time.Time) domain.Meta {
	return domain.Meta{CommandID: id, Actor: a, OccurredAt: at, Reason: "test"}
}

// run decides and folds the commands in turn, failing on any refusal.
func run(t *testing.T, r actors.Register, m domain.Meta, cmds ...domain.Command) actors.Register {
	t.Helper()
	for _, c := range cmds {
		evs, err := actors.DecideRegister(r, m, c)
		require.NoError(t, err, "%s", c.CommandType())
		for _, e := range evs {
			r = r.Apply(e)
		}
	}
	return r
}

func TestRegisterChecksOrganisationsAgainstReferenceData(t *testing.T) {
	for _, tc := range []struct {
		cmd  actors.RegisterActor
		rule string
	}{
		{actors.RegisterActor{ID: "go.x", Role: domain.RoleGO, Organisation: "Nowhere"}, "actor.unknown_region"},
		{actors.RegisterActor{ID: "la.x", Role: domain.RoleLA, Organisation: "ZZZZ"}, "actor.unknown_area"},
		{actors.RegisterActor{ID: "lsp.x", Role: domain.RoleLSP, Organisation: "North East"}, "actor.unknown_area"},
		{actors.RegisterActor{ID: "x", Role: "mayor", Organisation: "CLG"}, "actor.unknown_role"},
		{actors.RegisterActor{ID: "a b", Role: domain.RoleCLG, Organisation: "CLG"}, "actors.bad_id"},
		{actors.RegisterActor{ID: "", Role: domain.RoleCLG, Organisation: "CLG"}, "actor.missing_id"},
	} {
		_, err := actors.DecideRegister(actors.Register{}, meta(op, "c", day), tc.cmd)
		require.Equal(t, tc.rule, domain.ErrorRule(err), "%+v: %v", tc.cmd, err)
	}
	for _, ok := range []actors.RegisterActor{
		{ID: "go.ne", Role: domain.RoleGO, Organisation: "North East"},
		{ID: "la.hartlepool", Role: domain.RoleLA, Organisation: "00EB"},
		{ID: "lsp.durham", Role: domain.RoleLSP, Organisation: "20"},
		{ID: "ofsted.lead", Role: domain.RoleInspectorate, Organisation: "Ofsted"},
	} {
		_, err := actors.DecideRegister(actors.Register{}, meta(op, "c", day), ok)
		require.NoError(t, err, "%+v", ok)
	}
}

func TestOnlyOperatorsChangeTheRegister(t *testing.T) {
	goNE := domain.Actor{ID: "go.ne", Role: domain.RoleGO, Organisation: "North East"}
	_, err := actors.DecideRegister(actors.Register{}, meta(goNE, "c", day), actors.RegisterActor{ID: "go.ne", Role: domain.RoleGO, Organisation: "North East"})
	require.Equal(t, "actors.operator_only", domain.ErrorRule(err))
}

func TestRegisterInUseOnceItHoldsAnOperator(t *testing.T) {
	goNE := domain.Actor{ID: "go.ne", Role: domain.RoleGO, Organisation: "North East"}
	r := run(t, actors.Register{}, meta(op, "c1", day), actors.RegisterActor{ID: goNE.ID, Role: goNE.Role, Organisation: goNE.Organisation, Name: "GO North East lead"})
	require.False(t, r.InUse(), "no operator registered yet")
	require.NoError(t, r.Check(domain.Actor{ID: "anyone", Role: domain.RoleCLG, Organisation: "CLG"}))

	r = run(t, r, meta(op, "c2", day.Add(time.Hour)), actors.RegisterActor{ID: op.ID, Role: op.Role, Organisation: op.Organisation})
	require.True(t, r.InUse())
	require.NoError(t, r.Check(goNE))
	require.NoError(t, r.Check(op))
	require.Equal(t, "actor.not_registered", domain.ErrorRule(r.Check(domain.Actor{ID: "anyone", Role: domain.RoleCLG, Organisation: "CLG"})))
	require.Equal(t, "actor.mismatch", domain.ErrorRule(r.Check(domain.Actor{ID: goNE.ID, Role: domain.RoleGO, Organisation: "London"})))

	// An unregistered operator may no longer change the register.
	other := domain.Actor{ID: "ops.smith", Role: domain.RoleOperator, Organisation: "laaledger"}
	_, err := actors.DecideRegister(r, meta(other, "c3", day.Add(2*time.Hour)), actors.RetireActor{ID: goNE.ID})
	require.Equal(t, "actor.not_registered", domain.ErrorRule(err))

	// Retiring: the actor may no longer act; registering it again is
	// refused while it is active; the last operator stays.
	_, err = actors.DecideRegister(r, meta(op, "c4", day.Add(2*time.Hour)), actors.RegisterActor{ID: goNE.ID, Role: goNE.Role, Organisation: goNE.Organisation})
	require.Equal(t, "actors.already_registered", domain.ErrorRule(err))
	r = run(t, r, meta(op, "c5", day.Add(3*time.Hour)), actors.RetireActor{ID: goNE.ID})
	require.Equal(t, "actor.retired", domain.ErrorRule(r.Check(goNE)))
	e, ok := r.Lookup(goNE.ID)
	require.True(t, ok)
	require.False(t, e.Active)
	require.Equal(t, day.Add(3*time.Hour), e.RetiredAt)
	require.Equal(t, day, e.RegisteredAt)
	_, err = actors.DecideRegister(r, meta(op, "c6", day.Add(4*time.Hour)), actors.RetireActor{ID: op.ID})
	require.Equal(t, "actors.last_operator", domain.ErrorRule(err))
	_, err = actors.DecideRegister(r, meta(op, "c7", day.Add(4*time.Hour)), actors.RetireActor{ID: goNE.ID})
	require.Equal(t, "actors.not_registered", domain.ErrorRule(err))

	// Re-registered in another role after retirement.
	r = run(t, r, meta(op, "c8", day.Add(5*time.Hour)), actors.RegisterActor{ID: goNE.ID, Role: domain.RoleGO, Organisation: "London"})
	require.NoError(t, r.Check(domain.Actor{ID: goNE.ID, Role: domain.RoleGO, Organisation: "London"}))

	// Business-time order.
	_, err = actors.DecideRegister(r, meta(op, "c9", day), actors.RegisterActor{ID: "clg.a", Role: domain.RoleCLG, Organisation: "CLG"})
	require.Equal(t, "actors.time_order", domain.ErrorRule(err))

	require.Len(t, r.List(), 2)
	require.Equal(t, goNE.ID, r.List()[0].ID)
}

func TestApplyDoesNotChangeTheStateItIsGiven(t *testing.T) {
	r := run(t, actors.Register{}, meta(op, "c1", day), actors.RegisterActor{ID: op.ID, Role: op.Role, Organisation: op.Organisation})
	before := r.List()
	_ = r.Apply(actors.ActorRetired{ID: op.ID, At: day})
	_ = r.Apply(actors.ActorRegistered{ID: "x", Role: domain.RoleCLG, Organisation: "CLG", At: day})
	require.Equal(t, before, r.List())
	require.Equal(t, 1, r.Operators)
}
