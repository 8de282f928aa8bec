// Package webhook delivers ledger events to an HTTP endpoint as signed
// CloudEvents: at least once, in stream order, each event retried with
// exponential backoff and jitter and, after a bounded number of attempts,
// handed over as a dead letter so that one bad event does not stop the
// feed for ever.
//
// Requests follow the Standard Webhooks specification: the body is the
// event as a CloudEvent in the structured JSON mode
// (application/cloudevents+json); webhook-id is the event id, which is the
// receiver's idempotency key (a retry, or a redelivery after a restart,
// repeats it); webhook-timestamp is the Unix time of the attempt in
// seconds; webhook-signature is "v1," and the base64 HMAC-SHA256, under
// the endpoint's secret, of "<webhook-id>.<webhook-timestamp>.<body>".
// [Verify] is the receiver's side.
//
// The position of each endpoint is a durable JetStream consumer of its own
// on the ledger stream: a commit is acknowledged once each of its events
// was delivered or dead-lettered, so a deliverer that stops resumes with
// the first commit not wholly handled.
//
// The package imports eventstore and NATS, never the domain.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/eventstore"
	"github.com/laaledger/laaledger/eventstore/cloudevent"
	"github.com/laaledger/laaledger/eventstore/internal/conns"
)

// Header names of the Standard Webhooks specification.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Sign returns the webhook-signature value of a delivery.
func Sign(secret []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Errors of [Verify].
var (
	// ErrBadSignature is returned for a request no signature of which
	// matches the secret.
	ErrBadSignature = errors.New("webhook: no valid signature")
	// ErrStale is returned for a request whose timestamp is outside the
	// tolerance: a replay of an old request, or a clock far out.
	ErrStale = errors.New("webhook: timestamp outside tolerance")
)

// Verify checks a received delivery: its signature under secret and that
// its timestamp is within tolerance of now. The signature header may list
// several space-separated signatures (during a secret's rotation); one
// match is enough.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsS := h.Get(HeaderID), h.Get(HeaderTimestamp)
	ts, err := strconv.ParseInt(tsS, 10, 64)
	if id == "" || err != nil {
		return ErrBadSignature
	}
	t := time.Unix(ts, 0)
	if t.Before(now.Add(-tolerance)) || t.After(now.Add(tolerance)) {
		return ErrStale
	}
	want := Sign(secret, id, t, body)
	for _, sig := range strings.Fields(h.Get(HeaderSignature)) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Endpoint is one webhook subscriber.
type Endpoint struct {
	// Name names the endpoint's durable consumer, "webhook-<name>".
	Name string
	URL  string
	// Secret is the HMAC key shared with the receiver.
	Secret []byte
	// Filter, when set, is a ledger subject filter ("ledger.laa.>").
	Filter string
	// Types, when set, limits deliveries to these ledger event types.
	Types []string
	// StartSequence, StartTime and NewOnly say where a new endpoint's
	// position begins (at most one; none: the first commit). They are
	// part of the durable consumer's configuration, so they must not
	// change once it exists.
	StartSequence uint64
	StartTime     *time.Time
	NewOnly       bool
}

// DeadLetter is an event given up on after the last attempt.
type DeadLetter struct {
	Endpoint string
	EventID  string
	Sequence uint64
	Index    int
	Attempts int
	LastErr  string
	// Body is the CloudEvent that was sent, for replay.
	Body []byte
}

// Deliverer delivers the ledger's events to one endpoint.
type Deliverer struct {
	Store    *eventstore.Store
	Endpoint Endpoint
	// Mapper makes the CloudEvents; its zero value uses the defaults.
	Mapper cloudevent.Mapper
	// Client sends the requests; default a client with a 10 s timeout.
	Client *http.Client
	// MaxAttempts bounds the attempts per event; default 8.
	MaxAttempts int
	// Backoff is the first retry's delay, doubled after each failure up to
	// MaxBackoff, each with up to half again of random jitter; defaults
	// 500 ms and 5 minutes.
	Backoff, MaxBackoff time.Duration
	// DeadLetter receives each event given up on; it must keep it (the
	// commit is acknowledged after it returns) or return an error, which
	// stops Run without acknowledging. Nil drops dead letters.
	DeadLetter func(ctx context.Context, dl DeadLetter) error
	// Delivered, if set, is told of each delivered event (for metrics).
	Delivered func(eventID string, attempts int)
	// Failed, if set, is told of each failed attempt as it happens (for
	// metrics and status), the last one of a dead letter included.
	Failed func(eventID string, attempt int, err error)
	// AckWait is how long a commit fetched and not acknowledged stays
	// with this deliverer before the server offers it again; it bounds
	// the stall after a stop that left a fetch behind. Default 30 s.
	AckWait time.Duration
}

func (d *Deliverer) defaults() {
	if d.Client == nil {
		d.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 8
	}
	if d.Backoff <= 0 {
		d.Backoff = 500 * time.Millisecond
	}
	if d.AckWait <= 0 {
		d.AckWait = 30 * time.Second
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = 5 * time.Minute
	}
}

// ConsumerName is the durable consumer of an endpoint.
func ConsumerName(endpoint string) string { return "webhook-" + endpoint }

// Run delivers from the endpoint's position (for a new endpoint, where its
// start says: the first commit unless set) until ctx ends, and returns ctx's error or why it stopped.
func (d *Deliverer) Run(ctx context.Context) error {
	d.defaults()
	h := conns.Of(d.Store)
	stream := d.Store.StreamConfig().Name
	cc := jetstream.ConsumerConfig{
		Durable:       ConsumerName(d.Endpoint.Name),
		Description:   "webhook deliveries to " + d.Endpoint.URL,
		AckPolicy:     jetstream.AckExplicitPolicy,
		FilterSubject: d.Endpoint.Filter,
		// One commit at a time keeps deliveries in stream order, and so
		// in order per aggregate.
		MaxAckPending: 1,
		// A commit being worked on is extended with InProgress before
		// each attempt. One fetched by a deliverer that then stopped (a
		// pull cannot be withdrawn) comes back after AckWait.
		AckWait: d.AckWait,
	}
	switch {
	case d.Endpoint.StartSequence > 0:
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, d.Endpoint.StartSequence
	case d.Endpoint.StartTime != nil:
		t := d.Endpoint.StartTime.UTC()
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case d.Endpoint.NewOnly:
		cc.DeliverPolicy = jetstream.DeliverNewPolicy
	}
	cons, err := h.JetStream.CreateOrUpdateConsumer(ctx, stream, cc)
	if err != nil {
		return fmt.Errorf("webhook %s: consumer: %w", d.Endpoint.Name, err)
	}
	types := map[string]bool{}
	for _, t := range d.Endpoint.Types {
		types[t] = true
	}
	for {
		if err := d.poll(ctx, cons, types); err != nil {
			return err
		}
	}
}

// poll fetches at most one commit, waiting a bounded time so that a stop
// is seen between polls too, and handles it.
func (d *Deliverer) poll(ctx context.Context, cons jetstream.Consumer, types map[string]bool) error {
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	batch, err := cons.Fetch(1, jetstream.FetchContext(fctx))
	if err == nil {
		for msg := range batch.Messages() {
			if err := d.handle(ctx, msg, types); err != nil {
				return err
			}
		}
		err = batch.Error()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
		return fmt.Errorf("webhook %s: fetch: %w", d.Endpoint.Name, err)
	}
	return nil
}

// handle delivers every event of one commit, then acknowledges it.
func (d *Deliverer) handle(ctx context.Context, msg jetstream.Msg, types map[string]bool) error {
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	// The ledger's own commit parser: a tenth of the CPU of encoding/json
	// (BenchmarkIntegratorDecode in eventstore/integration).
	c, err := eventstore.DecodeCommit(msg.Data(), meta.Sequence.Stream)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", d.Endpoint.Name, err)
	}
	for i := range c.Events {
		e := &c.Events[i]
		if len(types) > 0 && !types[e.Type] {
			continue
		}
		body := d.Mapper.Marshal(e, i)
		attempts, lastErr := d.deliver(ctx, msg, e.EventID, body)
		if ctx.Err() != nil {
			return ctx.Err() // not acknowledged: redelivered on restart
		}
		if lastErr == nil {
			if d.Delivered != nil {
				d.Delivered(e.EventID, attempts)
			}
			continue
		}
		if d.DeadLetter != nil {
			dl := DeadLetter{Endpoint: d.Endpoint.Name, EventID: e.EventID, Sequence: e.Sequence, Index: i,
				Attempts: attempts, LastErr: lastErr.Error(), Body: body}
			if err := d.DeadLetter(ctx, dl); err != nil {
				return fmt.Errorf("webhook %s: keep dead letter %s: %w", d.Endpoint.Name, e.EventID, err)
			}
		}
	}
	return msg.DoubleAck(ctx)
}

