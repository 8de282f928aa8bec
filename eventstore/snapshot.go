package eventstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Snapshots.
//
// A decision needs its aggregate's folded state, version and last hash, and
// an answer to "does the aggregate hold this command id?" — not the
// aggregate's events. The store therefore keeps, per aggregate, a snapshot
// beside the ledger: the caller's folded state at a version (opaque bytes,
// see [Store.SaveSnapshot]), that version's stream sequence and hash, and
// an index of every command id stored up to it (a 64-bit hash of the id and
// the commit's sequence, 16 bytes a command). A cold aggregate is then
// loaded from its snapshot and the commits after it, and the cache holds
// only those commits.
//
// The snapshots live in a JetStream key-value bucket ([SnapshotBucket]) on
// the ledger's own server rather than in the service or in a file: they are
// then where the stream is (embedded or a cluster, with the same
// replicas), every process sharing the ledger shares them, and the state
// and the command index are written in one value, so they always agree on
// their version. A value larger than the server's message limit (an
// agreement's outturn revisions grow with it) is written in chunks under
// the key's "a" or "b" generation, the head last, so a crash mid-write
// leaves the previous snapshot whole.
//
// A snapshot is an optimisation and is trusted only as far as the stream
// confirms it: it is used only when the commit after it names its hash as
// prev_hash, or when it is at the aggregate's last commit and matches that
// commit's last event. Anything else — no bucket, no snapshot, a damaged
// or older-format value, one ahead of the stream or off its chain — is
// ignored and the aggregate is read whole, as without snapshots. A
// snapshot never changes what is decided: the state it carries is the one
// the caller folded from verified events, and the command index answers
// exactly (a hash match is confirmed against the stored commit).

// SnapshotBucket is the key-value bucket holding the aggregates' folded
// state snapshots. It is created beside the ledger stream by whoever has
// administrator rights (embedded, always); without it the store reads cold
// aggregates whole.
const SnapshotBucket = "LEDGER_SNAPSHOTS"

// snapshotChunk bounds one stored value, well under the server's default
// 1 MiB message limit.
const snapshotChunk = 512 << 10

// snapshotMinVersion is the shortest history for which a cold load looks
// for a snapshot: reading fewer events whole costs less than the look-up
// (most aggregates of a fresh ledger are short).
const snapshotMinVersion = 64

// snapshotFormat is the first byte of a snapshot's payload.
const snapshotFormat = 1

// cmdRef is one command of a snapshot's index.
type cmdRef struct{ hash, seq uint64 }

type snapshot struct {
	version, seq uint64
	hash         string
	index        []cmdRef // sorted by hash, then seq
	state        []byte
}

