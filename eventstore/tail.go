package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Reading an aggregate's tail with batched direct gets.
//
// A cold aggregate with a snapshot needs only the commits after it, a
// hundred or so. Reading them through an ordered consumer costs a consumer
// created on the stream, its pulls and its deletion for every load, which
// is most of a cold command's time. A direct get in its batched form
// (ADR-31, nats-server 2.11 and later) reads the same messages with one
// request and no server-side state: a request on $JS.API.DIRECT.GET.<stream>
// with {"seq": from, "next_by_subj": subject, "batch": n, "max_bytes": b}
// is answered, on the request's reply subject, by the stored messages of
// that subject from sequence from on, in stream order, each with its
// Nats-Sequence, Nats-Subject and Nats-Num-Pending headers, then by an
// end-of-batch status message (status 204, "EOB") whose Nats-Num-Pending
// counts the subject's messages after the batch. The server ends a batch
// at n messages or once it has sent b bytes; when messages are still
// pending the read asks again from the sequence after the last it got.
//
// The commits read this way are checked exactly as a consumer's are (the
// caller hands each to its chain verifier), so a missing or altered
// message fails the same way. The read falls back to the consumer
// ([errNoBatchGet]) whenever the answer is not a complete batch read up to
// the last commit: a server that does not know batches (its first reply
// lacks Nats-Num-Pending, ADR-31's test for old servers), no direct get
// responder, "not found", or a batch that ends with nothing pending before
// the last commit — which a replica that has not yet applied the last
// writes may answer, since direct gets on a cluster are served by any
// replica. The consumer then reads from the stream's leader and reports
// what it finds as before.
//
// The server honours up_to_seq only for multi_last requests (2.15), so the
// read bounds itself: it asks for no more messages than the tail can hold
// and stops at the last commit.

// directGetAPI is the subject prefix of a stream's direct get requests.
const directGetAPI = "$JS.API.DIRECT.GET."

// The headers and the status of batched direct get replies.
const (
	statusHeader     = "Status"
	numPendingHeader = "Nats-Num-Pending"
	endOfBatch       = "204"
)

// maxTailBatch and maxTailBytes bound one batched direct get: the
// messages it asks for, and the bytes after which the server ends the
// batch (its default is its slow-consumer limit, 64 MiB). A tail at the
// service's default snapshot interval (128 commits, a few hundred KiB)
// comes in one batch.
const (
	maxTailBatch = 1024
	maxTailBytes = 1 << 20
)

// errNoBatchGet means a batched direct get could not read the tail; the
// caller reads it with a consumer instead.
var errNoBatchGet = errors.New("batched direct get did not read the tail")

// directGetRequest is the body of a direct get request (nats-server's
// JSApiMsgGetRequest, the fields used here).
type directGetRequest struct {
	Seq      uint64 `json:"seq"`
	NextFor  string `json:"next_by_subj"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes,omitempty"`
}

// readTail calls fn with each commit on subject from stream sequence from
// up to and including the one at sequence last, in stream order, reading
// them with batched direct gets. maxCommits bounds how many commits the
// range can hold (the tail's events); no more are asked for. The read
// waits its turn among maxReaders, as a consumer's does; each wait for a
// reply is bounded by the read idle timeout (a *[ReadStalledError]) and
// by ctx ([ErrUnavailable]). fn returning an error stops the read with
// that error. It returns an error wrapping [errNoBatchGet] when the caller
// should read the range with a consumer; fn may have been called for part
// of it.
func (s *Store) readTail(ctx context.Context, subject string, from, last uint64, maxCommits int, fn func(*Commit) error) error {
	if from > last {
		return nil
	}
	if s.noBatchGet.Load() {
		return errNoBatchGet
	}
	// The server sends a batch without flow control; the readers' bound
	// keeps what it may have pending for the connection at maxReaders
	// batches (16 MiB), well under its slow-consumer limit.
	select {
	case s.readers <- struct{}{}:
		defer func() { <-s.readers }()
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for a reader: %v", ErrUnavailable, ctx.Err())
	}
	// The replies come to a subscription of this read's own, on a channel
	// that holds a whole batch and its end: the server sends no more than
	// that before the next request, so none is dropped. (A synchronous
	// subscription would allocate nats.go's default 64k-slot channel on
	// every read.)
	next, left := from, max(maxCommits, 1)
	replies := make(chan *nats.Msg, min(left, s.tailBatch)+1)
	sub, err := s.nc.ChanSubscribe(s.nc.NewInbox(), replies)
	if err != nil {
		return fmt.Errorf("read stream: %w", mapErr(err))
	}
	defer sub.Unsubscribe()
	idle := time.NewTimer(s.cfg.ReadIdleTimeout)
	defer idle.Stop()
	api := directGetAPI + s.cfg.Stream
	for {
		body, err := json.Marshal(directGetRequest{Seq: next, NextFor: subject, Batch: min(left, s.tailBatch), MaxBytes: s.tailBytes})
		if err != nil {
			return err
		}
		if err := s.nc.PublishRequest(api, sub.Subject, body); err != nil {
			return fmt.Errorf("read stream: %w", mapErr(err))
		}
		got := 0
		for {
			var msg *nats.Msg
			idle.Reset(s.cfg.ReadIdleTimeout)
			select {
			case msg = <-replies:
			case <-ctx.Done():
				return fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
			case <-idle.C:
				return &ReadStalledError{Op: "read stream", Waiting: next, Stop: last, Filtered: true, Idle: s.cfg.ReadIdleTimeout}
			}
			if status := msg.Header.Get(statusHeader); status != "" && len(msg.Data) == 0 {
				if status != endOfBatch {
					// 404: nothing of the subject from next on (yet, on
					// this replica); 503: no direct get responder; 408:
					// a request this server does not take.
					return fmt.Errorf("%w: status %s %s at sequence %d", errNoBatchGet, status, msg.Header.Get("Description"), next)
				}
				pending, err := strconv.ParseUint(msg.Header.Get(numPendingHeader), 10, 64)
				if err != nil || pending == 0 || got == 0 {
					return fmt.Errorf("%w: the batch ended at sequence %d, before %d", errNoBatchGet, next, last)
				}
				break // more pending: ask again from next
			}
			if msg.Header.Get(numPendingHeader) == "" {
				// A server that does not know batches answers with the
				// first message alone; it will not learn them while the
				// store runs.
				s.noBatchGet.Store(true)
				s.log.Info("the server does not answer batched direct gets; cold aggregates' tails are read with consumers")
				return errNoBatchGet
			}
			seq, err := strconv.ParseUint(msg.Header.Get(nats.JSSequence), 10, 64)
			if err != nil || seq < next || msg.Header.Get(nats.JSSubject) != subject {
				return fmt.Errorf("%w: unexpected reply at sequence %d", errNoBatchGet, next)
			}
			if seq > last {
				// Stored after the read began.
				return nil
			}
			next, got, left = seq+1, got+1, max(left-1, 1)
			c, err := decodeCommit(msg.Data, seq)
			if err != nil {
				return err
			}
			if err := fn(c); err != nil {
				return err
			}
			if seq == last {
				return nil
			}
		}
	}
}
