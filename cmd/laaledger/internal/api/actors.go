package api

import (
	"context"
	"net/http"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/projections"
)

// ActorList is the actor register as GET /v1/actors serves it.
type ActorList struct {
	// InUse tells whether the register decides who may act (it holds an
	// active operator).
	InUse  bool           `json:"in_use"`
	Actors []actors.Entry `json:"actors"`
}

func (s *Server) actorRegister(w http.ResponseWriter, r *http.Request) {
	out, ok := query(s, w, r, func(q Queries, ctx context.Context) (ActorList, error) {
		out := ActorList{Actors: []actors.Entry{}}
		v, err := q.State(ctx, eventstore.Aggregate{Kind: domain.KindActors, ID: actors.RegisterID}, projections.AsOf{})
		switch {
		case domain.ErrorRule(err) == "aggregate.not_found":
			// Nobody registered yet.
		case err != nil:
			return out, err
		default:
			if reg, ok := v.State.(actors.Register); ok {
				out.InUse, out.Actors = reg.InUse(), reg.List()
			}
		}
		return out, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, out)
	}
}
