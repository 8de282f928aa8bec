package eventstore

import (
	"context"
	"fmt"
)

// StoredCommit is one ledger message exactly as the stream holds it: the
// bytes a Merkle tree over the ledger hashes, and that [DecodeCommit]
// turns into a [Commit].
type StoredCommit struct {
	Sequence uint64
	Data     []byte
}

// DecodeCommit decodes a stored commit's bytes as the store does, stamping
// each event with the stream sequence seq.
func DecodeCommit(data []byte, seq uint64) (*Commit, error) { return decodeCommit(data, seq) }

// StoredCommit returns the message at a stream sequence, undecoded.
func (s *Store) StoredCommit(ctx context.Context, seq uint64) (StoredCommit, error) {
	msg, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return StoredCommit{}, fmt.Errorf("read stored commit %d: %w", seq, s.mustHold(ctx, seq, err))
	}
	return StoredCommit{Sequence: seq, Data: msg.Data}, nil
}

// ReadStored calls fn with every message of the ledger from stream sequence
// from (1 if 0) up to the last one stored when it began, undecoded and in
// stream order; it returns the last sequence it delivered. It is [Store.Read]
// for whoever needs the exact stored bytes (a Merkle tree, a byte-exact
// export).
func (s *Store) ReadStored(ctx context.Context, from uint64, fn func(StoredCommit) error) (uint64, error) {
	stop, err := s.LastSequence(ctx)
	if err != nil || stop == 0 || stop < from {
		return 0, err
	}
	var last uint64
	err = s.consumeStored(ctx, from, stop, func(c StoredCommit) error {
		last = c.Sequence
		return fn(c)
	})
	return last, err
}

// SubscribeStored is [Store.Subscribe] on the undecoded messages of the whole
// ledger from stream sequence from (1 if 0): those stored, then each new
// one, until ctx ends (nil) or fn fails (its error).
func (s *Store) SubscribeStored(ctx context.Context, from uint64, fn func(StoredCommit) error) error {
	err := s.consumeStored(ctx, from, 0, fn)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// consumeStored reads the ledger with an ordered consumer from sequence from
// until it has delivered stop, or forever when stop is 0.
func (s *Store) consumeStored(ctx context.Context, from, stop uint64, fn func(StoredCommit) error) error {
	return s.consume(ctx, "read stored commits", ReadOptions{FromSequence: from}.consumerConfig(), stop, fn)
}

// SequenceGap says which commits are missing when the commit at stream
// sequence seq follows the one at prev: every reader that insists on
// contiguous sequences (a Merkle tree, a bundle check) words the failure so.
func SequenceGap(prev, seq uint64) string {
	return fmt.Sprintf("sequence %d follows %d: commits %d to %d are missing", seq, prev, prev+1, seq-1)
}
