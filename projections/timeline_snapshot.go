package projections

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/klauspost/compress/s2"

	"github.com/laaledger/laaledger/eventstore"
)

// The timelines' snapshot is their compact form as it stands, so that
// loading it makes no allocation per entry: the symbol table, the text
// arena's blocks, the body packer's dictionary (or its sample so far) and
// the body arena's blocks, the rare fields, then one fixed-size record per
// entry in stream order, then each index, keys in order (rebuilding the
// indexes on load cost more than half of the load at a million events).
// Every field of every entry is in it, and the same content is always the
// same bytes but for the packed bodies, which are the compressor's choice:
// the content digest (see snapshot_digest.go) is of the canonical
// encoding, which leaves the dictionary and the body arena out and writes
// each entry's body unpacked after its record.

// entryRecordSize is the size of an entry's record in the snapshot.
const entryRecordSize = 8 + 8 + 4 + 8 + 8 + 16 + 16 + 3*4 + 7*4 + 4 + 4 + 1

// putRecord writes entry x's record into b; for the canonical encoding,
// without where its body is held or whether it is packed.
func (s *entryStore) putRecord(b *[entryRecordSize]byte, x int32, canonical bool) {
	k, r := s.key(x), *s.rec(x)
	if canonical {
		r.data, r.flags = span{}, r.flags&^bodyPacked
	}
	le := binary.LittleEndian
	p := b[:0]
	p = le.AppendUint64(p, k.seq)
	p = le.AppendUint64(p, uint64(k.occurred))
	p = le.AppendUint32(p, uint32(k.idx))
	p = le.AppendUint64(p, uint64(r.recorded))
	p = le.AppendUint64(p, r.version)
	p = append(p, r.eventID[:]...)
	p = append(p, r.commandID[:]...)
	for _, v := range [...]uint32{r.data.block, r.data.off, r.data.n,
		r.typ, r.kind, r.aggID, r.actorID, r.role, r.org, r.reason, uint32(r.schema), r.rare} {
		p = le.AppendUint32(p, v)
	}
	_ = append(p, r.flags)
}

// getRecord reads back what putRecord wrote, and checks that it refers
// only to what the store holds.
func (s *entryStore) getRecord(b []byte) (key, entryRec, error) {
	le := binary.LittleEndian
	var k key
	var r entryRec
	k.seq = le.Uint64(b[0:])
	k.occurred = int64(le.Uint64(b[8:]))
	k.idx = int32(le.Uint32(b[16:]))
	r.recorded = int64(le.Uint64(b[20:]))
	r.version = le.Uint64(b[28:])
	copy(r.eventID[:], b[36:52])
	copy(r.commandID[:], b[52:68])
	u := func(i int) uint32 { return le.Uint32(b[68+4*i:]) }
	r.data = span{u(0), u(1), u(2)}
	r.typ, r.kind, r.aggID, r.actorID, r.role, r.org, r.reason = u(3), u(4), u(5), u(6), u(7), u(8), u(9)
	r.schema, r.rare, r.flags = int32(u(10)), u(11), b[116]
	nsym := uint32(len(s.syms.list))
	for _, id := range [...]uint32{r.typ, r.kind, r.aggID, r.actorID, r.role, r.org, r.reason} {
		if id >= nsym {
			return k, r, fmt.Errorf("entry names symbol %d of %d", id, nsym)
		}
	}
	switch {
	case r.flags&^flagsKnown != 0:
		return k, r, fmt.Errorf("entry flags %#x", r.flags)
	case int(r.rare) > len(s.rare), r.flags&schemaRare != 0 && r.rare == 0:
		return k, r, fmt.Errorf("entry names rare fields %d of %d", r.rare, len(s.rare))
	case !s.bodies.valid(r.data),
		r.flags&eventIDText != 0 && !s.text.valid(r.eventID.span()),
		r.flags&commandIDText != 0 && !s.text.valid(r.commandID.span()):
		return k, r, fmt.Errorf("entry names bytes outside the arena")
	case r.flags&bodyPacked != 0 && s.pack.dict == nil:
		return k, r, fmt.Errorf("entry has a packed body, the snapshot no dictionary")
	case r.flags&bodyPacked != 0:
		packed := s.bodies.get(r.data)
		if n, err := s2.DecodedLen(packed); err != nil || n > maxArenaRun {
			return k, r, fmt.Errorf("entry's packed body is not one (%d bytes unpacked, %v)", n, err)
		}
		body, err := s.pack.dict.Decode(s.pack.buf[:cap(s.pack.buf)], packed)
		if err != nil {
			return k, r, fmt.Errorf("entry's packed body does not decompress: %w", err)
		}
		if cap(body) > cap(s.pack.buf) {
			s.pack.buf = body[:0] // the next check reuses it
		}
	}
	return k, r, nil
}

