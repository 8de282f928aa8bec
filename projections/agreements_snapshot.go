package projections

import (
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/eventstore"
)

// The agreements snapshot is the rounds in their compact form, in the
// snapshot codec (codec.go), then the agreements' states, gob-encoded as
// the domain defines them:
//
//	string table, actor table, baseline table, flag table (each its length,
//	then its values after number 0);
//	rounds: number of targets, then per target its agreement and key, its
//	rounds and their values;
//	grounds, indicators and the refold log's latest business times;
//	the states (gob), to the end of the section.
//
// Times other than the rounds' compact ones are written with
// time.Time.MarshalBinary, as gob writes them, so they load exactly as
// they were.

// snapshotRoundOverflow marks, in a written round's flags, a round with
// an overflow.
const snapshotRoundOverflow = 1 << 7

// WriteSnapshot implements [ReadModel].
func (a *Agreements) WriteSnapshot(w io.Writer) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	e := newEncoder(w)
	sy := &a.sy
	e.uvarint(uint64(len(sy.strs.vals) - 1))
	for _, s := range sy.strs.vals[1:] {
		e.str(s)
	}
	e.uvarint(uint64(len(sy.actors.vals) - 1))
	for _, x := range sy.actors.vals[1:] {
		e.str(x.ID)
		e.str(x.Role)
		e.str(x.Organisation)
	}
	e.uvarint(uint64(len(sy.baselines.vals) - 1))
	for _, b := range sy.baselines.vals[1:] {
		putFloat(e, b.Value)
		e.str(b.Year)
		e.str(b.Source)
	}
	e.uvarint(uint64(len(sy.flags.vals) - 1))
	for _, f := range sy.flags.vals[1:] {
		e.str(f.Area)
		e.varint(int64(f.Year))
		e.str(f.FlagID)
	}
	e.uvarint(uint64(len(a.rounds)))
	for ref, tr := range a.rounds {
		e.str(ref.agreement)
		e.str(ref.target)
		if err := writeTargetRounds(e, tr); err != nil {
			return err
		}
	}
	e.uvarint(uint64(len(a.grounds)))
	for ref, gs := range a.grounds {
		e.str(ref.agreement)
		e.str(ref.target)
		e.uvarint(uint64(len(gs)))
		for _, g := range gs {
			e.str(string(g.Ground))
			putFlagRef(e, g.Flag)
			putBool(e, g.Agreed)
			if err := putTime(e, g.At); err != nil {
				return err
			}
		}
	}
	e.uvarint(uint64(len(a.byNI)))
	for ni, refs := range a.byNI {
		e.varint(int64(ni))
		e.uvarint(uint64(len(refs)))
		for _, ref := range refs {
			e.str(ref.agreement)
			e.str(ref.target)
		}
	}
	e.uvarint(uint64(len(a.refold.lastAt)))
	for id, at := range a.refold.lastAt {
		e.str(id)
		if err := putTime(e, at); err != nil {
			return err
		}
	}
	// The states are gob-encoded: at a million events they hold every
	// outturn revision, and gob decodes them several times faster than
	// JSON.
	if err := gob.NewEncoder(e.w).Encode(a.states); err != nil {
		return err
	}
	return e.flush()
}

func writeTargetRounds(e *encoder, tr *targetRounds) error {
	e.uvarint(uint64(len(tr.vals)))
	for _, v := range tr.vals {
		e.uvarint(uint64(v.year))
		putFloat(e, v.value)
	}
	e.uvarint(uint64(len(tr.rounds)))
	for i := range tr.rounds {
		c := &tr.rounds[i]
		flags := c.flags
		if c.over != nil {
			flags |= snapshotRoundOverflow
		}
		e.w.WriteByte(flags)
		e.uvarint(c.seq)
		if c.flags&roundUUID != 0 {
			e.w.Write(c.id[:])
		}
		if c.over != nil {
			e.str(c.over.eventID)
			if err := putTime(e, c.over.occurredAt); err != nil {
				return err
			}
			if err := putTime(e, c.over.recorded); err != nil {
				return err
			}
			e.varint(int64(c.over.index))
			e.varint(int64(c.over.round))
		} else {
			e.varint(c.occurred)
			e.varint(c.recorded)
			e.varint(int64(c.index))
			e.varint(int64(c.round))
		}
		if c.flags&roundHasValues != 0 {
			e.uvarint(uint64(c.valLen))
		}
		for _, n := range [...]uint32{c.typ, c.side, c.proposed, c.reason, c.rationale, c.ground, c.actor, c.baseline, c.flag} {
			e.uvarint(uint64(n))
		}
	}
	return nil
}

