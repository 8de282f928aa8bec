package projections_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/domain/service"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/scripts/genhistory"
)

// Every event of a generated ledger decodes through registry.DecodeEvent (and
// its hand-written fast path for the commonest types) exactly as
// encoding/json decodes its stored body.
func TestDecodeEventMatchesEncodingJSONOverAGeneratedHistory(t *testing.T) {
	// Writing 12,000 events through the service under -race takes 30-40 s
	// on a busy two-core machine: more than half of estest.Context's minute.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// What is checked is decoding, not durability: the history is written
	// without a sync per command.
	l := estest.Open(t, func(c *eventstore.Config) { c.SyncInterval = time.Minute })
	if _, err := genhistory.Run(ctx, service.New(l.Store, service.Kinds()), genhistory.Options{Events: 12_000, Seed: 3, Areas: 12}); err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	_, err := l.Store.Read(ctx, eventstore.ReadOptions{}, func(c *eventstore.Commit) error {
		for _, e := range c.Events {
			got, err := registry.DecodeEvent(e.Type, e.SchemaVersion, e.Data)
			if err != nil {
				t.Fatalf("%s at %d: %v", e.Type, e.Sequence, err)
			}
			want := reflect.New(reflect.TypeOf(got))
			if err := json.Unmarshal(e.Data, want.Interface()); err != nil {
				t.Fatalf("%s at %d: encoding/json: %v", e.Type, e.Sequence, err)
			}
			if !reflect.DeepEqual(got, want.Elem().Interface()) {
				t.Fatalf("%s at %d: decoded %#v, encoding/json %#v", e.Type, e.Sequence, got, want.Elem().Interface())
			}
			types[e.Type]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"laa.OutturnRecorded", "laa.TargetProposed", "laa.TargetCounterProposed", "laa.TargetAgreed"} {
		if types[typ] == 0 {
			t.Errorf("the generated history has no %s", typ)
		}
	}
	t.Logf("event types: %v", types)
}
