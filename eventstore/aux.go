package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// AuxStream is a second stream beside the ledger, kept like it: file
// storage, DenyDelete and DenyPurge, no limit that could drop a message, and
// the service user cannot delete, purge or reconfigure it (see
// [ServicePermissions]). Signed checkpoints of the ledger's Merkle tree live
// in one. Its messages are opaque bytes; appends are single-writer by
// expected last sequence.
type AuxStream struct {
	name   string
	stream jetstream.Stream
	js     jetstream.JetStream
}

// EnsureAuxStream opens the auxiliary stream name on subjects, creating it
// through the administrator connection if it is missing (embedded, or with
// Config.AdminCredsFile). Its subjects must not overlap the ledger's. An
// existing stream whose configuration could lose messages is refused, as
// the ledger's is.
//
// Errors: ErrInvalid (a bad name or subjects, a weak configuration),
// ErrNotFound (missing and no administrator to create it), ErrUnavailable.
func (s *Store) EnsureAuxStream(ctx context.Context, name string, subjects []string, description string) (*AuxStream, error) {
	if name == "" || name == s.cfg.Stream || len(subjects) == 0 {
		return nil, invalidf("auxiliary stream %q on %v: needs its own name and subjects", name, subjects)
	}
	for _, sub := range subjects {
		if sub == "" || sub == ">" || sub == SubjectPrefix || len(sub) > len(SubjectPrefix) && sub[:len(SubjectPrefix)+1] == SubjectPrefix+"." {
			return nil, invalidf("auxiliary stream %s: subject %q overlaps the ledger's", name, sub)
		}
	}
	cfg := s.StreamConfig()
	cfg.Name, cfg.Subjects, cfg.Description = name, subjects, description
	cfg.Duplicates = 0
	cfg.AllowDirect = true
	if s.admin != nil {
		nc, err := s.adminConnect()
		if err != nil {
			return nil, fmt.Errorf("auxiliary stream %s: %w: %v", name, ErrUnavailable, err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, err
		}
		if _, err := js.Stream(ctx, name); errors.Is(err, jetstream.ErrStreamNotFound) {
			if _, err := js.CreateStream(ctx, cfg); err != nil {
				return nil, fmt.Errorf("create auxiliary stream %s: %w", name, mapErr(err))
			}
			s.log.Info("created auxiliary stream", "stream", name, "subjects", subjects)
		} else if err != nil {
			return nil, fmt.Errorf("look up auxiliary stream %s: %w", name, mapErr(err))
		}
	}
	st, err := s.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("auxiliary stream %s does not exist and no admin credentials were given to create it: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up auxiliary stream %s: %w", name, mapErr(err))
	}
	if err := CheckStreamConfig(st.CachedInfo().Config); err != nil {
		return nil, err
	}
	return &AuxStream{name: name, stream: st, js: s.js}, nil
}

// Name is the stream's name.
func (a *AuxStream) Name() string { return a.name }

// Append stores data on subject if the stream's last message is at
// expectedLast (0: the stream is empty), and returns its sequence. A refused
// expectation is an ErrConflict error: another writer got there first.
func (a *AuxStream) Append(ctx context.Context, subject string, data []byte, expectedLast uint64) (uint64, error) {
	ack, err := a.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data}, jetstream.WithExpectStream(a.name), jetstream.WithExpectLastSequence(expectedLast))
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence {
			return 0, fmt.Errorf("append to %s: %w: expected last sequence %d", a.name, ErrConflict, expectedLast)
		}
		return 0, fmt.Errorf("append to %s: %w", a.name, mapErr(err))
	}
	return ack.Sequence, nil
}

// Get returns the message at a sequence.
func (a *AuxStream) Get(ctx context.Context, seq uint64) ([]byte, error) {
	msg, err := a.stream.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("read %s message %d: %w", a.name, seq, mapErr(err))
	}
	return msg.Data, nil
}

// LastSequence is the sequence of the stream's last message, 0 if empty.
func (a *AuxStream) LastSequence(ctx context.Context) (uint64, error) {
	info, err := a.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s last sequence: %w", a.name, mapErr(err))
	}
	return info.State.LastSeq, nil
}

// Read calls fn with every message stored when it began, in order, by
// direct gets (an auxiliary stream is small), and returns the last
// sequence read.
func (a *AuxStream) Read(ctx context.Context, fn func(seq uint64, data []byte) error) (uint64, error) {
	last, err := a.LastSequence(ctx)
	if err != nil {
		return 0, err
	}
	for seq := uint64(1); seq <= last; seq++ {
		data, err := a.Get(ctx, seq)
		if err != nil {
			return seq - 1, err
		}
		if err := fn(seq, data); err != nil {
			return seq, err
		}
	}
	return last, nil
}
