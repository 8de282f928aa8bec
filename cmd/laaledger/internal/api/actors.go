package api

import (
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
	if err := s.readReady(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ActorList{Actors: []actors.Entry{}}
	v, err := s.cfg.Queries.State(r.Context(), eventstore.Aggregate{Kind: domain.KindActors, ID: actors.RegisterID}, projections.AsOf{})
	switch {
	case domain.ErrorRule(err) == "aggregate.not_found":
		// Nobody registered yet.
	case err != nil:
		s.writeError(w, r, err)
		return
	default:
		if reg, ok := v.State.(actors.Register); ok {
			out.InUse, out.Actors = reg.InUse(), reg.List()
		}
	}
	writeJSON(w, http.StatusOK, out)
}
