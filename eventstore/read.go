package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// History is one aggregate's stored events, in version order, from the
// cache: its snapshot, if one was saved ([Store.SaveSnapshot]), and the
// events after it.
type History struct {
	Aggregate Aggregate
	// Version is the aggregate's version: its number of events.
	Version uint64
	// LastSequence is the stream sequence of its last commit (0 if none).
	LastSequence uint64
	// Base is the version of the aggregate's snapshot (0: none; Events
	// then start at version 1), BaseState the state saved with it, and
	// BaseLast the event at version Base if the cache holds it (nil if
	// not). [Store.LoadFresh] always reads from version 1.
	Base      uint64
	BaseState []byte
	BaseLast  *Envelope
	// Events are the events after Base. They must be treated as
	// read-only: they are shared with the cache.
	Events []Envelope
	// Appended is set by [Store.LoadFor] when the aggregate already holds
	// the command it was asked about: the command's original result, with
	// Duplicate set.
	Appended *AppendResult
}

// Load returns the aggregate's history. It answers from the cache when it
// can; the cache is kept current by this process's own appends and reloaded
// on a conflict, so a decision made on a stale history fails its append
// rather than storing anything wrong. A missing aggregate has version 0 and
// no events; it is not an error.
//
// Errors: ErrInvalid (bad aggregate), ErrUnavailable, ErrTampered.
func (s *Store) Load(ctx context.Context, agg Aggregate) (History, error) {
	var h History
	err := s.withLoaded(ctx, agg, func(st *aggState) { h = st.history() })
	if err != nil {
		return History{}, fmt.Errorf("load %s: %w", agg, err)
	}
	return h, nil
}

// LoadFor is [Store.Load] for a writer about to decide the command
// commandID. In the same look at the aggregate's cache entry it answers the
// command id, as [Store.Append] would (opts are the append's options that
// say what the same command is, [WithFingerprint] and [WithActor]):
//   - held, for the same command: History.Appended is its original result;
//     the caller returns it rather than deciding again, whatever the
//     aggregate's state is now;
//   - held, for a different command: ErrDuplicate;
//   - not held, or held but only its events could tell (no fingerprint or
//     actor to go by): the history, and Append answers the id later.
//
// Because the history and the answer are read under one lock, a history
// that includes a command's events always answers that command's id: a
// decision never sees the effect of its own earlier attempt.
//
// Errors: ErrInvalid (bad aggregate), ErrDuplicate, ErrUnavailable,
// ErrTampered.
func (s *Store) LoadFor(ctx context.Context, agg Aggregate, commandID string, opts ...AppendOption) (History, error) {
	var o appendOptions
	for _, opt := range opts {
		opt(&o)
	}
	var (
		h   History
		dup error
	)
	err := s.withLoaded(ctx, agg, func(st *aggState) {
		h = st.history()
		res, held, err := s.command(ctx, st, commandID)
		if err != nil {
			dup = err
			return
		}
		if held {
			res, ok, err := o.repeated(agg, res, nil, commandID)
			switch {
			case err != nil:
				dup = err
			case ok:
				h.Appended = &res
			}
		}
	})
	switch {
	case err != nil:
		return History{}, fmt.Errorf("load %s for command %s: %w", agg, commandID, err)
	case dup != nil:
		return History{}, dup
	}
	return h, nil
}

// withLoaded calls fn with the aggregate's cache entry, loaded from the
// stream if it was cold, while holding the entry's lock.
func (s *Store) withLoaded(ctx context.Context, agg Aggregate, fn func(*aggState)) error {
	subject, err := agg.Subject()
	if err != nil {
		return err
	}
	st := s.cache.get(agg)
	defer s.cache.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.loaded {
		if err := s.loadInto(ctx, st, subject); err != nil {
			return err
		}
	}
	fn(st)
	return nil
}

