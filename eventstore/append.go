package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/laaledger/laaledger/domain/jsonscan"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// AppendResult says where a command's events were stored.
type AppendResult struct {
	// Sequence is the stream sequence of the commit holding the events.
	Sequence uint64 `json:"sequence"`
	// FirstVersion and LastVersion are the aggregate versions of the first
	// and last event of the command.
	FirstVersion uint64 `json:"first_version"`
	LastVersion  uint64 `json:"last_version"`
	// Events are the stored envelopes.
	Events []Envelope `json:"events"`
	// Duplicate is true when the command id had already been appended and
	// this is the original result; nothing new was written.
	Duplicate bool `json:"duplicate"`
	// Fingerprint is the one the command was stored with, if any.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// AppendOption adjusts one append.
type AppendOption func(*appendOptions)

type appendOptions struct {
	fingerprint string
	actor       Actor
	hasActor    bool
}

// WithFingerprint stores a digest of the command (its type, body and
// metadata, as the caller defines it) with the commit, and recognises a
// repeat by it: a later command with the same id and the same fingerprint
// is a retry and gets the original result, even if its events would now
// come out different; another fingerprint is refused with ErrDuplicate,
// even where its events would come out the same.
func WithFingerprint(fp string) AppendOption {
	return func(o *appendOptions) { o.fingerprint = fp }
}

// WithActor names who sends the command. A command id stored without a
// fingerprint is then recognised by its actor: its original result is
// answered only to the actor who sent it, and anyone else's command with
// that id is refused with ErrDuplicate.
func WithActor(a Actor) AppendOption {
	return func(o *appendOptions) { o.actor, o.hasActor = a, true }
}

// sameCommand tells whether the stored command res is the one being sent
// again. The fingerprints decide when both have one; a command stored
// without one is matched on its actor when the caller gave one, else on its
// events. events is nil before a decision ([Store.LoadFor]); known is false
// when only the events could tell.
func (o appendOptions) sameCommand(res AppendResult, events []Event) (same, known bool) {
	switch {
	case o.fingerprint != "" && res.Fingerprint != "":
		return o.fingerprint == res.Fingerprint, true
	case o.hasActor && res.Fingerprint == "" && len(res.Events) > 0:
		return res.Events[0].Actor == o.actor, true
	case events == nil:
		return false, false
	}
	if len(res.Events) != len(events) {
		return false, true
	}
	for i := range events {
		data, err := compactJSON(events[i].Data)
		if err != nil || res.Events[i].Type != events[i].Type || !bytes.Equal(res.Events[i].Data, data) {
			return false, true
		}
	}
	return true, true
}

// repeated answers a command id the aggregate already holds: the original
// result if it is the same command (see sameCommand), ErrDuplicate if not.
// events is nil before a decision; ok is then false when only the events
// could tell.
func (o appendOptions) repeated(agg Aggregate, res AppendResult, events []Event, commandID string) (_ AppendResult, ok bool, _ error) {
	same, known := o.sameCommand(res, events)
	switch {
	case !known:
		return AppendResult{}, false, nil
	case !same:
		return AppendResult{}, true, fmt.Errorf("%s: %w: command id %s was already used for a different command (stream sequence %d)",
			agg, ErrDuplicate, commandID, res.Sequence)
	}
	res.Duplicate = true
	return res, true, nil
}

// Append stores the events of one command on the aggregate, all or none.
//
// expectedVersion is the aggregate version the caller's decision saw (0 for
// a new aggregate); if the aggregate has moved on, Append writes nothing and
// returns a *ConflictError (errors.Is ErrConflict) carrying both versions.
//
// commandID makes the command idempotent: appending a command id that the
// aggregate already holds returns the original [AppendResult] with Duplicate
// set and writes nothing, whether the first append was a second or a year
// ago. The same id for a different command is refused with ErrDuplicate;
// what counts as the same command is said by [WithFingerprint] and
// [WithActor], and without them it is the same events.
//
// Errors: ErrInvalid (bad aggregate, empty command, bad JSON body, too
// large), ErrConflict, ErrDuplicate, ErrUnavailable (outcome unknown: retry
// with the same command id), ErrTampered (the aggregate's stored chain does
// not verify).
func (s *Store) Append(ctx context.Context, agg Aggregate, expectedVersion uint64, events []Event, commandID string, opts ...AppendOption) (AppendResult, error) {
	var o appendOptions
	for _, opt := range opts {
		opt(&o)
	}
	subject, err := s.validateAppend(agg, events, commandID)
	if err != nil {
		return AppendResult{}, fmt.Errorf("append %s: %w", agg, err)
	}
	if err := s.Integrity(); err != nil {
		return AppendResult{}, fmt.Errorf("append %s: %w", agg, err)
	}
	st := s.cache.get(agg)
	defer s.cache.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()

	if !st.loaded || expectedVersion > st.version {
		// A cold entry, or a caller that has seen more than we have (another
		// process appended): read the aggregate's history.
		if err := s.loadInto(ctx, st, subject); err != nil {
			return AppendResult{}, fmt.Errorf("append %s: %w", agg, s.DistrustIfTampered(err))
		}
	}
	if res, ok, err := s.command(ctx, st, commandID); err != nil || ok {
		return s.answer(agg, o, res, err, events, commandID)
	}
	if expectedVersion != st.version {
		return AppendResult{}, &ConflictError{Aggregate: agg, Expected: expectedVersion, Actual: st.version}
	}

	commit, body, err := s.buildCommit(st, events, commandID, o.fingerprint)
	if err != nil {
		return AppendResult{}, fmt.Errorf("append %s: %w", agg, err)
	}
	// The header keys are in canonical form already: set directly, not
	// through Header.Set, which canonicalises them on every append.
	msg := &nats.Msg{Subject: subject, Data: body, Header: nats.Header{
		jetstream.MsgIDHeader:               {commandID},
		jetstream.ExpectedLastSubjSeqHeader: {strconv.FormatUint(st.lastSeq, 10)},
	}}

	ack, err := s.publish(ctx, msg)
	for retry := 0; err != nil && isWrongLastSequence(err); retry++ {
		// The server's last sequence for the aggregate is not the one we
		// held. Reload: another writer may have appended first, or it may
		// even have been this very command, sent before and acknowledged to
		// nobody.
		lastHash := st.lastHash
		if lerr := s.loadInto(ctx, st, subject); lerr != nil {
			return AppendResult{}, fmt.Errorf("append %s after a conflict: %w", agg, s.DistrustIfTampered(lerr))
		}
		if res, ok, err := s.command(ctx, st, commandID); err != nil || ok {
			return s.answer(agg, o, res, err, events, commandID)
		}
		if st.version != expectedVersion {
			return AppendResult{}, &ConflictError{Aggregate: agg, Expected: expectedVersion, Actual: st.version}
		}
		if st.lastHash != lastHash || retry == 3 {
			// The server and every read we made disagree on the aggregate's
			// last sequence: nothing was written, and the outcome of a retry
			// depends on the replicas catching up.
			held := st.lastSeq
			st.reset()
			s.cache.resized(st, 0)
			return AppendResult{}, fmt.Errorf("append %s: %w: the server refused the expected last sequence %d while reads show the aggregate unchanged at version %d; nothing was written, retry with the same command id",
				agg, ErrUnavailable, held, expectedVersion)
		}
		// The aggregate stands at the version the decision saw, with the
		// same last hash: our earlier read came from a replica that was
		// behind. The decision stands; publish again expecting the
		// sequence just read.
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(st.lastSeq, 10))
		ack, err = s.publish(ctx, msg)
	}
	switch {
	case err == nil && !ack.Duplicate:
		// The common case, first: stored.
	case err != nil:
		// The outcome is unknown; forget what we know so the next attempt
		// reads the truth from the stream.
		st.reset()
		s.cache.resized(st, 0)
		return AppendResult{}, fmt.Errorf("append %s command %s: %w", agg, commandID, err)
	case ack.Duplicate:
		// The server already holds this command id (an earlier attempt whose
		// acknowledgement was lost): return what it stored.
		if lerr := s.loadInto(ctx, st, subject); lerr != nil {
			return AppendResult{}, fmt.Errorf("append %s: %w", agg, lerr)
		}
		if res, ok, err := s.command(ctx, st, commandID); err != nil || ok {
			return s.answer(agg, o, res, err, events, commandID)
		}
		return AppendResult{}, fmt.Errorf("append %s: %w: command id %s is held by the server at sequence %d on another aggregate", agg, ErrDuplicate, commandID, ack.Sequence)
	}

	if s.wm != nil {
		s.wm.acknowledged(ack.Sequence, body)
	}
	for i := range commit.Events {
		commit.Events[i].Sequence = ack.Sequence
	}
	res := AppendResult{
		Sequence:     ack.Sequence,
		FirstVersion: commit.Events[0].AggregateVersion,
		LastVersion:  commit.Events[len(commit.Events)-1].AggregateVersion,
		Events:       commit.Events,
		Fingerprint:  commit.Fingerprint,
	}
	st.events = append(st.events, commit.Events...)
	st.version = res.LastVersion
	st.lastSeq = ack.Sequence
	st.lastHash = commit.Events[len(commit.Events)-1].Hash
	st.commands[commandID] = res
	s.cache.resized(st, st.size())
	return res, nil
}

