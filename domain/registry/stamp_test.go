package registry

import (
	"strings"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
)

type aggregateName string

func (a aggregateName) String() string { return string(a) }

func TestStampKeepsWhereTheLedgerPutEachEvent(t *testing.T) {
	typ, version, data, err := EncodeEvent(actors.ActorRetired{ID: "go-ne-1", At: time.Date(2009, 1, 5, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2008, 6, 30, 9, 0, 0, 0, time.UTC)
	stored := []Stored{
		{Aggregate: aggregateName("actors register"), AggregateVersion: 4, Type: typ, SchemaVersion: version, Data: data,
			EventID: "e4", CommandID: "c2", Sequence: 9, Index: 1, OccurredAt: at},
	}
	got, err := Stamp(len(stored), func(i int) Stored { return stored[i] })
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Stamped{Event: got[0].Event, EventID: "e4", CommandID: "c2", Sequence: 9, Index: 1, OccurredAt: at}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Stamp = %+v, want %+v", got, want)
	}
	if e, ok := got[0].Event.(actors.ActorRetired); !ok || e.ID != "go-ne-1" {
		t.Errorf("event = %#v, want the ActorRetired stored", got[0].Event)
	}
}

func TestStampNamesTheAggregateVersionAndSequenceOfAnEventItCannotDecode(t *testing.T) {
	s := Stored{Aggregate: aggregateName("laa 00EB/2008-11"), AggregateVersion: 7, Type: "NoSuchEvent", SchemaVersion: 1, Data: []byte(`{}`), Sequence: 42}
	_, err := Stamp(1, func(int) Stored { return s })
	if err == nil || !strings.HasPrefix(err.Error(), "laa 00EB/2008-11 version 7 (sequence 42): ") {
		t.Errorf("Stamp error = %v, want one naming laa 00EB/2008-11, version 7 and sequence 42", err)
	}
}
