package registry

import (
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
)

// Fold is how the domain folds the events of an aggregate kind whose state
// is S, from the zero S: its pure fold, nothing of the decisions the
// service adds or of what the read side keeps. The table below lists one
// for every aggregate kind.
type Fold[S any] struct {
	// Apply folds one event into a state without writing to anything the
	// state holds (copy-on-write), so that the states before and after
	// share what the event did not change. It is the fold of record.
	Apply func(state S, e domain.Event) S
	// ApplyOwned folds one event into a state the caller owns (made by
	// the zero S, Clone or ApplyOwned) and may write in place: the
	// agreement's does, since an agreement has many targets and copying
	// them on every event would dominate a long fold.
	ApplyOwned func(state S, e domain.Event) S
	// Clone returns a copy of a state that ApplyOwned may fold without
	// changing the original.
	Clone func(state S) S
	// ApplyChained folds as Apply does, for a chain of states each
	// derived once from the one before (checkpoints along a history): the
	// state it is given is read and cloned afterwards, never folded again,
	// so the new one may append to the arrays it shares with it. The
	// agreement's does, which keeps such a chain's memory linear in the
	// history's length; for the other kinds it is Apply.
	ApplyChained func(state S, e domain.Event) S
}

// copying is the fold of a kind whose Apply never writes in place: it is
// also its owned fold, and a state is its own clone.
func copying[S any](apply func(S, domain.Event) S) Fold[S] {
	return Fold[S]{Apply: apply, ApplyOwned: apply, ApplyChained: apply, Clone: func(s S) S { return s }}
}

// The fold of every aggregate kind.
var (
	AgreementFold = Fold[laa.Agreement]{
		Apply:        laa.Agreement.Apply,
		ApplyOwned:   applyAgreementInPlace,
		ApplyChained: laa.Agreement.ApplyChained,
		Clone:        laa.Agreement.Clone,
	}
	AreaAssessmentFold = copying(caa.AreaAssessment.Apply)
	OrgAssessmentFold  = copying(caa.OrgAssessment.Apply)
	CatalogueFold      = copying(catalogue.Catalogue.Apply)
	ActorsFold         = copying(actors.Register.Apply)
)

func applyAgreementInPlace(a laa.Agreement, e domain.Event) laa.Agreement {
	a.ApplyInPlace(e)
	return a
}
