package projections_test

import (
	"context"
	"fmt"
	"os"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

const benchTypeFilter = "laa.TargetAgreed"

func benchModels(tl *projections.Timelines) []projections.ReadModel {
	return []projections.ReadModel{tl, projections.NewAgreements(), projections.NewAssessments()}
}

func benchAggregates() []eventstore.Aggregate {
	var out []eventstore.Aggregate
	for _, a := range domain.Areas() {
		out = append(out, eventstore.Aggregate{Kind: domain.KindAgreement, ID: domain.AgreementID(a.Code, "2008-11")})
	}
	return out
}

func generate(ctx context.Context, s *eventstore.Store, n int) (uint64, error) {
	st, err := projections.GenerateHistory(ctx, s, projections.GenOptions{Events: n, Seed: 1})
	if err != nil {
		return 0, err
	}
	if int(st.Events) != n {
		fmt.Fprintf(os.Stderr, "generator wrote %d events, asked for %d\n", st.Events, n)
	}
	return s.LastSequence(ctx)
}
