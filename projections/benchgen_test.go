package projections_test

import (
	"context"

	"github.com/laaledger/laaledger/domain/laa"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

const benchTypeFilter = "laa.TargetAgreed"

func benchModels(tl *projections.Timelines) []projections.ReadModel {
	return []projections.ReadModel{tl, projections.NewAgreements(), projections.NewAssessments()}
}

func benchAggregates() []eventstore.Aggregate {
	var out []eventstore.Aggregate
	for _, a := range domain.Areas() {
		out = append(out, eventstore.Aggregate{Kind: domain.KindAgreement, ID: laa.AgreementID(a.Code, "2008-11")})
	}
	return out
}

// generate writes about n events through the domain's decisions (see
// scripts/genhistory) and returns the ledger's last stream sequence.
func generate(ctx context.Context, s *eventstore.Store, n int) (uint64, error) {
	if _, err := genhistory.Run(ctx, service.New(s, service.Kinds()), genhistory.Options{Events: n, Seed: 1}); err != nil {
		return 0, err
	}
	return s.LastSequence(ctx)
}

// countEvents is the number of events in the ledger: the generator aims at
// a number of events, it does not promise it.
func countEvents(ctx context.Context, s *eventstore.Store) (int, error) {
	n := 0
	_, err := s.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		n += len(c.Events)
		return nil
	})
	return n, err
}
