package projections

import (
	"strings"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/laaledger/laaledger/eventstore"
)

// entryChunk is how many entries one block of an entryStore holds.
const entryChunk = 8192

// entryStore keeps the timelines' entries in a compact form and makes an
// [Entry] of one only when a query returns it. A million events held as
// Entry values took some 670 MB: each Entry carries an envelope's worth of
// string and slice headers and times, and each body and id was an
// allocation of its own. Here an entry is a fixed-size record without
// pointers (which the garbage collector need not scan): times as Unix
// nanoseconds, the strings that repeat (types, aggregates, actors, reasons)
// as numbers into one symbol table, event and command ids as the 16 bytes
// of a UUID when they are one, and bodies in large shared byte blocks,
// compressed one by one (see bodyPacker). The rare fields (evidence,
// causation and correlation ids) sit in a side table.
//
// Records are kept in fixed-size blocks: appending never moves the records
// already held (a single slice of a million entries was copied whole each
// time it grew). Each entry's sort key is kept in an array of its own beside
// them: the indexes' ordered inserts and searches compare keys only, and
// reading them from the records missed the cache on every step.
type entryStore struct {
	keys   [][]key
	recs   [][]entryRec
	n      int
	syms   entrySymbols
	bodies arena // event bodies, as they are or packed
	text   arena // ids that are not UUIDs
	pack   bodyPacker
	rare   []rareFields
}

// entryRec is an entry without its key (sequence, index and business
// time, which are in the key array).
type entryRec struct {
	recorded  int64
	version   uint64
	eventID   idRef
	commandID idRef
	data      span
	// Symbols: the event type, aggregate kind and id, actor id, role and
	// organisation, and reason.
	typ, kind, aggID, actorID, role, org, reason uint32
	schema                                       int32
	// rare is 1 + the entry's position in entryStore.rare, 0 for none.
	rare  uint32
	flags uint8
}

// The flags of an entryRec.
const (
	// eventIDText and commandIDText: the id is not a canonical UUID and
	// its idRef holds the span of its text.
	eventIDText uint8 = 1 << iota
	commandIDText
	// schemaRare: the schema version does not fit schema and is in the
	// rare fields.
	schemaRare
	// bodyPacked: the body is held compressed with the store's dictionary
	// (see bodyPacker).
	bodyPacked
	flagsKnown = eventIDText | commandIDText | schemaRare | bodyPacked
)

// rareFields are an entry's fields that most events leave empty.
type rareFields struct {
	evidence               []string
	causation, correlation string
	schema                 int
}

// idRef is an event or command id: the 16 bytes of a canonical UUID (lower
// case, 8-4-4-4-12), or else the span of its text in the text arena.
type idRef [16]byte

// span is a run of bytes in an arena: block, offset and length.
type span struct{ block, off, n uint32 }

func (r *idRef) span() span {
	le := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24 }
	return span{le(r[0:]), le(r[4:]), le(r[8:])}
}

