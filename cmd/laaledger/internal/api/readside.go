package api

import (
	"context"
	"time"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// Queries is the read side the API serves: the query service of the
// projections, *projections.Reader, which the CLI asks too. The handlers
// only parse the request, call it and write its answer as JSON. Methods
// must be safe for concurrent use.
//
// Errors: *domain.Error (ENOTFOUND), projections.ErrInvalid for a malformed
// query such as a bad cursor, projections.ErrStopped.
type Queries interface {
	// State returns an aggregate's state: current for the zero AsOf,
	// otherwise as of the instant on the basis given. An aggregate with no
	// events is ENOTFOUND.
	State(ctx context.Context, agg eventstore.Aggregate, at projections.AsOf) (projections.StateView, error)
	// Timeline returns one page of the timeline scope names, filtered and
	// paged by q.
	Timeline(ctx context.Context, scope projections.TimelineScope, q projections.TimelineQuery) (projections.TimelineView, error)
	// TargetRounds returns every round of one target of an agreement
	// (ENOTFOUND if the agreement or the target does not exist).
	TargetRounds(ctx context.Context, agreement, target string) (projections.TargetRounds, error)
	// Indicator returns a National Indicator from the catalogue and every
	// area's target on it with its rounds (ENOTFOUND if neither the
	// catalogue nor any agreement knows the number).
	Indicator(ctx context.Context, number int) (projections.IndicatorView, error)
	// Dashboard returns the dashboard counts.
	Dashboard(ctx context.Context) (projections.DashboardView, error)
	// Catalogue returns the indicator catalogue as it stood at a business
	// time (now for the zero time).
	Catalogue(ctx context.Context, at time.Time) (projections.CatalogueView, error)
}

var _ interface {
	Queries
	Progress
} = (*projections.Reader)(nil)
