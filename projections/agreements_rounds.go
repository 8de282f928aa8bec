package projections

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/eventstore"
)

// The agreements model keeps every round of every target: at a million
// events that is hundreds of thousands of rounds, and a [Round] with its
// two maps, strings and times costs over a kilobyte. The model keeps them
// compact instead and builds [Round] values only when a query returns
// them:
//
//   - strings that repeat (event types, sides, actors, proposers, reasons,
//     rationales, grounds, years) are numbers into tables the model keeps,
//     and so are baselines and CAA flags;
//   - a round's values are (year, value) pairs in one array per target,
//     and its Change is computed from the previous round's values when the
//     round is read, as it is defined;
//   - times are nanoseconds since 1970 and the event id its 16 bytes when it
//     is a canonical UUID; anything that does not fit so (a time outside
//     1678–2262, another form of id, an index beyond 32 bits) is kept as it
//     was in the round's overflow, so that no value is ever lost.

// table interns values of one type: each distinct value is stored once and
// named by its number. Number 0 is the zero value of T for strings (see
// newStringTable) and "none" for the others.
type table[T comparable] struct {
	vals []T
	ids  map[T]uint32
}

func newTable[T comparable]() table[T] {
	var zero T
	return table[T]{vals: []T{zero}, ids: map[T]uint32{}}
}

// newStringTable is a table in which "" is number 0.
func newStringTable() table[string] {
	t := newTable[string]()
	t.ids[""] = 0
	return t
}

// id returns v's number, adding v if it is new.
func (t *table[T]) id(v T) uint32 {
	if id, ok := t.ids[v]; ok {
		return id
	}
	id := uint32(len(t.vals))
	t.vals = append(t.vals, v)
	t.ids[v] = id
	return id
}

// ptrID returns the number of *p, or 0 for nil.
func ptrID[T comparable](t *table[T], p *T) uint32 {
	if p == nil {
		return 0
	}
	return t.id(*p)
}

// ptrOf returns a new pointer to value id, or nil for 0.
func ptrOf[T comparable](t *table[T], id uint32) *T {
	if id == 0 {
		return nil
	}
	v := t.vals[id]
	return &v
}

// symbols holds the tables the model's rounds refer to.
type symbols struct {
	strs      table[string]
	actors    table[eventstore.Actor]
	baselines table[laa.Baseline]
	flags     table[domain.FlagRef]
}

func newSymbols() symbols {
	return symbols{strs: newStringTable(), actors: newTable[eventstore.Actor](), baselines: newTable[laa.Baseline](), flags: newTable[domain.FlagRef]()}
}

// yearValue is one year's value of a round.
type yearValue struct {
	year  uint32 // in strs
	value float64
}

// Round flags.
const (
	roundRefresh   = 1 << iota // Round.Refresh
	roundHasValues             // Round.Values is not nil (it may be empty)
	roundUUID                  // id holds Round.EventID
)

// round is a [Round] as the model keeps it. String fields are numbers in
// the model's tables; values are vals[valStart:valStart+valLen] of the
// target's rounds.
type round struct {
	seq       uint64
	occurred  int64 // Unix nanoseconds, UTC
	recorded  int64
	id        [16]byte
	baseline  uint32 // in baselines
	flag      uint32 // in flags
	valStart  uint32
	valLen    uint32
	index     int32
	round     int32
	typ       uint32 // in strs, as are the fields below
	side      uint32
	proposed  uint32
	reason    uint32
	rationale uint32
	ground    uint32
	actor     uint32 // in actors
	flags     uint8
	// over, when not nil, holds the event id, times, index and round in
	// full, for a round whose values do not fit the compact fields.
	over *roundOverflow
}

type roundOverflow struct {
	eventID              string
	occurredAt, recorded time.Time
	index, round         int
}

// targetRounds is every round of one target, oldest first, and their
// values.
type targetRounds struct {
	rounds []round
	vals   []yearValue
}

// packTime returns t (in UTC) as Unix nanoseconds, and whether that gives
// back exactly t.
func packTime(t time.Time) (int64, bool) {
	n := t.UnixNano()
	return n, time.Unix(0, n).UTC() == t
}

func unpackTime(n int64) time.Time { return time.Unix(0, n).UTC() }