// answer is Append's answer for a command id the aggregate holds (or
// whose lookup failed with err).
func (s *Store) answer(agg Aggregate, o appendOptions, res AppendResult, err error, events []Event, commandID string) (AppendResult, error) {
	if err != nil {
		return AppendResult{}, fmt.Errorf("append %s: look up command %s: %w", agg, commandID, err)
	}
	res, _, err = o.repeated(agg, res, events, commandID)
	return res, err
}

func (s *Store) validateAppend(agg Aggregate, events []Event, commandID string) (string, error) {
	subject, err := agg.Subject()
	if err != nil {
		return "", err
	}
	if commandID == "" {
		return "", invalidf("no command id")
	}
	// The command id travels as the Nats-Msg-Id header, not in a subject:
	// any printable text will do, within reason.
	if len(commandID) > maxCommandID || !printable(commandID) {
		return "", invalidf("command id %q: want 1 to %d printable characters without spaces", commandID, maxCommandID)
	}
	if len(events) == 0 {
		return "", invalidf("command %s has no events", commandID)
	}
	// One envelope and one check for all the events: both escape through
	// the field table.
	env, bad := new(Envelope), ""
	validText := func(name, s string) bool {
		if !utf8.ValidString(s) {
			bad = name
			return false
		}
		return true
	}
	for i, e := range events {
		switch {
		case e.Type == "":
			return "", invalidf("command %s event %d: no type", commandID, i+1)
		case e.SchemaVersion < 1:
			return "", invalidf("command %s event %d (%s): schema version %d", commandID, i+1, e.Type, e.SchemaVersion)
		case e.OccurredAt.IsZero():
			return "", invalidf("command %s event %d (%s): no business time (occurred_at)", commandID, i+1, e.Type)
		case e.Actor.ID == "":
			return "", invalidf("command %s event %d (%s): no actor", commandID, i+1, e.Type)
		case !encodableTime(e.OccurredAt):
			return "", invalidf("command %s event %d (%s): business time %s is outside the years 0001 to 9999 (UTC)", commandID, i+1, e.Type, e.OccurredAt.Format(time.RFC3339))
		}
		// Every string is hashed as given and stored as JSON; invalid UTF-8
		// would be stored altered and its event would no longer verify.
		*env = e.envelope()
		if !env.eachText(validText) {
			return "", invalidf("command %s event %d (%s): %s is not valid UTF-8", commandID, i+1, e.Type, bad)
		}
	}
	return subject, nil
}