func hashCommandID(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

// seqsOf returns the sequences of the commits in index whose command id
// hashes as id does.
func seqsOf(index []cmdRef, id string) []uint64 {
	h := hashCommandID(id)
	i, _ := slices.BinarySearchFunc(index, h, func(c cmdRef, h uint64) int {
		switch {
		case c.hash < h:
			return -1
		case c.hash > h:
			return 1
		}
		return 0
	})
	var seqs []uint64
	for ; i < len(index) && index[i].hash == h; i++ {
		seqs = append(seqs, index[i].seq)
	}
	return seqs
}

func (sn *snapshot) encode() []byte {
	b := make([]byte, 0, 64+len(sn.hash)+16*len(sn.index)+len(sn.state))
	b = append(b, snapshotFormat)
	b = binary.AppendUvarint(b, sn.version)
	b = binary.AppendUvarint(b, sn.seq)
	b = binary.AppendUvarint(b, uint64(len(sn.hash)))
	b = append(b, sn.hash...)
	b = binary.AppendUvarint(b, uint64(len(sn.index)))
	for _, c := range sn.index {
		b = binary.BigEndian.AppendUint64(b, c.hash)
		b = binary.BigEndian.AppendUint64(b, c.seq)
	}
	b = binary.AppendUvarint(b, uint64(len(sn.state)))
	return append(b, sn.state...)
}

var errBadSnapshot = errors.New("malformed snapshot")

func decodeSnapshot(b []byte) (*snapshot, error) {
	if len(b) == 0 || b[0] != snapshotFormat {
		return nil, errBadSnapshot
	}
	b = b[1:]
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	sn := &snapshot{version: uv(), seq: uv()}
	n := uv()
	if b == nil || uint64(len(b)) < n {
		return nil, errBadSnapshot
	}
	sn.hash, b = string(b[:n]), b[n:]
	n = uv()
	if b == nil || uint64(len(b))/16 < n {
		return nil, errBadSnapshot
	}
	sn.index = make([]cmdRef, n)
	for i := range sn.index {
		sn.index[i] = cmdRef{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
		b = b[16:]
	}
	n = uv()
	if b == nil || uint64(len(b)) != n {
		return nil, errBadSnapshot
	}
	sn.state = b
	return sn, nil
}

// snapshotHead is the value under an aggregate's key: which generation of
// chunks holds the snapshot, how many, and the SHA-256 of their
// concatenation.
type snapshotHead struct {
	gen    byte
	chunks int
	sum    [sha256.Size]byte
}

// snapshots is the bucket, opened on first use.
type snapshots struct {
	mu    sync.Mutex
	kv    jetstream.KeyValue
	off   bool               // no bucket and no rights to create it
	heads map[Aggregate]byte // generation last written by this process
}

// head returns the generation of agg's snapshot this process last read or
// wrote (0 if none).
func (sn *snapshots) head(agg Aggregate) byte {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	return sn.heads[agg]
}

// setHead records the generation of agg's snapshot just read or written.
func (sn *snapshots) setHead(agg Aggregate, gen byte) {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.heads == nil {
		sn.heads = map[Aggregate]byte{}
	}
	sn.heads[agg] = gen
}

func snapshotKey(agg Aggregate) (string, error) {
	subject, err := agg.Subject()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString([]byte(subject)), nil
}

// bucket opens the snapshot bucket, creating it through the administrator
// connection if it is missing. It returns nil when snapshots are not
// available; the store then works without them.
func (s *Store) bucket(ctx context.Context) jetstream.KeyValue {
	sn := &s.snaps
	sn.mu.Lock()
	defer sn.mu.Unlock()
	if sn.kv != nil || sn.off {
		return sn.kv
	}
	kv, err := s.js.KeyValue(ctx, SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) && s.admin != nil {
		err = s.createBucket(ctx)
		if err == nil {
			kv, err = s.js.KeyValue(ctx, SnapshotBucket)
		}
	}
	if err != nil {
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			s.log.Warn("no snapshot bucket; cold aggregates are read whole", "bucket", SnapshotBucket)
			sn.off = true
		}
		return nil
	}
	sn.kv = kv
	return kv
}

func (s *Store) createBucket(ctx context.Context) error {
	nc, err := s.adminConnect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	_, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      SnapshotBucket,
		Description: "folded-state snapshots of the ledger's aggregates: an optimisation, checked against the ledger before use",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    s.cfg.Replicas,
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		return nil
	}
	return err
}

// readSnapshot returns the aggregate's stored snapshot, or nil if there is
// none or it cannot be read whole.
func (s *Store) readSnapshot(ctx context.Context, agg Aggregate) *snapshot {
	kv := s.bucket(ctx)
	if kv == nil {
		return nil
	}
	key, err := snapshotKey(agg)
	if err != nil {
		return nil
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		return nil
	}
	v := e.Value()
	if len(v) != 2+sha256.Size || v[0] > 1 {
		return nil
	}
	head := snapshotHead{gen: v[0], chunks: int(v[1])}
	copy(head.sum[:], v[2:])
	var payload []byte
	for i := range head.chunks {
		c, err := kv.Get(ctx, chunkKey(key, head.gen, i))
		if err != nil {
			return nil
		}
		payload = append(payload, c.Value()...)
	}
	if sha256.Sum256(payload) != head.sum {
		return nil
	}
	sn, err := decodeSnapshot(payload)
	if err != nil {
		return nil
	}
	s.snaps.setHead(agg, head.gen)
	return sn
}

func chunkKey(key string, gen byte, i int) string {
	return fmt.Sprintf("%s.%c%d", key, "ab"[gen], i)
}

