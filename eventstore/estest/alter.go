package estest

import (
	"encoding/json"

	"github.com/laaledger/laaledger/eventstore"
)

// PublishAltered stores, as someone with write access to the stream
// would, a commit that claims to follow the one at stream sequence after
// in its aggregate's hash chain but whose event body was changed after it
// was hashed. It returns the new commit's sequence and the aggregate
// version it claims.
func (l *Ledger) PublishAltered(after uint64) (seq, version uint64) {
	l.t.Helper()
	ctx := Context(l.t)
	c, err := l.Store.Commit(ctx, after)
	if err != nil {
		l.t.Fatalf("read commit %d: %v", after, err)
	}
	e := &c.Events[len(c.Events)-1]
	next := *e
	next.AggregateVersion, next.PrevHash, next.EventID = e.AggregateVersion+1, e.Hash, e.EventID+"-altered"
	next.Hash = next.ComputeHash()
	next.Data = json.RawMessage(`{"altered":true}`) // after it was hashed
	c.Events, c.CommandID = []eventstore.Envelope{next}, c.CommandID+"-altered"
	body, err := json.Marshal(c)
	if err != nil {
		l.t.Fatal(err)
	}
	subject, err := eventstore.Aggregate{Kind: next.AggregateKind, ID: next.AggregateID}.Subject()
	if err != nil {
		l.t.Fatal(err)
	}
	ack, err := l.JetStream().Publish(ctx, subject, body)
	if err != nil {
		l.t.Fatalf("publish the altered commit: %v", err)
	}
	return ack.Sequence, next.AggregateVersion
}