// Appended returns the result of a command already stored on the
// aggregate, and false if the aggregate holds no such command id. A caller
// that retries a command asks this first: the original answer stands even
// if the aggregate has moved on since.
func (s *Store) Appended(ctx context.Context, agg Aggregate, commandID string) (AppendResult, bool, error) {
	var res AppendResult
	var ok bool
	var lerr error
	err := s.withLoaded(ctx, agg, func(st *aggState) { res, ok, lerr = s.command(ctx, st, commandID) })
	if err == nil {
		err = lerr
	}
	if err != nil {
		return AppendResult{}, false, fmt.Errorf("look up command %s on %s: %w", commandID, agg, err)
	}
	res.Duplicate = ok
	return res, ok, nil
}

// LoadFresh is [Store.Load] that always reads the stream, bypassing the
// cache (auditors' reads, tests).
func (s *Store) LoadFresh(ctx context.Context, agg Aggregate) (History, error) {
	subject, err := agg.Subject()
	if err != nil {
		return History{}, fmt.Errorf("load %s: %w", agg, err)
	}
	st := &aggState{agg: agg}
	st.reset()
	last, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return History{Aggregate: agg}, nil
	}
	if err != nil {
		return History{}, fmt.Errorf("load %s: read last message: %w", agg, mapErr(err))
	}
	if err := s.loadWhole(ctx, st, subject, last.Sequence); err != nil {
		return History{}, fmt.Errorf("load %s: %w", agg, err)
	}
	return History{Aggregate: agg, Version: st.version, LastSequence: st.lastSeq, Events: st.events}, nil
}

// loadInto reads the aggregate into st: from its snapshot and the commits
// after it when the stream confirms the snapshot, else its whole history,
// verifying the hash chain on the way. The caller holds st.mu.
func (s *Store) loadInto(ctx context.Context, st *aggState, subject string) error {
	st.reset()
	last, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		st.loaded = true
		s.cache.resized(st, 0)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read last message of %s: %w", subject, mapErr(err))
	}
	if ok, err := s.loadFromSnapshot(ctx, st, subject, last); ok || err != nil {
		return err
	}
	return s.loadWhole(ctx, st, subject, last.Sequence)
}

// loadWhole reads the aggregate's whole history, up to the commit at
// sequence stop, into st. The caller holds st.mu.
func (s *Store) loadWhole(ctx context.Context, st *aggState, subject string, stop uint64) error {
	st.reset()
	v := NewChainVerifier()
	err := s.scan(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}, stop, func(c *Commit) error {
		return st.addCommit(v, c, subject)
	})
	if err != nil {
		st.reset()
		return err
	}
	st.loaded = true
	s.cache.resized(st, st.size())
	return nil
}

// scan reads the stream with an ordered consumer and calls fn for each
// commit until it has handled the message at sequence stop.
func (s *Store) scan(ctx context.Context, cfg jetstream.OrderedConsumerConfig, stop uint64, fn func(*Commit) error) error {
	if stop == 0 {
		return nil
	}
	return s.consume(ctx, "read stream", cfg, stop, decoded(fn))
}

// decoded turns fn on commits into a function on stored messages.
func decoded(fn func(*Commit) error) func(StoredCommit) error {
	return func(m StoredCommit) error {
		c, err := decodeCommit(m.Data, m.Sequence)
		if err != nil {
			return err
		}
		return fn(c)
	}
}

