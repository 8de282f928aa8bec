package registry

import (
	"fmt"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// Stored is one stored event as the domain reads it back: its aggregate
// (printed in errors) and version there, its type, schema version and JSON
// body, and where the ledger put it. The event store's envelope holds all
// of it; the fields are named here because registry must not import the
// store.
type Stored struct {
	Aggregate        fmt.Stringer
	AggregateVersion uint64
	Type             string
	SchemaVersion    int
	Data             []byte
	EventID          string
	CommandID        string
	Sequence         uint64
	Index            int // position in its commit
	OccurredAt       time.Time
}

// Stamp rebuilds the stored event and stamps it with its id, command,
// sequence, position in its commit and business time: what
// [domain.Canonical] orders. A decoding error names the aggregate, version
// and sequence.
func (s *Stored) Stamp() (domain.Stamped, error) {
	e, err := DecodeEvent(s.Type, s.SchemaVersion, s.Data)
	if err != nil {
		return domain.Stamped{}, fmt.Errorf("%s version %d (sequence %d): %w", s.Aggregate, s.AggregateVersion, s.Sequence, err)
	}
	return domain.Stamped{Event: e, EventID: s.EventID, CommandID: s.CommandID, Sequence: s.Sequence, Index: s.Index, OccurredAt: s.OccurredAt}, nil
}

// Stamp stamps n stored events, event i as stored(i) describes it (see
// [Stored.Stamp]).
func Stamp(n int, stored func(i int) Stored) ([]domain.Stamped, error) {
	out := make([]domain.Stamped, n)
	for i := range out {
		s := stored(i)
		var err error
		if out[i], err = s.Stamp(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
