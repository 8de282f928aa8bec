package projections

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"io"
	"maps"
	"slices"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
)

// digestSize is the size of a read model's content digest.
const digestSize = sha256.Size

// digestDomain opens every digest, so that it can never be mistaken for a
// hash of anything else the ledger computes.
const digestDomain = "laaledger projections content digest v1\n"

// A read model's content digest is SHA-256 over digestDomain, the model's
// name, code version, stream position and the hash of the commit at that
// position, then its content in a canonical encoding: the same content
// gives the same bytes however it was reached (applied commit by commit,
// restored from a snapshot, refolded aggregate by aggregate). It binds the
// content to the ledger: a model rebuilt from the stream up to the position
// has the same digest, or the snapshot is not the ledger's.
//
// The canonical encoding is the model's canonicalWriter if it has one, or
// else its WriteSnapshot, which must then be canonical itself (as the
// timelines' is).

// canonicalWriter is a read model whose snapshot encoding is not canonical
// (it follows map order) and that writes its content canonically for the
// digest.
type canonicalWriter interface {
	writeCanonical(w io.Writer) error
}

// digestWriter computes one model's content digest, beside the writing of
// its snapshot when that encoding is canonical.
type digestWriter struct {
	m ReadModel
	h hash.Hash
}

func newDigestWriter(m ReadModel, pos uint64, commitHash string) *digestWriter {
	h := sha256.New()
	h.Write([]byte(digestDomain))
	var b [binary.MaxVarintLen64]byte
	str := func(s string) {
		h.Write(b[:binary.PutUvarint(b[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	str(m.Name())
	h.Write(b[:binary.PutUvarint(b[:], uint64(m.Version()))])
	h.Write(b[:binary.PutUvarint(b[:], pos)])
	str(commitHash)
	return &digestWriter{m: m, h: h}
}

// tee returns w, also feeding the digest when the snapshot encoding is the
// canonical one.
func (d *digestWriter) tee(w io.Writer) io.Writer {
	if _, ok := d.m.(canonicalWriter); ok {
		return w
	}
	return io.MultiWriter(w, d.h)
}

// sum finishes the digest, after the snapshot has been written through tee.
func (d *digestWriter) sum() ([digestSize]byte, error) {
	var out [digestSize]byte
	if cw, ok := d.m.(canonicalWriter); ok {
		if err := cw.writeCanonical(d.h); err != nil {
			return out, err
		}
	}
	d.h.Sum(out[:0])
	return out, nil
}

// contentDigest is the digest of m's content now, at pos.
func contentDigest(m ReadModel, pos uint64, commitHash string) ([digestSize]byte, error) {
	d := newDigestWriter(m, pos, commitHash)
	if err := m.WriteSnapshot(d.tee(io.Discard)); err != nil {
		return [digestSize]byte{}, err
	}
	return d.sum()
}

// writeCanonical implements canonicalWriter: JSON (maps in key order), with
// every list that map order or a refold could reorder sorted.
func (a *Agreements) writeCanonical(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	type rounds struct {
		Agreement, Target string
		Rounds            []Round
	}
	type grounds struct {
		Agreement, Target string
		Grounds           []LockGround
	}
	refOrder := func(a, b targetRef) int {
		return cmp.Or(cmp.Compare(a.agreement, b.agreement), cmp.Compare(a.target, b.target))
	}
	var c struct {
		States  map[string]laa.Agreement
		Rounds  []rounds
		Grounds []grounds
		ByNI    map[int][][2]string
	}
	c.States = a.states
	for _, ref := range slices.SortedFunc(maps.Keys(a.rounds), refOrder) {
		c.Rounds = append(c.Rounds, rounds{ref.agreement, ref.target, a.rounds[ref]})
	}
	for _, ref := range slices.SortedFunc(maps.Keys(a.grounds), refOrder) {
		c.Grounds = append(c.Grounds, grounds{ref.agreement, ref.target, a.grounds[ref]})
	}
	c.ByNI = map[int][][2]string{}
	for ni, refs := range a.byNI {
		if len(refs) == 0 {
			continue // left empty by a refold; absent in a rebuild
		}
		refs = slices.SortedFunc(slices.Values(refs), refOrder)
		for _, r := range refs {
			c.ByNI[ni] = append(c.ByNI[ni], [2]string{r.agreement, r.target})
		}
	}
	return json.NewEncoder(w).Encode(c)
}

// writeCanonical implements canonicalWriter: JSON, maps in key order.
func (a *Assessments) writeCanonical(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return json.NewEncoder(w).Encode(struct {
		Areas map[string]caa.AreaAssessment
		Orgs  map[string]caa.OrgAssessment
	}{a.areas, a.orgs})
}
