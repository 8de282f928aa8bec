package projections

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/laaledger/laaledger/eventstore"
)

// WriteSnapshot implements [ReadModel]: the entries in stream order, then
// each index as it stands, keys in order (rebuilding them on load cost more than half of
// the load at a million events).
func (t *Timelines) WriteSnapshot(w io.Writer) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	enc := newEncoder(w)
	enc.uvarint(uint64(t.entries.len()))
	for i := range t.entries.len() {
		e := t.entries.at(int32(i))
		enc.uvarint(e.Sequence)
		enc.uvarint(uint64(e.Index))
		e.EncodeFields(fieldEncoder{enc}, false)
	}
	list := func(l []int32) {
		enc.uvarint(uint64(len(l)))
		for _, x := range l {
			enc.uvarint(uint64(x))
		}
	}
	// Keys in order, so that the same content is always the same bytes:
	// the snapshot's digest is taken over them (see snapshot_digest.go).
	aggs := slices.SortedFunc(maps.Keys(t.byAgg), func(a, b eventstore.Aggregate) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	enc.uvarint(uint64(len(aggs)))
	for _, k := range aggs {
		enc.sym(k.Kind)
		enc.sym(k.ID)
		list(t.merged(t.byAgg[k]))
	}
	for _, m := range []map[string]*index{t.byArea, t.byActor, t.byOrg} {
		enc.uvarint(uint64(len(m)))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			enc.sym(k)
			list(t.merged(m[k]))
		}
	}
	return enc.flush()
}

// ReadSnapshot implements [ReadModel].
func (t *Timelines) ReadSnapshot(r io.Reader) error {
	t.Reset()
	t.mu.Lock()
	defer t.mu.Unlock()
	dec := newDecoder(r, t.intern)
	n := dec.uvarint()
	for range n {
		var e Entry
		e.Sequence = dec.uvarint()
		e.Index = int(dec.uvarint())
		e.DecodeFields(fieldDecoder{dec}, false)
		if dec.err != nil {
			t.resetLocked()
			return dec.err
		}
		t.entries.add(e)
	}
	list := func() []int32 {
		k := dec.uvarint()
		if dec.err != nil || k > uint64(t.entries.len()) {
			dec.fail(fmt.Errorf("index of %d entries over %d events", k, t.entries.len()))
			return nil
		}
		l := make([]int32, k)
		for i := range l {
			x := dec.uvarint()
			if x >= uint64(t.entries.len()) {
				dec.fail(fmt.Errorf("index names entry %d of %d", x, t.entries.len()))
				return nil
			}
			l[i] = int32(x)
		}
		return l
	}
	keys := func() uint64 {
		n := dec.uvarint()
		if n > uint64(t.entries.len()) {
			dec.fail(fmt.Errorf("index of %d keys over %d events", n, t.entries.len()))
			return 0
		}
		return n
	}
	for range keys() {
		k := eventstore.Aggregate{Kind: dec.sym(), ID: dec.sym()}
		t.byAgg[k] = &index{list: list()}
	}
	for _, m := range []map[string]*index{t.byArea, t.byActor, t.byOrg} {
		for range keys() {
			k := dec.sym()
			m[k] = &index{list: list()}
		}
	}
	if dec.err != nil {
		t.resetLocked()
		return dec.err
	}
	return nil
}