// deliver sends one event until the endpoint answers 2xx or the attempts
// run out, and returns the attempts made and the last failure.
func (d *Deliverer) deliver(ctx context.Context, msg jetstream.Msg, id string, body []byte) (int, error) {
	delay := d.Backoff
	var lastErr error
	for attempt := 1; attempt <= d.MaxAttempts; attempt++ {
		msg.InProgress()
		if lastErr = d.send(ctx, id, body); lastErr == nil {
			return attempt, nil
		}
		if ctx.Err() != nil {
			return attempt, ctx.Err()
		}
		if d.Failed != nil {
			d.Failed(id, attempt, lastErr)
		}
		if attempt == d.MaxAttempts {
			break
		}
		wait := delay + time.Duration(rand.Int64N(int64(delay)/2+1))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, d.MaxBackoff)
	}
	return d.MaxAttempts, lastErr
}

// send makes one attempt.
func (d *Deliverer) send(ctx context.Context, id string, body []byte) error {
	return Send(ctx, d.Client, d.Endpoint, id, body, time.Now())
}

// Send posts one signed delivery: the deliverer's single attempt, and the
// way to replay a [DeadLetter] (Send(ctx, client, ep, dl.EventID, dl.Body,
// time.Now())).
func Send(ctx context.Context, client *http.Client, ep Endpoint, id string, body []byte, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", cloudevent.ContentType)
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(ep.Secret, id, now, body))
	// A redirect is never followed: the client would resend the signed
	// headers to wherever it points, as a GET without the body, and take
	// that answer for the delivery. It is an answer that is not 2xx.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := noRedirect.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode >= 300 && res.StatusCode <= 399 {
		return fmt.Errorf("webhook %s: %s answered %d, a redirect, which deliveries do not follow: register the URL it points to", ep.Name, redacted(ep.URL), res.StatusCode)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook %s: %s answered %d", ep.Name, redacted(ep.URL), res.StatusCode)
	}
	return nil
}