// writeArena writes a's blocks.
func writeArena(enc *encoder, a *arena) {
	enc.uvarint(uint64(len(a.blocks)))
	enc.uvarint(uint64(a.cur))
	for _, b := range a.blocks {
		enc.bytes(b)
	}
}

// readArena reads what writeArena wrote into a.
func readArena(dec *decoder, a *arena, count func(string) int) error {
	nblk := count("arena blocks")
	cur := dec.uvarint()
	if dec.err == nil && cur > uint64(nblk) {
		dec.fail(fmt.Errorf("current arena block %d of %d", cur, nblk))
	}
	for i := range nblk {
		l := dec.uvarint()
		if dec.err != nil {
			return dec.err
		}
		isCur := uint64(i+1) == cur
		if l > maxArenaRun || isCur && l > arenaBlock {
			dec.fail(fmt.Errorf("arena block of %d bytes", l))
			return dec.err
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(dec.r, b); err != nil {
			dec.fail(err)
			return dec.err
		}
		a.blocks = append(a.blocks, b)
	}
	a.cur = int(cur)
	return dec.err
}

// WriteSnapshot implements [ReadModel].
func (t *Timelines) WriteSnapshot(w io.Writer) error { return t.write(w, false) }

// writeCanonical implements canonicalWriter.
func (t *Timelines) writeCanonical(w io.Writer) error { return t.write(w, true) }

// write writes the snapshot, or its canonical encoding.
func (t *Timelines) write(w io.Writer, canonical bool) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s := &t.entries
	enc := newEncoder(w)
	enc.uvarint(uint64(s.len()))
	enc.uvarint(uint64(len(s.syms.list)))
	for _, sym := range s.syms.list {
		enc.str(sym)
	}
	writeArena(enc, &s.text)
	if !canonical {
		if s.pack.dict != nil {
			enc.uvarint(1)
			enc.bytes(s.pack.dict.Bytes())
		} else {
			enc.uvarint(0)
			enc.bytes(s.pack.sample)
		}
		writeArena(enc, &s.bodies)
	}
	enc.uvarint(uint64(len(s.rare)))
	for i := range s.rare {
		rf := &s.rare[i]
		enc.uvarint(uint64(len(rf.evidence)))
		for _, ev := range rf.evidence {
			enc.str(ev)
		}
		enc.str(rf.causation)
		enc.str(rf.correlation)
		enc.varint(int64(rf.schema))
	}
	var rec [entryRecordSize]byte
	var scratch []byte
	if canonical {
		scratch = make([]byte, 64<<10)
	}
	for i := range s.len() {
		s.putRecord(&rec, int32(i), canonical)
		enc.w.Write(rec[:])
		if canonical {
			body, _ := s.body(s.rec(int32(i)), scratch)
			enc.bytes(body)
		}
	}
	list := func(l []int32) {
		enc.uvarint(uint64(len(l)))
		for _, x := range l {
			enc.uvarint(uint64(x))
		}
	}
	// Every index key is one of the symbols (see add).
	var err error
	sym := func(str string) {
		id, ok := s.syms.lookup(str)
		if !ok && err == nil {
			err = fmt.Errorf("timelines: index key %q is not a symbol", str)
		}
		enc.uvarint(uint64(id))
	}
	// Keys in order, so that the same content is always the same bytes.
	aggs := slices.SortedFunc(maps.Keys(t.byAgg), func(a, b eventstore.Aggregate) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	enc.uvarint(uint64(len(aggs)))
	for _, k := range aggs {
		sym(k.Kind)
		sym(k.ID)
		list(t.merged(t.byAgg[k]))
	}
	for _, m := range []map[string]*index{t.byArea, t.byActor, t.byOrg} {
		enc.uvarint(uint64(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			sym(k)
			list(t.merged(m[k]))
		}
	}
	if err != nil {
		return err
	}
	return enc.flush()
}

// maxArenaRun is the longest byte run a snapshot may hold, as for any
// field of a snapshot (see decoder.bytes).
const maxArenaRun = 64 << 20

// ReadSnapshot implements [ReadModel].
func (t *Timelines) ReadSnapshot(r io.Reader) error {
	t.Reset()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.readSnapshot(newDecoder(r)); err != nil {
		t.resetLocked()
		return err
	}
	return nil
}

func (t *Timelines) readSnapshot(dec *decoder) error {
	s := &t.entries
	// count reads a number of items, each of at least one byte, that the
	// snapshot cannot hold more of than it is long: a corrupt count must
	// not make a huge allocation before the end of the data is reached.
	count := func(what string) int {
		n := dec.uvarint()
		if dec.err == nil && n > 1<<31 {
			dec.fail(fmt.Errorf("%d %s", n, what))
		}
		if dec.err != nil {
			return 0
		}
		return int(n)
	}
	n := count("entries")
	nsym := count("symbols")
	for range nsym {
		str := dec.str()
		if dec.err != nil {
			return dec.err
		}
		if _, ok := s.syms.lookup(str); ok {
			dec.fail(fmt.Errorf("symbol table repeats %q", str))
			return dec.err
		}
		s.syms.adopt(str)
	}
	if err := readArena(dec, &s.text, count); err != nil {
		return err
	}
	made := dec.uvarint()
	dict := dec.bytes()
	switch {
	case dec.err != nil:
		return dec.err
	case made > 1 || made == 0 && len(dict) > dictSample:
		dec.fail(fmt.Errorf("body dictionary of %d bytes (%d)", len(dict), made))
		return dec.err
	case made == 1:
		if s.pack.dict = s2.NewDict(dict); s.pack.dict == nil {
			dec.fail(fmt.Errorf("body dictionary of %d bytes is not one", len(dict)))
			return dec.err
		}
		// Scratch for checking the packed bodies as they are read.
		s.pack.buf = make([]byte, 0, 64<<10)
	default:
		s.pack.sample = append([]byte(nil), dict...)
	}
	if err := readArena(dec, &s.bodies, count); err != nil {
		return err
	}
	for range count("rare fields") {
		var rf rareFields
		if ne := count("evidence items"); ne > 0 {
			rf.evidence = make([]string, 0, min(ne, 64))
			for range ne {
				if dec.err != nil {
					return dec.err
				}
				rf.evidence = append(rf.evidence, dec.str())
			}
		}
		rf.causation, rf.correlation = dec.str(), dec.str()
		rf.schema = int(dec.varint())
		if dec.err != nil {
			return dec.err
		}
		s.rare = append(s.rare, rf)
	}
	if dec.err != nil {
		return dec.err
	}
	var buf [256 * entryRecordSize]byte
	for done := 0; done < n; {
		batch := min(n-done, 256)
		b := buf[:batch*entryRecordSize]
		if _, err := io.ReadFull(dec.r, b); err != nil {
			dec.fail(err)
			return dec.err
		}
		for i := range batch {
			k, r, err := s.getRecord(b[i*entryRecordSize : (i+1)*entryRecordSize])
			if err != nil {
				dec.fail(err)
				return dec.err
			}
			s.push(k, r)
		}
		done += batch
	}
	list := func() []int32 {
		k := dec.uvarint()
		if dec.err != nil || k > uint64(s.len()) {
			dec.fail(fmt.Errorf("index of %d entries over %d events", k, s.len()))
			return nil
		}
		l := make([]int32, k)
		for i := range l {
			x := dec.uvarint()
			if x >= uint64(s.len()) {
				dec.fail(fmt.Errorf("index names entry %d of %d", x, s.len()))
				return nil
			}
			l[i] = int32(x)
		}
		return l
	}
	keys := func() uint64 {
		n := dec.uvarint()
		if n > uint64(s.len()) {
			dec.fail(fmt.Errorf("index of %d keys over %d events", n, s.len()))
			return 0
		}
		return n
	}
	sym := func() string {
		id := dec.uvarint()
		if dec.err == nil && id >= uint64(len(s.syms.list)) {
			dec.fail(fmt.Errorf("index key is symbol %d of %d", id, len(s.syms.list)))
		}
		if dec.err != nil {
			return ""
		}
		return s.syms.list[id]
	}
	for range keys() {
		k := eventstore.Aggregate{Kind: sym(), ID: sym()}
		t.byAgg[k] = &index{list: list()}
	}
	for _, m := range []map[string]*index{t.byArea, t.byActor, t.byOrg} {
		for range keys() {
			k := sym()
			m[k] = &index{list: list()}
		}
	}
	return dec.err
}
