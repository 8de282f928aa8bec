package service

import (
	"context"

	"github.com/laaledger/laaledger/domain"
)

// Kinds returns how to fold and decide every aggregate kind of the domain.
func Kinds() map[string]Kind {
	return map[string]Kind{
		domain.KindAreaAssessment: {
			Zero:  func() any { return domain.AreaAssessment{} },
			Apply: func(s any, e domain.Event) any { return s.(domain.AreaAssessment).Apply(e) },
			Decide: func(_ context.Context, _ Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
				return domain.DecideAreaAssessment(s.(domain.AreaAssessment), m, cmd)
			},
		},
		domain.KindOrgAssessment: {
			Zero:  func() any { return domain.OrgAssessment{} },
			Apply: func(s any, e domain.Event) any { return s.(domain.OrgAssessment).Apply(e) },
			Decide: func(_ context.Context, _ Env, s any, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
				return domain.DecideOrgAssessment(s.(domain.OrgAssessment), m, cmd)
			},
		},
	}
}
