package projections

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
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

// writeCanonical implements canonicalWriter: the states one by one in id
// order, each as JSON (maps in key order); every target's rounds in
// (agreement, target) order, each round's fields written out in the
// snapshot codec with the strings themselves, not the model's numbers for
// them; then the grounds and indicators as JSON, with every list that map
// order or a refold could reorder sorted. It is written as it goes, so
// that the digest of a large model costs no copy of it.
func (a *Agreements) writeCanonical(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	refOrder := func(a, b targetRef) int {
		return cmp.Or(cmp.Compare(a.agreement, b.agreement), cmp.Compare(a.target, b.target))
	}
	e := newEncoder(w)
	e.uvarint(uint64(len(a.states)))
	for _, id := range slices.Sorted(maps.Keys(a.states)) {
		b, err := json.Marshal(a.states[id])
		if err != nil {
			return err
		}
		e.str(id)
		e.bytes(b)
	}
	e.uvarint(uint64(len(a.rounds)))
	for _, ref := range slices.SortedFunc(maps.Keys(a.rounds), refOrder) {
		e.str(ref.agreement)
		e.str(ref.target)
		tr := a.rounds[ref]
		e.uvarint(uint64(len(tr.rounds)))
		for i := range tr.rounds {
			tr.writeCanonical(e, &a.sy, i)
		}
	}
	type grounds struct {
		Agreement, Target string
		Grounds           []LockGround
	}
	var c struct {
		Grounds []grounds
		ByNI    map[int][][2]string
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
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	e.bytes(b)
	return e.flush()
}

// writeCanonical writes every field of round i as [Round] has it, but
// Change, which follows from the values.
func (tr *targetRounds) writeCanonical(e *encoder, sy *symbols, i int) {
	c := &tr.rounds[i]
	occurred, recorded, index, round := c.wide()
	str := func(n uint32) { e.str(sy.strs.vals[n]) }
	e.uvarint(c.seq)
	e.varint(int64(index))
	e.str(c.eventID())
	str(c.typ)
	e.uvarint(uint64(c.flags & roundRefresh))
	e.varint(int64(round))
	str(c.side)
	by := sy.actors.vals[c.actor]
	e.str(by.ID)
	e.str(by.Role)
	e.str(by.Organisation)
	str(c.proposed)
	for _, t := range [...]time.Time{occurred, recorded} {
		e.varint(t.Unix())
		e.varint(int64(t.Nanosecond()))
	}
	str(c.reason)
	str(c.rationale)
	if c.baseline == 0 {
		e.uvarint(0)
	} else {
		b := sy.baselines.vals[c.baseline]
		e.uvarint(1)
		e.uvarint(math.Float64bits(b.Value))
		e.str(b.Year)
		e.str(b.Source)
	}
	if c.flags&roundHasValues == 0 {
		e.uvarint(0)
	} else {
		e.uvarint(1 + uint64(c.valLen))
		for _, v := range tr.vals[c.valStart : c.valStart+c.valLen] {
			str(v.year)
			e.uvarint(math.Float64bits(v.value))
		}
	}
	str(c.ground)
	if c.flag == 0 {
		e.uvarint(0)
	} else {
		f := sy.flags.vals[c.flag]
		e.uvarint(1)
		e.str(f.Area)
		e.varint(int64(f.Year))
		e.str(f.FlagID)
	}
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