// fitsInt32 reports whether v is an int32.
func fitsInt32(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

// add appends r, with its values, to the target's rounds.
func (tr *targetRounds) add(sy *symbols, r *Round) {
	c := round{seq: r.Sequence, typ: sy.strs.id(r.Type), side: sy.strs.id(string(r.Side)), proposed: sy.strs.id(r.ProposedBy),
		reason: sy.strs.id(r.Reason), rationale: sy.strs.id(r.Rationale), ground: sy.strs.id(string(r.Ground)),
		actor: sy.actors.id(r.By), baseline: ptrID(&sy.baselines, r.Baseline), flag: ptrID(&sy.flags, r.Flag)}
	if r.Refresh {
		c.flags |= roundRefresh
	}
	var okO, okR, okID bool
	c.occurred, okO = packTime(r.OccurredAt)
	c.recorded, okR = packTime(r.RecordedAt)
	c.id, okID = parseUUID(r.EventID)
	if okID {
		c.flags |= roundUUID
	}
	if okO && okR && fitsInt32(r.Index) && fitsInt32(r.Round) {
		c.index, c.round = int32(r.Index), int32(r.Round)
	} else {
		c.over = &roundOverflow{occurredAt: r.OccurredAt, recorded: r.RecordedAt, index: r.Index, round: r.Round}
	}
	if !okID {
		if c.over == nil {
			c.over = &roundOverflow{occurredAt: r.OccurredAt, recorded: r.RecordedAt, index: r.Index, round: r.Round}
		}
		c.over.eventID = r.EventID
	}
	if r.Values != nil {
		c.flags |= roundHasValues
		c.valStart, c.valLen = uint32(len(tr.vals)), uint32(len(r.Values))
		// In year order, so that the canonical encoding can write them as
		// they are.
		for _, y := range slices.Sorted(maps.Keys(r.Values)) {
			tr.vals = append(tr.vals, yearValue{sy.strs.id(y), r.Values[y]})
		}
	}
	tr.rounds = append(tr.rounds, c)
}

// values returns the values of round c (nil when it has none).
func (tr *targetRounds) values(sy *symbols, c *round) laa.Values {
	if c.flags&roundHasValues == 0 {
		return nil
	}
	out := make(laa.Values, c.valLen)
	for _, yv := range tr.vals[c.valStart : c.valStart+c.valLen] {
		out[sy.strs.vals[yv.year]] = yv.value
	}
	return out
}

// valueChangeOf is a round's Change: for the years both name, its value
// minus the previous round's; prev and cur are in year order.
func valueChangeOf(sy *symbols, prev, cur []yearValue) laa.Values {
	out := laa.Values{}
	for len(prev) > 0 && len(cur) > 0 {
		py, cy := sy.strs.vals[prev[0].year], sy.strs.vals[cur[0].year]
		switch {
		case py < cy:
			prev = prev[1:]
		case py > cy:
			cur = cur[1:]
		default:
			out[cy] = cur[0].value - prev[0].value
			prev, cur = prev[1:], cur[1:]
		}
	}
	return out
}

// all returns every round as a [Round], each with its Change from the
// last earlier round with values (nil for a round without values or
// without such a round before it). The rounds share nothing with the
// model; their event ids and baselines are allocated together.
func (tr *targetRounds) all(sy *symbols) []Round {
	if tr == nil {
		return nil
	}
	nids, nb := 0, 0
	for i := range tr.rounds {
		c := &tr.rounds[i]
		if c.flags&roundUUID != 0 {
			nids++
		}
		if c.baseline != 0 {
			nb++
		}
	}
	ids := make([]byte, 0, 36*nids)
	for i := range tr.rounds {
		if c := &tr.rounds[i]; c.flags&roundUUID != 0 {
			ids = appendUUID(ids, &c.id)
		}
	}
	allIDs := string(ids)
	baselines := make([]laa.Baseline, 0, nb)
	out := make([]Round, len(tr.rounds))
	var prev *round // the last round with values
	for i := range tr.rounds {
		c := &tr.rounds[i]
		r := &out[i]
		*r = Round{Sequence: c.seq, Type: sy.strs.vals[c.typ],
			Refresh: c.flags&roundRefresh != 0, Side: laa.Side(sy.strs.vals[c.side]),
			By: sy.actors.vals[c.actor], ProposedBy: sy.strs.vals[c.proposed], Reason: sy.strs.vals[c.reason],
			Rationale: sy.strs.vals[c.rationale], Values: tr.values(sy, c), Ground: laa.Ground(sy.strs.vals[c.ground]),
			Flag: ptrOf(&sy.flags, c.flag)}
		r.OccurredAt, r.RecordedAt, r.Index, r.Round = c.wide()
		if c.flags&roundUUID != 0 {
			r.EventID, allIDs = allIDs[:36], allIDs[36:]
		} else {
			r.EventID = c.over.eventID
		}
		if c.baseline != 0 {
			baselines = append(baselines, sy.baselines.vals[c.baseline])
			r.Baseline = &baselines[len(baselines)-1]
		}
		if c.flags&roundHasValues != 0 {
			if prev != nil {
				r.Change = valueChangeOf(sy, tr.vals[prev.valStart:prev.valStart+prev.valLen], tr.vals[c.valStart:c.valStart+c.valLen])
			}
			prev = c
		}
	}
	return out
}

// wide returns round c's times, index and round number in full: from its
// overflow, where it has one.
func (c *round) wide() (occurred, recorded time.Time, index, round int) {
	if c.over != nil {
		return c.over.occurredAt, c.over.recorded, c.over.index, c.over.round
	}
	return unpackTime(c.occurred), unpackTime(c.recorded), int(c.index), int(c.round)
}

// eventID is round c's event id.
func (c *round) eventID() string {
	if c.flags&roundUUID != 0 {
		return string(appendUUID(make([]byte, 0, 36), &c.id))
	}
	return c.over.eventID
}
