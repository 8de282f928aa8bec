package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The canonical encoding, written out the plain way from its documentation:
// any verifier in any language must reach the same hash.
func referenceHash(e *Envelope) string {
	h := sha256.New()
	put := func(s string) {
		var lb [binary.MaxVarintLen64]byte
		h.Write(lb[:binary.PutUvarint(lb[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	itoa := func(n uint64) string {
		b, _ := json.Marshal(n)
		return string(b)
	}
	put("laaledger/event/v1")
	put(e.EventID)
	put(e.Type)
	put(itoa(uint64(e.SchemaVersion)))
	put(e.AggregateKind)
	put(e.AggregateID)
	put(itoa(e.AggregateVersion))
	put(e.CommandID)
	put(e.Actor.ID)
	put(e.Actor.Role)
	put(e.Actor.Organisation)
	put(e.Reason)
	put(itoa(uint64(len(e.Evidence))))
	for _, ev := range e.Evidence {
		put(ev)
	}
	put(e.CausationID)
	put(e.CorrelationID)
	put(e.OccurredAt.UTC().Format(time.RFC3339Nano))
	put(e.RecordedAt.UTC().Format(time.RFC3339Nano))
	put(string(e.Data))
	put(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

func TestHashFollowsTheDocumentedEncoding(t *testing.T) {
	e := Envelope{EventID: "0190b6a4-7c1e-7000-8000-000000000001",
		AggregateKind: "laa", AggregateID: "00EB/2008-11", AggregateVersion: 300, CommandID: "cmd-1",
		Event: Event{Type: "laa.TargetProposed", SchemaVersion: 1,
			Actor:  Actor{ID: "jo", Role: "lsp", Organisation: "00EB"},
			Reason: "première proposition", Evidence: []string{"minutes", "letter"}, CausationID: "c", CorrelationID: "r",
			OccurredAt: time.Date(2008, 2, 4, 12, 0, 0, 0, time.FixedZone("BST", 3600)),
			Data:       json.RawMessage(`{"ni":112,"values":{"2008/09":60}}`)},
		RecordedAt: time.Date(2026, 11, 28, 3, 4, 5, 123456789, time.UTC), PrevHash: ZeroHash}
	got := e.ComputeHash()
	require.Equal(t, referenceHash(&e), got)
	// Pinned: a change here breaks every stored ledger's chain.
	require.Equal(t, "bff89f989c9e846d2efc263d9113c4737e846792b11f173dcdca125f6c5f859a", got)
}