// writeSnapshot stores sn as the aggregate's snapshot: its chunks in the
// generation the head does not name, then the head.
func (s *Store) writeSnapshot(ctx context.Context, agg Aggregate, sn *snapshot) error {
	kv := s.bucket(ctx)
	if kv == nil {
		return nil
	}
	key, err := snapshotKey(agg)
	if err != nil {
		return err
	}
	payload := sn.encode()
	chunks := (len(payload) + snapshotChunk - 1) / snapshotChunk
	if chunks > 255 {
		return fmt.Errorf("snapshot of %s: %d bytes is too large", agg, len(payload))
	}
	gen := s.snaps.head(agg) ^ 1
	for i := range chunks {
		part := payload[i*snapshotChunk : min(len(payload), (i+1)*snapshotChunk)]
		if _, err := kv.Put(ctx, chunkKey(key, gen, i), part); err != nil {
			return fmt.Errorf("snapshot of %s: %w", agg, mapErr(err))
		}
	}
	sum := sha256.Sum256(payload)
	head := append([]byte{gen, byte(chunks)}, sum[:]...)
	if _, err := kv.Put(ctx, key, head); err != nil {
		return fmt.Errorf("snapshot of %s: %w", agg, mapErr(err))
	}
	s.snaps.setHead(agg, gen)
	return nil
}

// SaveSnapshot records state, the caller's folded state of the aggregate
// at version, as the aggregate's snapshot, with the aggregate's command
// index up to that version. Later loads ([Store.Load], [Store.LoadFor])
// return it as History.BaseState with only the events after it, and the
// cache drops the events it covers. It does nothing when this process
// does not hold the aggregate at exactly that version (the aggregate has
// moved on; the caller snapshots again later). state must be a pure
// function of the aggregate's first version events: the store keeps it
// and hands it to every later load.
//
// The write itself happens in the background, after SaveSnapshot has
// returned and released the aggregate: SaveSnapshot only prepares the
// snapshot under the aggregate's lock and hands it to the store's
// snapshot writer, which writes the latest snapshot of each aggregate in
// turn ([Store.FlushSnapshots] waits for it; Close flushes). A write that
// fails, or is dropped because the writer is too far behind, leaves the
// previous snapshot in place and is logged: a snapshot is an optimisation
// that the stream's hash chain confirms, and decisions are unaffected
// either way. The error returned is for a snapshot that cannot be made.
func (s *Store) SaveSnapshot(ctx context.Context, agg Aggregate, version uint64, state []byte) error {
	if _, err := agg.Subject(); err != nil {
		return fmt.Errorf("snapshot %s: %w", agg, err)
	}
	st := s.cache.get(agg)
	defer s.cache.release(st)
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.loaded || st.version != version || version == 0 || version == st.base {
		return nil
	}
	index := slices.Clone(st.index)
	for id, res := range st.commands {
		index = append(index, cmdRef{hashCommandID(id), res.Sequence})
	}
	slices.SortFunc(index, func(a, b cmdRef) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	sn := &snapshot{version: version, seq: st.lastSeq, hash: st.lastHash, index: index, state: bytes.Clone(state)}
	s.snapWriter.put(s, agg, sn)
	st.last = st.events[len(st.events)-1]
	st.base, st.baseState, st.index = version, sn.state, index
	st.events, st.commands = nil, map[string]AppendResult{}
	s.cache.resized(st, st.size())
	return nil
}

// loadFromSnapshot loads st from the aggregate's snapshot and the commits
// after it, last being the aggregate's last commit. It returns false, with
// st reset, when there is no snapshot the stream confirms; the caller then
// reads the aggregate whole. The caller holds st.mu.
func (s *Store) loadFromSnapshot(ctx context.Context, st *aggState, subject string, last *jetstream.RawStreamMsg) (bool, error) {
	c, err := decodeCommit(last.Data, last.Sequence)
	if err != nil {
		return false, err
	}
	e := c.Events[len(c.Events)-1]
	if e.AggregateVersion < snapshotMinVersion {
		return false, nil
	}
	sn := s.readSnapshot(ctx, st.agg)
	if sn == nil || sn.version == 0 || sn.seq > last.Sequence {
		return false, nil
	}
	// The entry starts from the snapshot, and the commits after it are
	// verified as a chain from the snapshot's head.
	var v *ChainVerifier
	fromSnapshot := func() {
		st.reset()
		st.base, st.baseState, st.index = sn.version, sn.state, sn.index
		st.version, st.lastSeq, st.lastHash = sn.version, sn.seq, sn.hash
		v = NewChainVerifier()
		v.heads[st.agg] = chainHead{version: sn.version, hash: sn.hash}
	}
	fromSnapshot()
	if sn.seq == last.Sequence {
		if e.Aggregate() != st.agg || e.AggregateVersion != sn.version || e.Hash != sn.hash || e.ComputeHash() != e.Hash {
			st.reset()
			return false, nil
		}
		st.last = e
		st.loaded = true
		s.cache.resized(st, st.size())
		return true, nil
	}
	// The tail is read with batched direct gets, or with a consumer where
	// they do not read it (the entry then starts again from the snapshot).
	add := func(c *Commit) error { return st.addCommit(v, c, subject) }
	err = s.readTail(ctx, subject, sn.seq+1, last.Sequence, int(min(e.AggregateVersion-sn.version, maxTailBatch)), add)
	if errors.Is(err, errNoBatchGet) {
		s.log.Debug("reading a tail with a consumer", "subject", subject, "reason", err)
		fromSnapshot()
		cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject},
			DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: sn.seq + 1}
		err = s.scan(ctx, cfg, last.Sequence, add)
	}
	if err != nil {
		st.reset()
		var chain *ChainError
		if errors.As(err, &chain) {
			// Off the snapshot's chain: let the whole read decide.
			return false, nil
		}
		return false, err
	}
	st.loaded = true
	s.cache.resized(st, st.size())
	return true, nil
}

