package projections_test

import (
	"encoding/json"
	"reflect"
	"testing"

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
	ctx := estest.Context(t)
	l := estest.Open(t)
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
