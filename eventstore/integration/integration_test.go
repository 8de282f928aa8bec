package integration_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	ce "github.com/cloudevents/sdk-go/v2/event"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/estest"
	"github.com/laaledger/laaledger/eventstore/integration"
)

// openListening opens an embedded ledger that admits the integrations of
// its data directory on a loopback port of its own.
func openListening(t *testing.T) *estest.Ledger {
	return estest.Open(t, func(c *eventstore.Config) {
		c.ListenAddr = "127.0.0.1:-1"
		c.EmbeddedUsers = integration.Users(c.DataDir)
	})
}

// appendCommits appends n commands of one event each to an aggregate.
func appendCommits(t *testing.T, l *estest.Ledger, prefix string, n int) {
	t.Helper()
	ctx := estest.Context(t)
	agg := eventstore.Aggregate{Kind: "laa", ID: "00EB/2008-11"}
	h, err := l.Store.Load(ctx, agg)
	if err != nil {
		t.Fatal(err)
	}
	v := h.Version
	for i := range n {
		ev := eventstore.Event{Type: "laa.Noted", SchemaVersion: 1, Data: json.RawMessage(fmt.Sprintf(`{"n":%q}`, fmt.Sprint(prefix, i))),
			Actor: eventstore.Actor{ID: "a", Role: "r", Organisation: "o"}, OccurredAt: time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)}
		res, err := l.Store.Append(ctx, agg, v, []eventstore.Event{ev}, fmt.Sprint(prefix, i))
		if err != nil {
			t.Fatal(err)
		}
		v = res.LastVersion
	}
}

// addIntegration adds an integration to l's data directory, with the
// cheapest password hash; restart l to admit it.
func addIntegration(tb testing.TB, l *estest.Ledger, spec integration.Spec) integration.Credentials {
	tb.Helper()
	spec.PasswordCost = bcrypt.MinCost
	cred, err := integration.Add(estest.Context(tb), l.Store, l.Cfg.DataDir, spec)
	if err != nil {
		tb.Fatal(err)
	}
	return cred
}

// slowAuth gives the server time for a bcrypt comparison, which the race
// detector slows beyond the client's default two seconds.
var slowAuth = nats.Timeout(30 * time.Second)