// maxCommandID bounds a command id's length in bytes.
const maxCommandID = 256

func printable(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// encodableTime reports whether t, in UTC, has a four-digit year: what the
// stored JSON (RFC 3339) can carry and read back.
func encodableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// buildCommit stamps the events with ids, versions, the recorded time and
// the hash chain, and encodes the commit.
func (s *Store) buildCommit(st *aggState, events []Event, commandID, fingerprint string) (*Commit, []byte, error) {
	c, body, err := s.buildCommitBody(st, events, commandID, fingerprint)
	if err != nil {
		return nil, nil, err
	}
	if max := s.nc.MaxPayload(); int64(len(body)) > max-1024 {
		return nil, nil, invalidf("command %s is %d bytes encoded; the server accepts at most %d", commandID, len(body), max-1024)
	}
	return c, body, nil
}

func (s *Store) buildCommitBody(st *aggState, events []Event, commandID, fingerprint string) (*Commit, []byte, error) {
	now := time.Now().UTC()
	c := &Commit{CommandID: commandID, Fingerprint: fingerprint, Events: make([]Envelope, len(events))}
	prev := st.lastHash
	for i, e := range events {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, nil, err
		}
		data, err := compactJSON(e.Data)
		if err != nil {
			return nil, nil, invalidf("command %s event %d (%s): body is not valid JSON: %v", commandID, i+1, e.Type, err)
		}
		// Built in place: the field table hashes it through its address, which
		// would move a local copy to the heap.
		env := &c.Events[i]
		*env = e.envelope()
		env.EventID = id.String()
		env.AggregateKind, env.AggregateID = st.agg.Kind, st.agg.ID
		env.AggregateVersion = st.version + uint64(i) + 1
		env.CommandID = commandID
		env.Evidence = slices.Clone(e.Evidence) // the cache keeps it; the caller may reuse theirs
		env.OccurredAt, env.RecordedAt = e.OccurredAt.UTC(), now
		env.Data, env.PrevHash = data, prev
		env.Hash = env.ComputeHash()
		prev = env.Hash
	}
	return c, appendCommitJSON(make([]byte, 0, 1024*len(events)), c), nil
}

