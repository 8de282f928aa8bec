package cloudevent_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"
	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/estest"
)

// appendSample stores one command of two events on a real embedded ledger
// and returns them as read back, with their sequences.
func appendSample(t *testing.T) []eventstore.Envelope {
	t.Helper()
	l := estest.Open(t)
	ctx := estest.Context(t)
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	actor := eventstore.Actor{ID: "go-ne-lead", Role: "go_lead", Organisation: "GO-NE"}
	at := time.Date(2008, 4, 1, 10, 0, 0, 0, time.UTC)
	events := []eventstore.Event{
		{Type: "laa.AgreementOpened", SchemaVersion: 1, Data: json.RawMessage(`{"area":"00EB","period":"2008-11"}`),
			Actor: actor, OccurredAt: at, CorrelationID: "corr-1", Reason: "opening \"2008\" round"},
		{Type: "laa.TargetProposed", SchemaVersion: 1, Data: json.RawMessage(`{"indicator":"NI 1","values":[1,2,3]}`),
			Actor: actor, OccurredAt: at.Add(time.Hour)},
	}
	if _, err := l.Store.Append(ctx, agg, 0, events, "cmd-1"); err != nil {
		t.Fatal(err)
	}
	var out []eventstore.Envelope
	if _, err := l.Store.Read(ctx, eventstore.ReadOptions{FromSequence: 1}, func(c *eventstore.Commit) error {
		out = append(out, c.Events...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("read %d events, want 2", len(out))
	}
	return out
}

func TestEveryLedgerEventIsAValidCloudEventForTheSDK(t *testing.T) {
	envs := appendSample(t)
	m := cloudevent.Mapper{Source: "urn:laaledger:LEDGER", SchemaBase: "https://ledger.example/v1/schemas/"}
	for i := range envs {
		e := &envs[i]
		raw := m.Marshal(e, i)
		var got ce.Event
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("sdk-go cannot read %s: %v", raw, err)
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("sdk-go refuses %s: %v", raw, err)
		}
		for _, c := range []struct{ desc, got, want string }{
			{"id", got.ID(), e.EventID},
			{"source", got.Source(), "urn:laaledger:LEDGER/laa/00EB/2008-11"},
			{"type", got.Type(), "uk.gov.laa.ledger." + e.Type + ".v1"},
			{"subject", got.Subject(), "00EB/2008-11"},
			{"time", got.Time().Format(time.RFC3339Nano), e.OccurredAt.UTC().Format(time.RFC3339Nano)},
			{"datacontenttype", got.DataContentType(), "application/json"},
			{"dataschema", got.DataSchema(), "https://ledger.example/v1/schemas/" + e.Type},
			{"data", string(got.Data()), string(e.Data)},
			{"streamseq", str(got.Extensions()["streamseq"]), strconv.FormatUint(e.Sequence, 10)},
			{"streamindex", str(got.Extensions()["streamindex"]), strconv.Itoa(i)},
			{"aggversion", str(got.Extensions()["aggversion"]), strconv.FormatUint(e.AggregateVersion, 10)},
			{"recordedtime", str(got.Extensions()["recordedtime"]), e.RecordedAt.UTC().Format(time.RFC3339Nano)},
			{"eventhash", str(got.Extensions()["eventhash"]), e.Hash},
			{"prevhash", str(got.Extensions()["prevhash"]), e.PrevHash},
			{"correlationid", str(got.Extensions()["correlationid"]), e.CorrelationID},
			{"commandid", str(got.Extensions()["commandid"]), "cmd-1"},
		} {
			if c.got != c.want {
				t.Errorf("event %d %s = %q, want %q", i, c.desc, c.got, c.want)
			}
		}
		// What the SDK writes back is still the same event.
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back cloudevent.Event
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatal(err)
		}
		env, idx, err := m.Envelope(&back)
		if err != nil {
			t.Fatal(err)
		}
		if idx != i || env.ComputeHash() != e.Hash || env.Sequence != e.Sequence {
			t.Errorf("event %d through the SDK: index %d, sequence %d, hash %s; want %d, %d, %s",
				i, idx, env.Sequence, env.ComputeHash(), i, e.Sequence, e.Hash)
		}
	}
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int32:
		return strconv.Itoa(int(v))
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTypeNamesTheSchemaVersionAndParsesBack(t *testing.T) {
	for _, tc := range []struct {
		desc   string
		m      cloudevent.Mapper
		typ    string
		ver    int
		ceType string
	}{
		{desc: "default prefix", typ: "laa.TargetProposed", ver: 1, ceType: "uk.gov.laa.ledger.laa.TargetProposed.v1"},
		{desc: "own prefix", m: cloudevent.Mapper{TypePrefix: "org.example.audit."}, typ: "caa.CAAFlagProposed", ver: 12, ceType: "org.example.audit.caa.CAAFlagProposed.v12"},
	} {
		if got := tc.m.Type(tc.typ, tc.ver); got != tc.ceType {
			t.Errorf("%s: Type = %q, want %q", tc.desc, got, tc.ceType)
		}
		typ, ver, err := tc.m.ParseType(tc.ceType)
		if err != nil || typ != tc.typ || ver != tc.ver {
			t.Errorf("%s: ParseType = %q, %d, %v", tc.desc, typ, ver, err)
		}
	}
	var m cloudevent.Mapper
	for _, bad := range []string{"com.other.laa.X.v1", "uk.gov.laa.ledger.laa.X", "uk.gov.laa.ledger.laa.X.v0", "uk.gov.laa.ledger.laa.X.vx"} {
		if _, _, err := m.ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) accepted", bad)
		}
	}
}