// integrator is a client connected as an integration user, with the
// asynchronous errors the server sent it.
type integrator struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connect(t *testing.T, l *estest.Ledger, cred integration.Credentials) *integrator {
	t.Helper()
	errs := make(chan error, 64)
	nc, err := nats.Connect(l.Server().ClientURL(), nats.UserInfo(cred.User, cred.Password), slowAuth,
		nats.CustomInboxPrefix(cred.InboxPrefix),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", cred.User, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &integrator{nc: nc, js: js, errs: errs}
}

// read pulls n commits from the integration's consumer, acknowledging each,
// and returns their events as CloudEvents checked by the SDK.
func (c *integrator) read(t *testing.T, cred integration.Credentials, n int) []ce.Event {
	t.Helper()
	ctx := estest.Context(t)
	cons, err := c.js.Consumer(ctx, cred.Stream, cred.Consumer)
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	var m cloudevent.Mapper
	var out []ce.Event
	for len(out) < n {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			var commit eventstore.Commit
			if err := json.Unmarshal(msg.Data(), &commit); err != nil {
				t.Fatal(err)
			}
			meta, err := msg.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			for i := range commit.Events {
				commit.Events[i].Sequence = meta.Sequence.Stream
				var ev ce.Event
				if err := json.Unmarshal(m.Marshal(&commit.Events[i], i), &ev); err != nil {
					t.Fatal(err)
				}
				if err := ev.Validate(); err != nil {
					t.Fatal(err)
				}
				out = append(out, ev)
			}
			if err := msg.DoubleAck(ctx); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// nothingPending checks that the consumer has delivered everything stored.
func (c *integrator) nothingPending(t *testing.T, cred integration.Credentials) {
	t.Helper()
	cons, err := c.js.Consumer(estest.Context(t), cred.Stream, cred.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(1)
	if err != nil {
		t.Fatal(err)
	}
	for msg := range batch.Messages() {
		t.Errorf("delivered again or unexpected: %s", msg.Data())
	}
}

// refused runs op and waits until the server reports a permissions
// violation for subject: that report, not op's own result, is the proof.
// A request that gets no answer is then cancelled.
func (c *integrator) refused(t *testing.T, what, subject string, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(estest.Context(t))
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no permissions violation for %s", what, subject)
		}
	}
}

func TestIntegrationUserReadsItsConsumerAndResumesExactly(t *testing.T) {
	l := openListening(t)
	appendCommits(t, l, "a", 3)
	ctx := estest.Context(t)
	cred := addIntegration(t, l, integration.Spec{Name: "dash"})
	if _, err := integration.Add(ctx, l.Store, l.Cfg.DataDir, integration.Spec{Name: "dash", PasswordCost: bcrypt.MinCost}); !errors.Is(err, integration.ErrExists) {
		t.Errorf("second add of the same name: %v", err)
	}
	// Users are admitted when the server starts, and persist across
	// restarts; the password is kept only as a bcrypt hash.
	l.Restart()
	list, err := integration.Load(l.Cfg.DataDir)
	if err != nil || len(list) != 1 || !strings.HasPrefix(list[0].PasswordHash, "$2") || strings.Contains(fmt.Sprint(list), cred.Password) {
		t.Fatalf("kept integrations: %+v, %v", list, err)
	}

	c := connect(t, l, cred)
	got := c.read(t, cred, 3)
	for i, ev := range got {
		if ev.Extensions()["streamseq"] != fmt.Sprint(i+1) || ev.Type() != "uk.gov.laa.ledger.laa.Noted.v1" {
			t.Errorf("event %d: %s", i, ev)
		}
	}
	appendCommits(t, l, "b", 1)
	if live := c.read(t, cred, 1); live[0].Extensions()["streamseq"] != "4" {
		t.Errorf("live event: %s", live[0])
	}
	c.nc.Close()

	// Stopped, the ledger moves on and restarts; the integrator resumes
	// with exactly what it missed.
	appendCommits(t, l, "c", 2)
	l.Restart()
	appendCommits(t, l, "d", 1)
	c = connect(t, l, cred)
	var seqs []string
	for _, ev := range c.read(t, cred, 3) {
		seqs = append(seqs, fmt.Sprint(ev.Extensions()["streamseq"]))
	}
	if fmt.Sprint(seqs) != "[5 6 7]" {
		t.Errorf("resumed with %v, want [5 6 7]", seqs)
	}
	c.nothingPending(t, cred)
}

func TestIntegrationStartsFromASequenceAndFilters(t *testing.T) {
	l := openListening(t)
	appendCommits(t, l, "a", 4)
	ctx := estest.Context(t)
	from := addIntegration(t, l, integration.Spec{Name: "from-three", Start: integration.Start{Sequence: 3}})
	none := addIntegration(t, l, integration.Spec{Name: "caa-only", Filter: "ledger.caa.>"})
	if _, err := integration.Add(ctx, l.Store, l.Cfg.DataDir, integration.Spec{Name: "Bad.Name", PasswordCost: bcrypt.MinCost}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	l.Restart()
	c := connect(t, l, from)
	var seqs []string
	for _, ev := range c.read(t, from, 2) {
		seqs = append(seqs, fmt.Sprint(ev.Extensions()["streamseq"]))
	}
	if fmt.Sprint(seqs) != "[3 4]" {
		t.Errorf("from sequence 3: %v", seqs)
	}
	connect(t, l, none).nothingPending(t, none)
}

func TestIntegrationUserMayDoNothingElse(t *testing.T) {
	l := openListening(t)
	appendCommits(t, l, "a", 2)
	ctx := estest.Context(t)
	cred := addIntegration(t, l, integration.Spec{Name: "dash"})
	other := addIntegration(t, l, integration.Spec{Name: "other"})
	l.Restart()

	// No anonymous client, and no one with a wrong password.
	if nc, err := nats.Connect(l.Server().ClientURL()); err == nil {
		nc.Close()
		t.Error("an anonymous client was admitted")
	}
	if nc, err := nats.Connect(l.Server().ClientURL(), nats.UserInfo(cred.User, other.Password), slowAuth); err == nil {
		nc.Close()
		t.Error("a wrong password was admitted")
	}

	c := connect(t, l, cred)
	c.read(t, cred, 1) // it may read
	js := c.js
	stream := cred.Stream
	c.refused(t, "publish to the ledger", "ledger.laa.00EB.2008-11", func(context.Context) error {
		if err := c.nc.Publish("ledger.laa.00EB.2008-11", []byte(`{}`)); err != nil {
			return err
		}
		return c.nc.Flush()
	})
	c.refused(t, "JetStream publish to the ledger", "ledger.laa.00EB.2008-11", func(ctx context.Context) error {
		_, err := js.Publish(ctx, "ledger.laa.00EB.2008-11", []byte(`{}`))
		return err
	})
	c.refused(t, "delete a message", "$JS.API.STREAM.MSG.DELETE."+stream, func(ctx context.Context) error {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		return s.DeleteMsg(ctx, 1)
	})
	// The stream allows direct gets, which the client then uses.
	c.refused(t, "read a message directly", "$JS.API.DIRECT.GET."+stream, func(ctx context.Context) error {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		_, err = s.GetMsg(ctx, 1)
		return err
	})
	c.refused(t, "purge the stream", "$JS.API.STREAM.PURGE."+stream, func(ctx context.Context) error {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		return s.Purge(ctx)
	})
	c.refused(t, "update the stream", "$JS.API.STREAM.UPDATE."+stream, func(ctx context.Context) error {
		cfg := l.Store.StreamConfig()
		cfg.DenyDelete, cfg.DenyPurge = false, false
		_, err := js.UpdateStream(ctx, cfg)
		return err
	})
	c.refused(t, "delete the stream", "$JS.API.STREAM.DELETE."+stream, func(ctx context.Context) error {
		return js.DeleteStream(ctx, stream)
	})
	c.refused(t, "delete another consumer", "$JS.API.CONSUMER.DELETE."+stream+"."+other.Consumer, func(ctx context.Context) error {
		return js.DeleteConsumer(ctx, stream, other.Consumer)
	})
	c.refused(t, "delete its own consumer", "$JS.API.CONSUMER.DELETE."+stream+"."+cred.Consumer, func(ctx context.Context) error {
		return js.DeleteConsumer(ctx, stream, cred.Consumer)
	})
	c.refused(t, "create a consumer", "$JS.API.CONSUMER.CREATE."+stream+".mine", func(ctx context.Context) error {
		_, err := js.CreateConsumer(ctx, stream, jetstream.ConsumerConfig{Name: "mine"})
		return err
	})
	c.refused(t, "listen on other clients' inboxes", "_INBOX.>", func(context.Context) error {
		if _, err := c.nc.SubscribeSync("_INBOX.>"); err != nil {
			return err
		}
		return c.nc.Flush()
	})

	// The ledger is as it was: both commits, both consumers, the stream's
	// guards.
	admin := l.AdminJetStream()
	s, err := admin.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 || !info.Config.DenyDelete || !info.Config.DenyPurge {
		t.Errorf("stream after the attempts: %d messages, deny delete %v, deny purge %v", info.State.Msgs, info.Config.DenyDelete, info.Config.DenyPurge)
	}
	for _, name := range []string{cred.Consumer, other.Consumer} {
		if _, err := s.Consumer(ctx, name); err != nil {
			t.Errorf("consumer %s: %v", name, err)
		}
	}
}

// An integrator may pull more than JetStream's default MaxAckPending
// (1,000) before it acknowledges: the consumer hands them all out.
func TestIntegrationPullsMoreThanAThousandCommitsBeforeAcknowledging(t *testing.T) {
	l := openListening(t)
	appendCommits(t, l, "a", 1)
	ctx := estest.Context(t)
	stored, err := l.Store.StoredCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	const commits = 1500
	for i := 1; i < commits; i++ {
		if _, err := l.JetStream().PublishAsync(fmt.Sprintf("ledger.laa.B%d.2008-11", i), stored.Data); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-l.JetStream().PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publish timed out")
	}
	cred := addIntegration(t, l, integration.Spec{Name: "bulk"})
	l.Restart()
	c := connect(t, l, cred)
	cons, err := c.js.Consumer(ctx, cred.Stream, cred.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.MaxAckPending; got != integration.MaxAckPending {
		t.Errorf("MaxAckPending %d, want %d", got, integration.MaxAckPending)
	}
	got := 0
	for got < commits {
		batch, err := cons.Fetch(commits-got, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for range batch.Messages() {
			n++
		}
		if n == 0 {
			t.Fatalf("the consumer stopped handing out commits after %d of %d, none acknowledged", got, commits)
		}
		got += n
	}
}

// The server answers a request on whatever reply subject the client names.
// An integration user's requests are answered in its own account, so no
// answer reaches a stream of the ledger's, whatever reply subject it picks:
// not the ledger stream, not another stream such as the checkpoints'.
func TestIntegrationUserCannotWriteThroughAReplySubject(t *testing.T) {
	l := openListening(t)
	appendCommits(t, l, "a", 2)
	ctx := estest.Context(t)
	cred := addIntegration(t, l, integration.Spec{Name: "dash"})
	l.Restart()
	aux, err := l.Store.EnsureAuxStream(ctx, "LEDGER_CHECKPOINTS", []string{"checkpoints.LEDGER"}, "a stream the ledger keeps beside it")
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, l, cred)
	c.read(t, cred, 1) // its requests work

	for _, req := range []struct{ subject, reply, body string }{
		{"$JS.API.CONSUMER.MSG.NEXT." + cred.Stream + "." + cred.Consumer, "checkpoints.LEDGER", `{"batch":1,"no_wait":true}`},
		{"$JS.API.CONSUMER.MSG.NEXT." + cred.Stream + "." + cred.Consumer, "ledger.laa.00EB.2008-11", `{"batch":1,"no_wait":true}`},
		{"$JS.API.STREAM.INFO." + cred.Stream, "ledger.laa.00EB.2008-11", ``},
		{"$JS.API.STREAM.INFO." + cred.Stream, "checkpoints.LEDGER", ``},
		{"$JS.API.CONSUMER.INFO." + cred.Stream + "." + cred.Consumer, "checkpoints.LEDGER", ``},
	} {
		if err := c.nc.PublishMsg(&nats.Msg{Subject: req.subject, Reply: req.reply, Data: []byte(req.body)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	// A request answered in its account reaches its own inbox; one more
	// round trip there orders it after the answers above.
	if _, err := c.js.Stream(ctx, cred.Stream); err != nil {
		t.Fatal(err)
	}
	last, err := l.Store.LastSequence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last != 2 {
		t.Errorf("the ledger stream holds %d commits after the requests, want 2", last)
	}
	if n, err := aux.LastSequence(ctx); err != nil || n != 0 {
		t.Errorf("the checkpoints' stream holds %d messages after the requests (%v), want none", n, err)
	}
	if err := l.Store.Integrity(); err != nil {
		t.Errorf("ledger in doubt after the requests: %v", err)
	}
}