// publish sends one message asynchronously (so appends to many aggregates
// pipeline on one connection) and waits for its acknowledgement.
func (s *Store) publish(ctx context.Context, msg *nats.Msg) (*jetstream.PubAck, error) {
	fut, err := s.js.PublishMsgAsync(msg)
	if err != nil {
		return nil, mapErr(err)
	}
	select {
	case ack := <-fut.Ok():
		return ack, nil
	case err := <-fut.Err():
		return nil, mapErr(err)
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
	}
}

func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return false
}

// mapErr gives transport failures the ErrUnavailable mark and keeps server
// API errors (wrapped, so errors.As still reaches them).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		if apiErr.ErrorCode == jetstream.JSErrCodeStreamNotFound || apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return err
	}
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, jetstream.ErrAsyncPublishTimeout),
		// Not sent at all: too many appends awaiting acknowledgement, or
		// the store is closing.
		errors.Is(err, jetstream.ErrTooManyStalledMsgs), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// compactJSON returns a private, compact copy of a JSON body, or an error if
// it is not valid JSON. Bodies that are already compact (what encoding/json
// produces) are checked and copied without re-encoding.
func compactJSON(data []byte) (json.RawMessage, error) {
	if isCompact(data) {
		if !validJSON(data) {
			var b bytes.Buffer
			return nil, json.Compact(&b, data) // for its error message
		}
		return bytes.Clone(data), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// validJSON reports whether data is one valid JSON value. The scanner's
// syntax check answers the common case; whatever it does not
// accept (very deep nesting, invalid input) is decided by encoding/json.
func validJSON(data []byte) bool {
	p := jsonscan.New(data)
	if p.Skip() && p.End() {
		return true
	}
	return json.Valid(data)
}

// isCompact reports whether data has no insignificant whitespace (it does
// not check validity).
func isCompact(data []byte) bool {
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return false
		}
	}
	return true
}
