package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/laaledger/laaledger/domain"
)

// TokenFile is the JSON file of bearer tokens the server accepts:
//
//	{"tokens": [
//	  {"token": "…", "actor": {"id": "j.smith", "role": "la", "organisation": "00EB"}},
//	  {"token_sha256": "<hex SHA-256 of the token>", "actor": {…}}
//	]}
//
// A token may be given in clear or as the hex SHA-256 of its bytes, so that
// the file need not hold the secret itself. JSON rather than YAML: the
// standard library reads it strictly (unknown fields are refused), and a
// mistyped key in a file of secrets should stop the server, not be ignored.
type TokenFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// TokenEntry maps one bearer token to the actor it stands for.
type TokenEntry struct {
	Token       string       `json:"token,omitempty"`
	TokenSHA256 string       `json:"token_sha256,omitempty"`
	Actor       domain.Actor `json:"actor"`
}

// Tokens authenticates bearer tokens. It keeps only their SHA-256 digests
// and compares a presented token's digest with every one of them in
// constant time, so neither the comparison nor the position of a match
// leaks through timing. It is safe for concurrent use.
type Tokens struct {
	digests [][sha256.Size]byte
	actors  []domain.Actor
}

// NewTokens checks the entries (each has a token or a digest, a valid
// actor, and no token appears twice) and returns the set.
func NewTokens(entries []TokenEntry) (*Tokens, error) {
	t := &Tokens{}
	seen := map[[sha256.Size]byte]bool{}
	for i, e := range entries {
		var d [sha256.Size]byte
		switch {
		case e.Token != "" && e.TokenSHA256 != "":
			return nil, fmt.Errorf("token %d (actor %q): give token or token_sha256, not both", i+1, e.Actor.ID)
		case e.Token != "":
			if len(e.Token) < 16 {
				return nil, fmt.Errorf("token %d (actor %q): shorter than 16 characters", i+1, e.Actor.ID)
			}
			d = sha256.Sum256([]byte(e.Token))
		case e.TokenSHA256 != "":
			b, err := hex.DecodeString(e.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("token %d (actor %q): token_sha256 is not 64 hex digits", i+1, e.Actor.ID)
			}
			copy(d[:], b)
		default:
			return nil, fmt.Errorf("token %d (actor %q): no token or token_sha256", i+1, e.Actor.ID)
		}
		if err := e.Actor.Validate(); err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		if err := domain.CheckOrganisation(e.Actor.Role, e.Actor.Organisation); err != nil {
			return nil, fmt.Errorf("token %d (actor %q): %w", i+1, e.Actor.ID, err)
		}
		if seen[d] {
			return nil, fmt.Errorf("token %d (actor %q): the same token is given twice", i+1, e.Actor.ID)
		}
		seen[d] = true
		t.digests = append(t.digests, d)
		t.actors = append(t.actors, e.Actor)
	}
	return t, nil
}

// ParseTokenFile reads a [TokenFile] from JSON, refusing unknown fields.
func ParseTokenFile(data []byte) (*Tokens, error) {
	var f TokenFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	t, err := NewTokens(f.Tokens)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return t, nil
}

// LoadTokenFile reads a [TokenFile] from path.
func LoadTokenFile(path string) (*Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	t, err := ParseTokenFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Authenticate returns the actor of a presented token.
func (t *Tokens) Authenticate(token string) (domain.Actor, bool) {
	d := sha256.Sum256([]byte(token))
	match := -1
	for i := range t.digests {
		if subtle.ConstantTimeCompare(d[:], t.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return domain.Actor{}, false
	}
	return t.actors[match], true
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.digests) }

// Actors returns the actor of every token, in the file's order.
func (t *Tokens) Actors() []domain.Actor { return append([]domain.Actor(nil), t.actors...) }

type actorKey struct{}

// ActorFrom returns the authenticated actor of a request's context.
func ActorFrom(ctx context.Context) (domain.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(domain.Actor)
	return a, ok
}

// authed wraps a handler so that it runs only for a valid bearer token,
// with the token's actor in the context. The token itself goes nowhere
// else: not into the context, not into logs.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			writeProblem(w, r, problem(http.StatusUnauthorized, "unauthenticated", "a bearer token is required (Authorization: Bearer <token>)"))
			return
		}
		actor, ok := s.tokens.Authenticate(strings.TrimSpace(token))
		if !ok {
			writeProblem(w, r, problem(http.StatusUnauthorized, "unauthenticated", "the bearer token is not valid"))
			return
		}
		if rec, ok := w.(*recorder); ok {
			rec.actor = actor.ID
		}
		h(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, actor)))
	}
}
