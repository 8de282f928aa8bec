package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/laaledger/laaledger/eventstore/notary"
)

// Proofs is the ledger's notary: its signed checkpoints, its verifier key
// and proofs against them. *notary.Notary is one. Proofs are plain data an
// auditor checks offline with the verifier key (notary.Verifier).
//
// Errors: eventstore.ErrInvalid (a bad sequence or range),
// eventstore.ErrNotFound (no such checkpoint, or the sequence is not in it),
// eventstore.ErrTampered (a stored commit no longer matches its leaf).
type Proofs interface {
	Latest() (notary.Checkpoint, bool)
	VerifierKey() string
	InclusionProof(ctx context.Context, seq, treeSize uint64) (notary.InclusionProof, error)
	ConsistencyProof(from, to uint64) (notary.ConsistencyProof, error)
}

// VerifierKey is the answer of /v1/key.
type VerifierKey struct {
	// Origin is the log's name in every checkpoint and the key's name.
	Origin string `json:"origin"`
	// Key is the signed-note verifier key: <origin>+<key hash>+<base64>.
	Key string `json:"verifier_key"`
}

func (s *Server) proofs(w http.ResponseWriter, r *http.Request) (Proofs, bool) {
	if s.cfg.Proofs == nil {
		writeProblem(w, r, problem(http.StatusServiceUnavailable, "unavailable", "this server keeps no Merkle tree or checkpoints"))
		return nil, false
	}
	return s.cfg.Proofs, true
}

func (s *Server) latestCheckpoint(w http.ResponseWriter, r *http.Request) {
	p, ok := s.proofs(w, r)
	if !ok {
		return
	}
	cp, ok := p.Latest()
	if !ok {
		writeProblem(w, r, problem(http.StatusNotFound, "not_found", "no checkpoint has been signed yet: the ledger is empty"))
		return
	}
	writeJSON(w, http.StatusOK, cp)
}

func (s *Server) verifierKey(w http.ResponseWriter, r *http.Request) {
	p, ok := s.proofs(w, r)
	if !ok {
		return
	}
	v, err := notary.NewVerifier(p.VerifierKey())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, VerifierKey{Origin: v.Origin(), Key: v.Key()})
}

// queryUint reads an optional positive integer query parameter (0 when
// absent).
func queryUint(r *http.Request, name string, required bool) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, badRequest("invalid", name+" is required")
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("invalid", name+" must be a positive integer, not "+strconv.Quote(v))
	}
	return n, nil
}

func (s *Server) inclusionProof(w http.ResponseWriter, r *http.Request) {
	s.serveProof(w, r, "sequence", "tree_size", func(p Proofs, seq, size uint64) (any, error) {
		return p.InclusionProof(r.Context(), seq, size)
	})
}

func (s *Server) consistencyProof(w http.ResponseWriter, r *http.Request) {
	s.serveProof(w, r, "from", "to", func(p Proofs, from, to uint64) (any, error) {
		return p.ConsistencyProof(from, to)
	})
}

// serveProof answers with the proof prove makes from the query parameters
// named first (required) and second (optional, 0 when absent).
func (s *Server) serveProof(w http.ResponseWriter, r *http.Request, first, second string, prove func(p Proofs, a, b uint64) (any, error)) {
	p, ok := s.proofs(w, r)
	if !ok {
		return
	}
	a, err := queryUint(r, first, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := queryUint(r, second, false)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	proof, err := prove(p, a, b)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proof)
}