// command returns the result of the command id if the aggregate holds it:
// from the commits the entry holds, else by the snapshot's index and the
// stored commit. The caller holds st.mu.
func (s *Store) command(ctx context.Context, st *aggState, commandID string) (AppendResult, bool, error) {
	if res, ok := st.commands[commandID]; ok {
		return res, true, nil
	}
	for _, seq := range seqsOf(st.index, commandID) {
		c, err := s.Commit(ctx, seq)
		if err != nil {
			return AppendResult{}, false, err
		}
		if c.CommandID != commandID || c.Events[0].Aggregate() != st.agg {
			continue // another command whose id hashes alike
		}
		return resultOfCommit(c), true, nil
	}
	return AppendResult{}, false, nil
}

func resultOfCommit(c *Commit) AppendResult {
	return AppendResult{Sequence: c.Events[0].Sequence, FirstVersion: c.Events[0].AggregateVersion, Fingerprint: c.Fingerprint,
		LastVersion: c.Events[len(c.Events)-1].AggregateVersion, Events: c.Events}
}

// maxPendingSnapshots bounds the snapshots waiting for the writer; beyond
// it a new aggregate's snapshot is dropped (the aggregate is snapshotted
// again later).
const maxPendingSnapshots = 4096

// snapshotWriteTimeout bounds one background snapshot write.
const snapshotWriteTimeout = 30 * time.Second

// snapshotWriter writes snapshots to the bucket from one goroutine, off
// every aggregate's lock. It keeps only the latest pending snapshot of
// each aggregate, and writes one aggregate at a time, so that two writes
// of one aggregate's generations never interleave.
type snapshotWriter struct {
	mu      sync.Mutex
	pending map[Aggregate]*snapshot
	queue   []Aggregate // aggregates with a pending snapshot, oldest first
	// idle is closed when the running goroutine stops; nil when none runs.
	idle chan struct{}
}

// put queues sn as agg's next snapshot and makes sure the writer runs.
func (w *snapshotWriter) put(s *Store, agg Aggregate, sn *snapshot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == nil {
		w.pending = map[Aggregate]*snapshot{}
	}
	if _, ok := w.pending[agg]; !ok {
		if len(w.queue) >= maxPendingSnapshots {
			s.log.Warn("snapshot dropped: the snapshot writer is too far behind; the previous one stands", "aggregate", agg.String(), "version", sn.version)
			return
		}
		w.queue = append(w.queue, agg)
	}
	w.pending[agg] = sn
	if w.idle == nil {
		w.idle = make(chan struct{})
		go w.run(s)
	}
}

// run writes pending snapshots until none is left.
func (w *snapshotWriter) run(s *Store) {
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			close(w.idle)
			w.idle = nil
			w.mu.Unlock()
			return
		}
		agg := w.queue[0]
		w.queue = w.queue[1:]
		sn := w.pending[agg]
		delete(w.pending, agg)
		w.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), snapshotWriteTimeout)
		if err := s.writeSnapshot(ctx, agg, sn); err != nil {
			s.log.Warn("snapshot not written; the previous one stands", "aggregate", agg.String(), "version", sn.version, "err", err)
		}
		cancel()
	}
}

// FlushSnapshots waits until every snapshot handed to the store so far
// has been written (or has failed), or ctx ends.
func (s *Store) FlushSnapshots(ctx context.Context) error {
	w := &s.snapWriter
	w.mu.Lock()
	idle := w.idle
	w.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