// ReadSnapshot implements [ReadModel].
func (a *Agreements) ReadSnapshot(r io.Reader) error {
	d := newDecoder(r)
	sy := newSymbols()
	n := count(d)
	for range n {
		sy.strs.vals = append(sy.strs.vals, d.str())
	}
	n = count(d)
	for range n {
		sy.actors.vals = append(sy.actors.vals, eventstore.Actor{ID: d.str(), Role: d.str(), Organisation: d.str()})
	}
	n = count(d)
	for range n {
		sy.baselines.vals = append(sy.baselines.vals, laa.Baseline{Value: getFloat(d), Year: d.str(), Source: d.str()})
	}
	n = count(d)
	for range n {
		sy.flags.vals = append(sy.flags.vals, domain.FlagRef{Area: d.str(), Year: int(d.varint()), FlagID: d.str()})
	}
	if d.err != nil {
		return d.err
	}
	if err := sy.index(); err != nil {
		return err
	}
	rounds := map[targetRef]*targetRounds{}
	n = count(d)
	for range n {
		ref := targetRef{d.str(), d.str()}
		tr, err := readTargetRounds(d, &sy)
		if err != nil {
			return err
		}
		rounds[ref] = tr
	}
	grounds := map[targetRef][]LockGround{}
	n = count(d)
	for range n {
		ref := targetRef{d.str(), d.str()}
		n := count(d)
		gs := make([]LockGround, 0, prealloc(n))
		for range n {
			gs = append(gs, LockGround{Ground: laa.Ground(d.str()), Flag: getFlagRef(d), Agreed: getBool(d), At: getTime(d)})
		}
		grounds[ref] = gs
	}
	byNI := map[int][]targetRef{}
	n = count(d)
	for range n {
		ni := int(d.varint())
		n := count(d)
		refs := make([]targetRef, 0, prealloc(n))
		for range n {
			refs = append(refs, targetRef{d.str(), d.str()})
		}
		byNI[ni] = refs
	}
	lastAt := map[string]time.Time{}
	n = count(d)
	for range n {
		id := d.str()
		lastAt[id] = getTime(d)
	}
	if d.err != nil {
		return d.err
	}
	states := map[string]laa.Agreement{}
	if err := gob.NewDecoder(d.r).Decode(&states); err != nil {
		return err
	}
	// The outturns' sources, shared as the fold shares them.
	for _, st := range states {
		for _, t := range st.Targets {
			if t == nil {
				continue
			}
			for _, os := range t.Outturns {
				for i := range os {
					os[i].Source = sy.strs.vals[sy.strs.id(os[i].Source)]
				}
			}
		}
	}
	a.Reset()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states, a.sy, a.rounds, a.grounds, a.byNI = states, sy, rounds, grounds, byNI
	a.refold.lastAt = lastAt
	return nil
}

