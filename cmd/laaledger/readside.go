package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// readSide is the projection runner and its read models, as serve and
// rebuild use them.
type readSide struct {
	runner      *projections.Runner
	timelines   *projections.Timelines
	agreements  *projections.Agreements
	assessments *projections.Assessments
}

// projectionsDir is where the read models' snapshot lives: beside the
// embedded server's store, or under --data when the ledger is external.
func (f *storeFlags) projectionsDir() string { return filepath.Join(f.data, "projections") }

func openReadSide(ctx context.Context, sf *storeFlags, s *eventstore.Store, log *slog.Logger) (*readSide, error) {
	rs := &readSide{
		timelines:   projections.NewTimelines(),
		agreements:  projections.NewAgreements(),
		assessments: projections.NewAssessments(),
	}
	r, err := projections.Open(ctx, projections.Config{Store: s, Dir: sf.projectionsDir(), Logger: log},
		rs.timelines, rs.agreements, rs.assessments)
	if err != nil {
		return nil, err
	}
	rs.runner = r
	return rs, nil
}
