package service

import (
	"context"
	"fmt"

	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
)

// Kind is an aggregate kind with its state type hidden, so that kinds of
// different state types share one registry ([Kinds], [New]). [KindOf]
// makes one. The service folds and decides through the kind's typed
// functions; Zero and Apply fold with the state as any, for readers that
// only show a state (the read side, the CLI).
type Kind interface {
	// Zero returns the state of an aggregate with no events.
	Zero() any
	// Apply folds one event into a state made by Zero or Apply.
	Apply(state any, e domain.Event) any

	// bind returns the kind's folded-state cache for one service.
	bind() kindStates
}

// KindOf is the fold and the decision of an aggregate kind whose state is
// S. The zero S is the state of an aggregate with no events.
type KindOf[S any] struct {
	// Fold folds one event into the state and returns the new state. It
	// must not modify the state it is given in place: the service keeps
	// folded states in a cache and decides on them concurrently.
	Fold func(state S, e domain.Event) S
	// Decide is the domain's decision on a command: state is folded from
	// the aggregate's events, h is what the ledger recorded of them (for
	// the rules on business-time order and on what a correction names),
	// and env reaches other aggregates' state.
	Decide func(ctx context.Context, env Env, state S, h domain.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error)
}

// Zero returns the zero S.
func (k KindOf[S]) Zero() any { var s S; return s }

// Apply folds e into state, which must be an S.
func (k KindOf[S]) Apply(state any, e domain.Event) any { return k.Fold(state.(S), e) }

func (k KindOf[S]) bind() kindStates {
	return &states[S]{kind: k, folded: map[domain.AggregateRef]folded[S]{}, sig: stateSignature[S]()}
}

// Env lets a decision reach other aggregates' state through the service:
// the domain stays pure, the service does the reading.
type Env interface {
	// State returns the folded state of another aggregate (version 0 if it
	// has no events).
	State(ctx context.Context, ref domain.AggregateRef) (any, uint64, error)
}

// StateOf returns another aggregate's state read through env as its
// kind's state type S.
func StateOf[S any](ctx context.Context, env Env, ref domain.AggregateRef) (S, uint64, error) {
	var zero S
	st, version, err := env.State(ctx, ref)
	if err != nil {
		return zero, 0, err
	}
	s, ok := st.(S)
	if !ok {
		return zero, 0, fmt.Errorf("state of %s is a %T, not a %T", ref, st, zero)
	}
	return s, version, nil
}

// kindStates is a kind bound to a service: it folds the kind's aggregates,
// keeping the states it folded (see snapshot.go), and decides on them.
type kindStates interface {
	// decide decides cmd against the state folded from h.
	decide(ctx context.Context, svc *Service, h eventstore.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error)
	// state returns the state folded from h.
	state(ctx context.Context, svc *Service, h eventstore.History) (any, error)
}

func (st *states[S]) decide(ctx context.Context, svc *Service, h eventstore.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	s, err := st.fold(ctx, svc, h)
	if err != nil {
		return nil, err
	}
	rec := &recorded{ctx: ctx, store: svc.store, h: h}
	events, err := st.kind.Decide(ctx, svc, s, rec, m, cmd)
	if rec.err != nil {
		// The decision saw a history it could not read whole: discard it.
		return nil, rec.err
	}
	return events, err
}

func (st *states[S]) state(ctx context.Context, svc *Service, h eventstore.History) (any, error) {
	return st.fold(ctx, svc, h)
}

// Kinds returns how to fold and decide every aggregate kind of the domain.
func Kinds() map[string]Kind {
	return map[string]Kind{
		domain.KindActors:         ownStateKind(registry.ActorsFold, actors.DecideRegister),
		domain.KindAreaAssessment: historyKind(registry.AreaAssessmentFold, caa.DecideAreaAssessment),
		domain.KindAgreement: KindOf[laa.Agreement]{
			Fold:   registry.AgreementFold.Apply,
			Decide: decideAgreement,
		},
		domain.KindCatalogue:     ownStateKind(registry.CatalogueFold, catalogue.DecideCatalogue),
		domain.KindOrgAssessment: historyKind(registry.OrgAssessmentFold, caa.DecideOrgAssessment),
	}
}

// ownStateKind is a kind whose decision needs only its own state and the
// command.
func ownStateKind[S any](fold registry.Fold[S], decide func(S, domain.Meta, domain.Command) ([]domain.Event, error)) KindOf[S] {
	return KindOf[S]{Fold: fold.Apply, Decide: func(_ context.Context, _ Env, s S, _ domain.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
		return decide(s, m, cmd)
	}}
}

// historyKind is a kind whose decision reads, besides its own state, what
// the ledger recorded of the aggregate's events, but no other aggregate.
func historyKind[S any](fold registry.Fold[S], decide func(S, domain.Meta, domain.Command, domain.History) ([]domain.Event, error)) KindOf[S] {
	return KindOf[S]{Fold: fold.Apply, Decide: func(_ context.Context, _ Env, s S, h domain.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
		return decide(s, m, cmd, h)
	}}
}

// CatalogueRef is the indicator catalogue's aggregate.
var CatalogueRef = domain.AggregateRef{Kind: domain.KindCatalogue, ID: "catalogue"}

// decideAgreement gives the LAA decision the indicator catalogue and a view
// of the CAA flags, both read through the service.
func decideAgreement(ctx context.Context, env Env, a laa.Agreement, h domain.History, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	cat, _, err := StateOf[catalogue.Catalogue](ctx, env, CatalogueRef)
	if err != nil {
		return nil, err
	}
	return laa.DecideAgreement(a, m, cmd, laa.AgreementContext{Catalogue: cat, Flags: flagView{ctx: ctx, env: env}, History: h})
}

// flagView answers the LAA decision's questions about CAA flags by folding
// the named area assessment.
type flagView struct {
	ctx context.Context
	env Env
}

func (v flagView) Flag(ref domain.FlagRef) (domain.FlagInfo, bool, error) {
	if ref.Area == "" || ref.Year == 0 {
		return domain.FlagInfo{}, false, nil
	}
	st, version, err := StateOf[caa.AreaAssessment](v.ctx, v.env, caa.AreaAssessmentRef(ref.Area, ref.Year))
	switch {
	case domain.ErrorCode(err) == domain.EINVALID:
		return domain.FlagInfo{}, false, nil // a malformed reference is simply not a flag
	case err != nil:
		return domain.FlagInfo{}, false, err
	case version == 0:
		return domain.FlagInfo{}, false, nil
	}
	f, ok := st.FlagInfo(ref.FlagID)
	return f, ok, nil
}