// consume is every read of the stream through a consumer (a cold
// aggregate's tail is read with direct gets, see readTail, unless the
// server does not answer them): it hands fn each message selected by
// cfg, undecoded and in stream order. A bounded read (stop > 0) waits its
// turn among maxReaders and ends once it has handled the message at
// sequence stop; ctx ending it is [ErrUnavailable]. An unbounded one (stop
// 0) follows the stream until ctx ends (nil) or fn fails. op names the read
// in errors.
func (s *Store) consume(ctx context.Context, op string, cfg jetstream.OrderedConsumerConfig, stop uint64, fn func(StoredCommit) error) error {
	if stop > 0 {
		select {
		case s.readers <- struct{}{}:
			defer func() { <-s.readers }()
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for a reader: %v", ErrUnavailable, ctx.Err())
		}
	}
	cons, err := s.openReader(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: create reader: %w", op, err)
	}
	defer s.closeReader(cons)
	hb := followHeartbeat
	if stop > 0 {
		hb = readerHeartbeat
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1000), jetstream.PullHeartbeat(hb))
	if err != nil {
		return fmt.Errorf("%s: start reader: %w", op, mapErr(err))
	}
	defer it.Stop()
	// Nothing selected when the reader was made (a start time after the
	// last match): without this check Next would wait for the next commit.
	if info := cons.CachedInfo(); stop > 0 && info != nil && info.NumPending == 0 {
		return nil
	}
	stopOnCancel := context.AfterFunc(ctx, it.Stop)
	defer stopOnCancel()
	// A bounded read knows a message is coming; waiting for it longer than
	// the idle deadline means it cannot be read, and the read fails naming
	// it rather than hanging. The deadline covers only the wait in Next,
	// never the time fn takes.
	var (
		idle    *time.Timer
		stalled atomic.Bool
	)
	if stop > 0 {
		idle = time.AfterFunc(time.Hour, func() { stalled.Store(true); it.Stop() })
		idle.Stop()
		defer idle.Stop()
	}
	waiting, received := uint64(1), false
	if cfg.OptStartSeq > 0 {
		waiting = cfg.OptStartSeq
	}
	for {
		if idle != nil {
			idle.Reset(s.cfg.ReadIdleTimeout)
		}
		msg, err := it.Next()
		if idle != nil && !idle.Stop() && stalled.Load() {
			approx := len(cfg.FilterSubjects) > 0 || (cfg.OptStartTime != nil && !received)
			if !approx {
				// The server may have dropped a message it could not read:
				// one the stream should hold but does not is a loss.
				if err := s.mustHold(ctx, waiting, nil); errors.Is(err, ErrIntegrity) {
					return fmt.Errorf("%s: %w", op, err)
				}
			}
			return &ReadStalledError{Op: op, Waiting: waiting, Stop: stop, Filtered: approx, Idle: s.cfg.ReadIdleTimeout}
		}
		if err != nil {
			switch {
			case ctx.Err() != nil && stop == 0:
				return nil
			case ctx.Err() != nil:
				return fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
			}
			return fmt.Errorf("%s: %w", op, mapErr(err))
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		seq := meta.Sequence.Stream
		if stop > 0 && seq > stop {
			// Stored after the read began.
			return nil
		}
		waiting, received = seq+1, true
		if err := fn(StoredCommit{Sequence: seq, Data: msg.Data()}); err != nil {
			return err
		}
		if stop > 0 && seq >= stop {
			return nil
		}
	}
}

// maxReaders bounds the stream reads (cold aggregate loads, full reads)
// running at once, so a burst of cold loads queues here rather than
// exhausting the server's consumers or, for the direct gets of tails,
// the bytes the server may have pending for the store's connection.
const maxReaders = 16

// readerHeartbeat is the idle heartbeat a bounded read asks its reader's
// pulls for, and followHeartbeat that of an unbounded one (a
// subscription). Two missed heartbeats make the ordered consumer start
// over on a new consumer from the last message it handed out, so they
// bound how long a pull that reached no consumer goes unanswered. On a
// cluster the first pull of a reader created on another node is now and
// then lost, the consumer's interest not yet known where the pull was
// published; at nats.go's default for ordered consumers (5 s) such a read
// waited 10 s, 1 to 2 in every 100 aggregate loads.
const (
	readerHeartbeat = 500 * time.Millisecond
	followHeartbeat = time.Second
)

// readerIdle is how long the server keeps a reader's consumer once nobody
// pulls from it, should the explicit delete below not reach it.
const readerIdle = 30 * time.Second

// openReader creates an ordered consumer. Ordered consumers are ephemeral
// but outlive their last pull by their inactive threshold (5 minutes by
// default in nats.go), so each reader also deletes its own on close.
func (s *Store) openReader(ctx context.Context, cfg jetstream.OrderedConsumerConfig) (jetstream.Consumer, error) {
	if cfg.InactiveThreshold == 0 {
		cfg.InactiveThreshold = readerIdle
	}
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return nil, mapErr(err)
	}
	return cons, nil
}

