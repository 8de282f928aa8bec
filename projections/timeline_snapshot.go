package projections

import (
	"io"
	"time"

	"github.com/laaledger/laaledger/eventstore"
)

// WriteSnapshot implements [ReadModel]. The indexes are not written: they
// are rebuilt from the entries on load, which costs less than reading them.
func (t *Timelines) WriteSnapshot(w io.Writer) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	enc := newEncoder(w)
	enc.uvarint(uint64(len(t.entries)))
	for i := range t.entries {
		e := &t.entries[i]
		enc.uvarint(e.Sequence)
		enc.uvarint(uint64(e.Index))
		enc.str(e.EventID)
		enc.sym(e.Type)
		enc.uvarint(uint64(e.SchemaVersion))
		enc.sym(e.Aggregate.Kind)
		enc.sym(e.Aggregate.ID)
		enc.uvarint(e.AggregateVersion)
		enc.str(e.CommandID)
		enc.sym(e.Actor.ID)
		enc.sym(e.Actor.Role)
		enc.sym(e.Actor.Organisation)
		enc.str(e.Reason)
		enc.uvarint(uint64(len(e.Evidence)))
		for _, ev := range e.Evidence {
			enc.str(ev)
		}
		enc.str(e.CausationID)
		enc.str(e.CorrelationID)
		enc.varint(e.OccurredAt.UnixNano())
		enc.varint(e.RecordedAt.UnixNano())
		enc.bytes(e.Data)
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
	t.entries = make([]Entry, 0, min(n, 1<<24))
	for range n {
		var e Entry
		e.Sequence = dec.uvarint()
		e.Index = int(dec.uvarint())
		e.EventID = dec.str()
		e.Type = dec.sym()
		e.SchemaVersion = int(dec.uvarint())
		e.Aggregate = eventstore.Aggregate{Kind: dec.sym(), ID: dec.sym()}
		e.AggregateVersion = dec.uvarint()
		e.CommandID = dec.str()
		e.Actor = eventstore.Actor{ID: dec.sym(), Role: dec.sym(), Organisation: dec.sym()}
		e.Reason = dec.str()
		if k := dec.uvarint(); k > 0 && dec.err == nil {
			e.Evidence = make([]string, k)
			for j := range e.Evidence {
				e.Evidence[j] = dec.str()
			}
		}
		e.CausationID = dec.str()
		e.CorrelationID = dec.str()
		e.OccurredAt = time.Unix(0, dec.varint()).UTC()
		e.RecordedAt = time.Unix(0, dec.varint()).UTC()
		e.Data = dec.bytes()
		if dec.err != nil {
			t.resetLocked()
			return dec.err
		}
		t.add(e)
	}
	return nil
}
