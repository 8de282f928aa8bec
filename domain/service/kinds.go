package service

import (
	"context"

	"github.com/laaledger/laaledger/domain"
)

// Kinds returns how to fold and decide every aggregate kind of the domain.
func Kinds() map[string]Kind {
	return map[string]Kind{
		domain.KindAreaAssessment: {
			TimeOrdered: true,
			Zero:        func() any { return domain.AreaAssessment{} },
			Apply:       func(s any, e domain.Event) any { return s.(domain.AreaAssessment).Apply(e) },
			Decide: func(_ context.Context, _ Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
				return domain.DecideAreaAssessment(s.(domain.AreaAssessment), m, cmd)
			},
		},
		domain.KindAgreement: {
			Zero:   func() any { return domain.Agreement{} },
			Apply:  func(s any, e domain.Event) any { return s.(domain.Agreement).Apply(e) },
			Decide: decideAgreement,
		},
		domain.KindCatalogue: {
			Zero:  func() any { return domain.Catalogue{} },
			Apply: func(s any, e domain.Event) any { return s.(domain.Catalogue).Apply(e) },
			Decide: func(_ context.Context, _ Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
				return domain.DecideCatalogue(s.(domain.Catalogue), m, cmd)
			},
		},
		domain.KindOrgAssessment: {
			TimeOrdered: true,
			Zero:        func() any { return domain.OrgAssessment{} },
			Apply:       func(s any, e domain.Event) any { return s.(domain.OrgAssessment).Apply(e) },
			Decide: func(_ context.Context, _ Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
				return domain.DecideOrgAssessment(s.(domain.OrgAssessment), m, cmd)
			},
		},
	}
}

// CatalogueRef is the indicator catalogue's aggregate.
var CatalogueRef = domain.AggregateRef{Kind: domain.KindCatalogue, ID: "catalogue"}

// decideAgreement gives the LAA decision the indicator catalogue and a view
// of the CAA flags, both read through the service.
func decideAgreement(ctx context.Context, env Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	cat, _, err := env.State(ctx, CatalogueRef)
	if err != nil {
		return nil, err
	}
	flags := &flagView{ctx: ctx, env: env}
	events, err := domain.DecideAgreement(s.(domain.Agreement), m, cmd, domain.AgreementContext{Catalogue: cat.(domain.Catalogue), Flags: flags})
	if flags.err != nil {
		// A flag could not be read: the refusal, if any, was made blind.
		return nil, flags.err
	}
	return events, err
}

// flagView answers the LAA decision's questions about CAA flags by folding
// the named area assessment. The domain's FlagView has no error return, so a
// read failure is kept and reported instead of the decision.
type flagView struct {
	ctx context.Context
	env Env
	err error
}

func (v *flagView) Flag(ref domain.FlagRef) (domain.FlagInfo, bool) {
	if ref.Area == "" || ref.Year == 0 {
		return domain.FlagInfo{}, false
	}
	st, version, err := v.env.State(v.ctx, domain.AreaAssessmentRef(ref.Area, ref.Year))
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return domain.FlagInfo{}, false // a malformed reference is simply not a flag
		}
		v.err = err
		return domain.FlagInfo{}, false
	}
	if version == 0 {
		return domain.FlagInfo{}, false
	}
	return st.(domain.AreaAssessment).FlagInfo(ref.FlagID)
}