func textRef(s span) idRef {
	var r idRef
	for i, v := range [3]uint32{s.block, s.off, s.n} {
		r[4*i], r[4*i+1], r[4*i+2], r[4*i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	return r
}

func (s *entryStore) len() int { return s.n }

func (s *entryStore) key(x int32) key {
	return s.keys[int(x)/entryChunk][int(x)%entryChunk]
}

func (s *entryStore) rec(x int32) *entryRec {
	return &s.recs[int(x)/entryChunk][int(x)%entryChunk]
}

// typeOf is the symbol of entry x's type.
func (s *entryStore) typeOf(x int32) uint32 { return s.rec(x).typ }

// typeName is entry x's type.
func (s *entryStore) typeName(x int32) string { return s.syms.list[s.rec(x).typ] }

// at returns entry x as an [Entry]. The Entry is made afresh: changing it
// changes nothing held (but its Data and Evidence are shared, read-only).
func (s *entryStore) at(x int32) *Entry {
	e := s.entry(x)
	return &e
}

// entry makes the [Entry] of entry x.
func (s *entryStore) entry(x int32) Entry {
	var e [1]Entry
	return s.appendEntries(e[:0], []int32{x})[0]
}

// appendEntries appends the [Entry] of each of xs to dst. Their ids, the
// only strings an entry does not share with the store, are made in one
// allocation.
func (s *entryStore) appendEntries(dst []Entry, xs []int32) []Entry {
	var scratch [4 * 36]byte
	b := scratch[:0]
	if n := 2 * 36 * len(xs); n > len(scratch) {
		b = make([]byte, 0, n)
	}
	for _, x := range xs {
		r := s.rec(x)
		b = s.appendID(b, &r.eventID, r.flags&eventIDText != 0)
		b = s.appendID(b, &r.commandID, r.flags&commandIDText != 0)
	}
	ids := string(b)
	bodies := s.bodyBuffer(xs)
	for _, x := range xs {
		e := s.fields(x)
		r := s.rec(x)
		e.Data, bodies = s.body(r, bodies)
		n := s.idLen(&r.eventID, r.flags&eventIDText != 0)
		e.EventID, ids = ids[:n], ids[n:]
		n = s.idLen(&r.commandID, r.flags&commandIDText != 0)
		e.CommandID, ids = ids[:n], ids[n:]
		dst = append(dst, e)
	}
	return dst
}

// fields makes the [Entry] of entry x but for its ids and its body.
func (s *entryStore) fields(x int32) Entry {
	k, r := s.key(x), s.rec(x)
	sym := s.syms.list
	var e Entry
	e.Index = int(k.idx)
	e.Sequence = k.seq
	e.OccurredAt = time.Unix(0, k.occurred).UTC()
	e.RecordedAt = time.Unix(0, r.recorded).UTC()
	e.AggregateVersion = r.version
	e.Type, e.AggregateKind, e.AggregateID = sym[r.typ], sym[r.kind], sym[r.aggID]
	e.Actor = eventstore.Actor{ID: sym[r.actorID], Role: sym[r.role], Organisation: sym[r.org]}
	e.Reason = sym[r.reason]
	e.SchemaVersion = int(r.schema)
	if r.rare != 0 {
		rf := &s.rare[r.rare-1]
		e.Evidence, e.CausationID, e.CorrelationID = rf.evidence, rf.causation, rf.correlation
		if r.flags&schemaRare != 0 {
			e.SchemaVersion = rf.schema
		}
	}
	return e
}

// appendID appends the text of an id to b.
func (s *entryStore) appendID(b []byte, r *idRef, text bool) []byte {
	if text {
		return append(b, s.text.get(r.span())...)
	}
	return appendUUID(b, (*[16]byte)(r))
}

// idLen is the length of an id's text.
func (s *entryStore) idLen(r *idRef, text bool) int {
	if text {
		return int(r.span().n)
	}
	return 36
}

// add appends the event at position idx of its commit and returns its
// number. sameCommand says the event has the command id of the entry added
// just before it (the previous event of its commit), whose copy it shares.
func (s *entryStore) add(e *eventstore.Envelope, idx int, sameCommand bool) int32 {
	r := entryRec{
		recorded: e.RecordedAt.UnixNano(),
		version:  e.AggregateVersion,
		typ:      s.syms.id(e.Type),
		kind:     s.syms.id(e.AggregateKind),
		aggID:    s.syms.id(e.AggregateID),
		actorID:  s.syms.id(e.Actor.ID),
		role:     s.syms.id(e.Actor.Role),
		org:      s.syms.id(e.Actor.Organisation),
		reason:   s.syms.id(e.Reason),
	}
	var packed bool
	if r.data, packed = s.pack.add(&s.bodies, e.Data); packed {
		r.flags |= bodyPacked
	}
	if u, ok := parseUUID(e.EventID); ok {
		r.eventID = u
	} else {
		r.eventID, r.flags = textRef(s.text.addString(e.EventID)), r.flags|eventIDText
	}
	if sameCommand && s.n > 0 {
		prev := s.rec(int32(s.n - 1))
		r.commandID, r.flags = prev.commandID, r.flags|prev.flags&commandIDText
	} else if u, ok := parseUUID(e.CommandID); ok {
		r.commandID = u
	} else {
		r.commandID, r.flags = textRef(s.text.addString(e.CommandID)), r.flags|commandIDText
	}
	var rf rareFields
	r.schema = int32(e.SchemaVersion)
	if int(r.schema) != e.SchemaVersion {
		rf.schema, r.flags = e.SchemaVersion, r.flags|schemaRare
	}
	rf.evidence, rf.causation, rf.correlation = e.Evidence, strings.Clone(e.CausationID), strings.Clone(e.CorrelationID)
	if len(rf.evidence) > 0 {
		rf.evidence = make([]string, len(e.Evidence))
		for i, ev := range e.Evidence {
			rf.evidence[i] = strings.Clone(ev)
		}
	}
	if r.flags&schemaRare != 0 || len(rf.evidence) > 0 || rf.causation != "" || rf.correlation != "" {
		s.rare = append(s.rare, rf)
		r.rare = uint32(len(s.rare))
	}
	return s.push(key{occurred: e.OccurredAt.UnixNano(), seq: e.Sequence, idx: int32(idx)}, r)
}

// push appends an entry's key and record and returns its number.
func (s *entryStore) push(k key, r entryRec) int32 {
	if s.n%entryChunk == 0 {
		s.keys = append(s.keys, make([]key, 0, entryChunk))
		s.recs = append(s.recs, make([]entryRec, 0, entryChunk))
	}
	b := len(s.recs) - 1
	s.keys[b] = append(s.keys[b], k)
	s.recs[b] = append(s.recs[b], r)
	s.n++
	return int32(s.n - 1)
}

func (s *entryStore) reset() {
	*s = entryStore{}
	s.syms.reset()
}

// dictSample is how many bytes of the first bodies the dictionary is made
// of (s2's largest dictionary).
const dictSample = s2.MaxDictSize

// bodyPacker compresses event bodies one by one with an s2 dictionary, so
// that a query still decompresses only the bodies it returns (about 0.2 µs
// each). Bodies are JSON whose keys and many values repeat from event to
// event: with a dictionary of the first 64 KiB of bodies, a generated
// ledger's bodies take 2.5 times less room. Each body is on its own too
// short for that without one.
//
// The first bodies are held as they are and copied into the sample; the
// dictionary is made of the sample when the next body does not fit in it
// (a body that would leave the sample less than half full is passed over,
// so that one large body does not make a poor dictionary). From then on
// every body is packed, unless packing does not make it shorter. Which
// bodies are packed, and how, so depends only on the bodies added before:
// a store restored from its snapshot and one built event by event hold the
// same bytes.
type bodyPacker struct {
	dict   *s2.Dict
	sample []byte // the bodies seen before dict was made
	buf    []byte // scratch for one packed body
}

// add adds body to a, packed when the dictionary is made and packing makes
// it shorter, and returns where it went and whether it is packed.
func (p *bodyPacker) add(a *arena, body []byte) (span, bool) {
	if p.dict == nil {
		if len(p.sample)+len(body) <= dictSample {
			p.sample = append(p.sample, body...)
			return a.add(body), false
		}
		if len(p.sample) < dictSample/2 {
			return a.add(body), false
		}
		p.dict = s2.MakeDict(p.sample, nil)
		p.sample = nil
	}
	p.buf = p.dict.Encode(p.buf[:0], body)
	if len(p.buf) >= len(body) {
		return a.add(body), false
	}
	return a.add(p.buf), true
}

// bodyBuffer returns a buffer the packed bodies of xs fit in, unpacked.
func (s *entryStore) bodyBuffer(xs []int32) []byte {
	n := 0
	for _, x := range xs {
		if r := s.rec(x); r.flags&bodyPacked != 0 {
			if l, err := s2.DecodedLen(s.bodies.get(r.data)); err == nil {
				n += l
			}
		}
	}
	return make([]byte, n)
}

// body returns r's body: shared with the store when it is not packed,
// else decompressed into the start of free (or a new slice if it does not
// fit); rest is what is left of free. The snapshot reader has checked that
// every packed body decompresses; one that does not is returned empty.
func (s *entryStore) body(r *entryRec, free []byte) (body, rest []byte) {
	if r.flags&bodyPacked == 0 {
		return s.bodies.get(r.data), free
	}
	body, err := s.pack.dict.Decode(free, s.bodies.get(r.data))
	if err != nil {
		return nil, free
	}
	n := len(body)
	if n <= cap(free) {
		return body[:n:n], free[n:]
	}
	return body, free
}

// entrySymbols numbers the strings that repeat across events: each is held
// once, and an entry holds its number.
type entrySymbols struct {
	list []string
	ids  map[string]uint32
}

func (s *entrySymbols) reset() {
	s.list, s.ids = nil, map[string]uint32{}
}

// id returns the number of str, adding a copy of it if new (str may be
// part of a larger buffer, such as a decoded commit).
func (s *entrySymbols) id(str string) uint32 {
	if id, ok := s.ids[str]; ok {
		return id
	}
	return s.adopt(strings.Clone(str))
}

// adopt adds str, which is not yet a symbol, as it is and returns its
// number.
func (s *entrySymbols) adopt(str string) uint32 {
	id := uint32(len(s.list))
	s.list = append(s.list, str)
	s.ids[str] = id
	return id
}

// lookup returns the number of str, if it is held.
func (s *entrySymbols) lookup(str string) (uint32, bool) {
	id, ok := s.ids[str]
	return id, ok
}

// arenaBlock is the size of one block of an arena. A run longer than a
// quarter of it has a block of its own.
const arenaBlock = 1 << 20

// arena holds byte runs (event bodies, ids that are not UUIDs) packed into
// large blocks, instead of an allocation each. Runs are never changed
// once added. Where a run goes depends only on the runs added before it,
// so a model restored from its snapshot and one built event by event lay
// out the same runs alike (the snapshot, which records the layout, is the
// model's digest).
type arena struct {
	blocks [][]byte
	// cur is 1 + the block short runs are added to, 0 before the first.
	cur int
}

func (a *arena) add(b []byte) span {
	return addRun(a, b)
}

func (a *arena) addString(s string) span {
	return addRun(a, s)
}

func addRun[T []byte | string](a *arena, b T) span {
	if len(b) == 0 {
		return span{}
	}
	if len(b) > arenaBlock/4 {
		a.blocks = append(a.blocks, append(make([]byte, 0, len(b)), b...))
		return span{block: uint32(len(a.blocks) - 1), n: uint32(len(b))}
	}
	if a.cur == 0 || len(a.blocks[a.cur-1])+len(b) > arenaBlock {
		a.blocks = append(a.blocks, make([]byte, 0, arenaBlock))
		a.cur = len(a.blocks)
	}
	blk := &a.blocks[a.cur-1]
	if cap(*blk) < arenaBlock {
		// Restored from a snapshot at its length: give it its full size.
		*blk = append(make([]byte, 0, arenaBlock), *blk...)
	}
	off := len(*blk)
	*blk = append(*blk, b...)
	return span{block: uint32(a.cur - 1), off: uint32(off), n: uint32(len(b))}
}

// get returns the run s, capped so that appending to it cannot reach its
// neighbours; nil for an empty run.
func (a *arena) get(s span) []byte {
	if s.n == 0 {
		return nil
	}
	end := s.off + s.n
	return a.blocks[s.block][s.off:end:end]
}

// valid reports whether s lies within the arena.
func (a *arena) valid(s span) bool {
	if s.n == 0 {
		return s.block == 0 && s.off == 0
	}
	return int(s.block) < len(a.blocks) && uint64(s.off)+uint64(s.n) <= uint64(len(a.blocks[s.block]))
}
