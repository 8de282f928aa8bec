package main

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/catalogue"
)

// Ids derived from a command's content are already on ledgers: the digest
// must stay the bytes it always hashed, or a retried change would be
// recorded twice.
func TestContentDigestKeepsTheRecordedIDs(t *testing.T) {
	old := func(prefix string, body []byte) string {
		sum := sha256.Sum256(append([]byte(prefix), body...))
		return hex.EncodeToString(sum[:12])
	}
	retire := actors.RetireActor{ID: "go-ne-1"}
	body := []byte(`{"id":"go-ne-1"}`)
	when := "2009-04-01T00:00:00Z"
	if got, want := contentDigest(retire, body, when), old(retire.CommandType()+"\x00"+when+"\x00", body); got != want {
		t.Errorf("actors digest = %s, want %s", got, want)
	}
	withdraw := catalogue.WithdrawIndicator{NI: 112}
	body = []byte(`{"ni":112}`)
	if got, want := contentDigest(withdraw, body), old(withdraw.CommandType()+"\x00", body); got != want {
		t.Errorf("catalogue digest = %s, want %s", got, want)
	}
	if contentDigest(withdraw, body) == contentDigest(withdraw, []byte(`{"ni":113}`)) {
		t.Error("two changes share a digest")
	}
}