func (s *Store) closeReader(cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil || info.Name == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Best effort: the inactive threshold removes it anyway.
	_ = s.stream.DeleteConsumer(ctx, info.Name)
}

// LastSequence returns the stream sequence of the last commit in the ledger
// (0 for an empty ledger).
func (s *Store) LastSequence(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("ledger last sequence: %w", mapErr(err))
	}
	return info.State.LastSeq, nil
}

// ReadOptions selects part of the ledger.
type ReadOptions struct {
	// FromSequence starts at that stream sequence (default 1).
	FromSequence uint64
	// FromTime starts at the first commit recorded at or after it; it is
	// ignored when FromSequence is set.
	FromTime time.Time
	// Filter is a subject filter from [FilterSubject]; default the whole
	// ledger.
	Filter string
}

func (o ReadOptions) consumerConfig() jetstream.OrderedConsumerConfig {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if o.Filter != "" {
		cfg.FilterSubjects = []string{o.Filter}
	}
	switch {
	case o.FromSequence > 1:
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = o.FromSequence
	case !o.FromTime.IsZero():
		t := o.FromTime
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		cfg.OptStartTime = &t
	}
	return cfg
}

// Read calls fn with every commit of the ledger selected by opts, in stream
// order, up to the last commit stored when Read began; it returns the
// sequence it stopped at. fn returning an error stops the read.
func (s *Store) Read(ctx context.Context, opts ReadOptions, fn func(*Commit) error) (uint64, error) {
	stop, err := s.lastMatching(ctx, opts.Filter)
	if err != nil || stop == 0 || stop < opts.FromSequence {
		return stop, err
	}
	var last uint64
	err = s.scan(ctx, opts.consumerConfig(), stop, func(c *Commit) error {
		last = c.Events[0].Sequence
		return fn(c)
	})
	return last, err
}

func (s *Store) lastMatching(ctx context.Context, filter string) (uint64, error) {
	if filter == "" || filter == SubjectPrefix+".>" {
		return s.LastSequence(ctx)
	}
	msg, err := s.stream.GetLastMsgForSubject(ctx, filter)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger last sequence for %s: %w", filter, mapErr(err))
	}
	return msg.Sequence, nil
}

// Subscribe delivers every commit selected by opts, in stream order: first
// those already stored (catch-up), then each new one as it is stored, until
// ctx is cancelled or fn returns an error. It returns that error, or nil on
// cancellation. fn is called from one goroutine at a time.
func (s *Store) Subscribe(ctx context.Context, opts ReadOptions, fn func(*Commit) error) error {
	return s.consume(ctx, "subscribe", opts.consumerConfig(), 0, decoded(fn))
}

// Commit returns the commit stored at a stream sequence.
func (s *Store) Commit(ctx context.Context, seq uint64) (*Commit, error) {
	msg, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("read commit %d: %w", seq, s.mustHold(ctx, seq, err))
	}
	return decodeCommit(msg.Data, seq)
}

// mustHold returns err (mapped) for a read of the message at seq, unless
// the message is not found although the stream should hold it: a ledger
// stream keeps every sequence from 1 to its last (it denies deletes), so
// a sequence at or below the last that cannot be found has been lost.
// That is an [*IntegrityError], recorded with [Store.Distrust]. A nil err
// asks the stream itself whether it holds seq.
func (s *Store) mustHold(ctx context.Context, seq uint64, err error) error {
	if err == nil {
		_, err = s.stream.GetMsg(ctx, seq)
		if err == nil {
			return nil
		}
	}
	if !errors.Is(err, jetstream.ErrMsgNotFound) || seq == 0 {
		return mapErr(err)
	}
	last, lerr := s.LastSequence(ctx)
	if lerr != nil || seq > last {
		return mapErr(err)
	}
	ie := &IntegrityError{Stream: s.cfg.Stream, Reason: fmt.Sprintf(
		"the commit at sequence %d cannot be found although the stream ends at %d and deletes nothing: it was lost or its stored bytes are damaged", seq, last)}
	s.Distrust(ie)
	return ie
}
