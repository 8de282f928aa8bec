package service

import (
	"context"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
)

// checkActor refuses a command from an actor the actor register does not
// allow (see [actors.Register.Check]): once the register is in use, only
// registered, active actors in their registered role and organisation act.
// The register's own commands are checked by its decision, and a service
// without the register's kind checks nothing.
func (s *Service) checkActor(ctx context.Context, ref domain.AggregateRef, a domain.Actor) error {
	if ref.Kind == domain.KindActors {
		return nil
	}
	if _, ok := s.kinds[domain.KindActors]; !ok {
		return nil
	}
	reg, _, err := StateOf[actors.Register](ctx, s, actors.Ref)
	if err != nil {
		return err
	}
	return reg.Check(a)
}