func readTargetRounds(d *decoder, sy *symbols) (*targetRounds, error) {
	n := count(d)
	tr := &targetRounds{vals: make([]yearValue, 0, prealloc(n))}
	for range n {
		v := yearValue{uint32(d.uvarint()), getFloat(d)}
		if v.year >= uint32(len(sy.strs.vals)) && d.err == nil {
			d.fail(fmt.Errorf("year %d of %d strings", v.year, len(sy.strs.vals)))
		}
		if d.err != nil {
			return nil, d.err
		}
		tr.vals = append(tr.vals, v)
	}
	n = count(d)
	tr.rounds = make([]round, 0, prealloc(n))
	var next uint32
	for range n {
		tr.rounds = append(tr.rounds, round{})
		c := &tr.rounds[len(tr.rounds)-1]
		flags, err := d.r.ReadByte()
		if err != nil {
			d.fail(err)
			return nil, d.err
		}
		c.flags = flags &^ snapshotRoundOverflow
		c.seq = d.uvarint()
		if c.flags&roundUUID != 0 {
			if _, err := io.ReadFull(d.r, c.id[:]); err != nil {
				d.fail(err)
			}
		}
		if flags&snapshotRoundOverflow != 0 {
			c.over = &roundOverflow{eventID: d.str(), occurredAt: getTime(d), recorded: getTime(d), index: int(d.varint()), round: int(d.varint())}
		} else {
			c.occurred, c.recorded = d.varint(), d.varint()
			c.index, c.round = int32(d.varint()), int32(d.varint())
		}
		if c.flags&roundUUID == 0 && c.over == nil && d.err == nil {
			d.fail(fmt.Errorf("round without an event id"))
		}
		if c.flags&roundHasValues != 0 {
			c.valStart, c.valLen = next, uint32(d.uvarint())
			if uint64(next)+uint64(c.valLen) > uint64(len(tr.vals)) && d.err == nil {
				d.fail(fmt.Errorf("round values beyond the target's %d", len(tr.vals)))
			}
			next += c.valLen
		}
		for _, f := range [...]struct {
			p   *uint32
			max int
		}{{&c.typ, len(sy.strs.vals)}, {&c.side, len(sy.strs.vals)}, {&c.proposed, len(sy.strs.vals)}, {&c.reason, len(sy.strs.vals)},
			{&c.rationale, len(sy.strs.vals)}, {&c.ground, len(sy.strs.vals)}, {&c.actor, len(sy.actors.vals)},
			{&c.baseline, len(sy.baselines.vals)}, {&c.flag, len(sy.flags.vals)}} {
			*f.p = uint32(d.uvarint())
			if int(*f.p) >= f.max && d.err == nil {
				d.fail(fmt.Errorf("symbol %d of %d", *f.p, f.max))
			}
		}
		if d.err != nil {
			return nil, d.err
		}
	}
	if next != uint32(len(tr.vals)) && d.err == nil {
		d.fail(fmt.Errorf("%d round values, the rounds name %d", len(tr.vals), next))
	}
	return tr, d.err
}

// index fills the tables' lookups from their values, after a snapshot
// load; a value written twice is corrupt.
func (sy *symbols) index() error {
	if err := indexTable(&sy.strs, 1); err != nil {
		return err
	}
	if err := indexTable(&sy.actors, 1); err != nil {
		return err
	}
	if err := indexTable(&sy.baselines, 1); err != nil {
		return err
	}
	return indexTable(&sy.flags, 1)
}

func indexTable[T comparable](t *table[T], from int) error {
	for i, v := range t.vals[from:] {
		if _, dup := t.ids[v]; dup {
			return fmt.Errorf("%w: value %v twice in a table", errCorrupt, v)
		}
		t.ids[v] = uint32(from + i)
	}
	return nil
}

// prealloc is the capacity to allocate for n items read from a snapshot:
// all of them, unless a corrupt count would allocate far more than any
// real model holds before the payload runs out.
func prealloc(n int) int { return min(n, 1<<16) }

// count reads a number of items; one no model could hold is corrupt.
func count(d *decoder) int {
	n := d.uvarint()
	if n > 1<<28 && d.err == nil {
		d.fail(fmt.Errorf("%d items", n))
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func putFloat(e *encoder, v float64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
	e.w.Write(b[:])
}

func getFloat(d *decoder) float64 {
	var b [8]byte
	if d.err != nil {
		return 0
	}
	if _, err := io.ReadFull(d.r, b[:]); err != nil {
		d.fail(err)
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
}

func putBool(e *encoder, v bool) {
	if v {
		e.uvarint(1)
	} else {
		e.uvarint(0)
	}
}

func getBool(d *decoder) bool { return d.uvarint() != 0 }

func putTime(e *encoder, t time.Time) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	e.bytes(b)
	return nil
}

func getTime(d *decoder) time.Time {
	var t time.Time
	b := d.bytes()
	if d.err != nil {
		return t
	}
	if err := t.UnmarshalBinary(b); err != nil {
		d.fail(err)
	}
	return t
}

func putFlagRef(e *encoder, f *domain.FlagRef) {
	if f == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(1)
	e.str(f.Area)
	e.varint(int64(f.Year))
	e.str(f.FlagID)
}

func getFlagRef(d *decoder) *domain.FlagRef {
	if d.uvarint() == 0 {
		return nil
	}
	return &domain.FlagRef{Area: d.str(), Year: int(d.varint()), FlagID: d.str()}
}
