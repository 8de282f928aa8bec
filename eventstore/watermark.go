package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/laaledger/laaledger/domain/errcode"
	"github.com/laaledger/laaledger/eventstore/internal/atomicfile"
)

// WatermarkFile is the name of the high-water mark file in a data
// directory.
const WatermarkFile = "ledger.watermark"

// Watermark is the ledger's own record, kept beside the store, of how far
// the stream reached: the sequence of a commit it acknowledged and the
// SHA-256 of that commit's stored bytes. It is written after
// acknowledgement, so it never runs ahead of the stream; a stream found
// shorter than it, with a gap below it, or holding other bytes at its
// sequence has lost or replaced acknowledged events.
type Watermark struct {
	Stream       string    `json:"stream"`
	Sequence     uint64    `json:"sequence"`
	CommitSHA256 string    `json:"commit_sha256"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// IntegrityError says why the stream is not the history the ledger
// acknowledged. While one stands, the store refuses every append.
type IntegrityError struct {
	Stream string
	// Reason names what does not hold, with sequences.
	Reason string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("ledger stream %s cannot be trusted for writes: %s", e.Stream, e.Reason)
}

// Is makes errors.Is(err, ErrIntegrity) true.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

// ErrorCode reports ETAMPERED: the history is not what was acknowledged.
func (e *IntegrityError) ErrorCode() string { return errcode.ETAMPERED }

// commitDigest is the hex SHA-256 of a commit's stored bytes.
func commitDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// readWatermark returns the watermark in path, or a zero one if there is
// none yet. A file that exists but cannot be read or parsed is an error:
// a damaged watermark must not pass for "no history".
func readWatermark(path string) (Watermark, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Watermark{}, false, nil
	}
	if err != nil {
		return Watermark{}, false, fmt.Errorf("read watermark %s: %w", path, err)
	}
	var w Watermark
	if err := json.Unmarshal(b, &w); err != nil || w.Sequence == 0 || len(w.CommitSHA256) != 64 {
		return Watermark{}, false, &IntegrityError{Stream: w.Stream, Reason: fmt.Sprintf("the watermark file %s is damaged (%q)", path, truncate(string(b), 120))}
	}
	return w, true, nil
}

// writeWatermark replaces path atomically and durably: a crash leaves the
// old watermark or the new one, never a torn file.
func writeWatermark(path string, w Watermark) error {
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// checkAgainstWatermark compares the stream with the watermark: the stream
// must reach the watermark's sequence, hold every sequence from 1 to its
// last (DenyDelete makes any gap a loss), and hold the acknowledged bytes
// at the watermark's sequence. What does not hold is an *IntegrityError;
// a stream that cannot be asked is another error. Open and the running
// check both use it.
func checkAgainstWatermark(ctx context.Context, st jetstream.Stream, w Watermark, have bool) error {
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("read the state of stream %s: %w", w.Stream, mapErr(err))
	}
	name := info.Config.Name
	state := info.State
	fail := func(format string, args ...any) error {
		return &IntegrityError{Stream: name, Reason: fmt.Sprintf(format, args...)}
	}
	if state.Msgs > 0 && (state.FirstSeq != 1 || state.NumDeleted > 0 || state.Msgs != state.LastSeq) {
		return fail("the stream holds %d commits between sequences %d and %d (%d deleted); a ledger stream holds every sequence from 1",
			state.Msgs, state.FirstSeq, state.LastSeq, state.NumDeleted)
	}
	if !have {
		return nil
	}
	if state.LastSeq < w.Sequence {
		return fail("the stream ends at sequence %d, but sequence %d was acknowledged (watermark of %s): commits %d to %d are missing",
			state.LastSeq, w.Sequence, w.UpdatedAt.UTC().Format(time.RFC3339), state.LastSeq+1, w.Sequence)
	}
	msg, err := st.GetMsg(ctx, w.Sequence)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return fail("the commit at sequence %d, acknowledged earlier, is not in the stream", w.Sequence)
	}
	if err != nil {
		return fmt.Errorf("read commit %d of stream %s: %w", w.Sequence, name, mapErr(err))
	}
	if got := commitDigest(msg.Data); got != w.CommitSHA256 {
		return fail("the commit at sequence %d is not the one acknowledged (SHA-256 %.16s…, acknowledged %.16s…)", w.Sequence, got, w.CommitSHA256)
	}
	return nil
}

// watermarker keeps the watermark file in step with acknowledged appends:
// Appended records the highest acknowledged commit in memory, and a
// background loop writes it out at most every interval, so an append
// never waits for the file. The watermark may trail the stream by that
// interval, never lead it.
type watermarker struct {
	path, stream string
	interval     time.Duration

	mu      sync.Mutex
	cur     Watermark // highest acknowledged
	written uint64    // sequence in the file
	wdigest string    // commit digest at written
	wtime   time.Time // when the file was written
	failed  error     // an integrity failure seen while running

	stop chan struct{}
	done chan struct{}
}

func newWatermarker(path, stream string, start Watermark, interval time.Duration) *watermarker {
	return &watermarker{path: path, stream: stream, interval: interval, cur: start, written: start.Sequence, wdigest: start.CommitSHA256, wtime: start.UpdatedAt,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// acknowledged records that the commit at seq, with these stored bytes,
// was acknowledged by the stream.
func (w *watermarker) acknowledged(seq uint64, data []byte) {
	w.mu.Lock()
	if seq > w.cur.Sequence {
		w.cur = Watermark{Stream: w.stream, Sequence: seq, CommitSHA256: commitDigest(data)}
	}
	w.mu.Unlock()
}

// fail latches an integrity failure: every later append is refused.
func (w *watermarker) fail(err error) {
	w.mu.Lock()
	if w.failed == nil {
		w.failed = err
	}
	w.mu.Unlock()
}

// err returns the latched integrity failure, if any.
func (w *watermarker) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// flush writes the watermark if it moved.
func (w *watermarker) flush() error {
	w.mu.Lock()
	cur := w.cur
	if cur.Sequence <= w.written {
		w.mu.Unlock()
		return nil
	}
	w.mu.Unlock()
	cur.UpdatedAt = time.Now().UTC()
	if err := writeWatermark(w.path, cur); err != nil {
		return fmt.Errorf("write watermark %s: %w", w.path, err)
	}
	w.mu.Lock()
	if cur.Sequence > w.written {
		w.written, w.wdigest, w.wtime = cur.Sequence, cur.CommitSHA256, cur.UpdatedAt
	}
	w.mu.Unlock()
	return nil
}

// run flushes every interval and, each time, checks that the stream still
// reaches the watermark; it latches a failure if it does not, so that a
// stream truncated under a running ledger stops taking writes.
func (w *watermarker) run(ctx context.Context, st jetstream.Stream, log func(msg string, args ...any)) {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			if err := w.flush(); err != nil {
				log("watermark not written at close", "err", err)
			}
			return
		case <-t.C:
		}
		if err := w.flush(); err != nil {
			log("watermark not written", "err", err)
		}
		w.mu.Lock()
		mark := Watermark{Stream: w.stream, Sequence: w.written, CommitSHA256: w.wdigest, UpdatedAt: w.wtime}
		w.mu.Unlock()
		if mark.Sequence == 0 || w.err() != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, w.interval*5)
		err := checkAgainstWatermark(cctx, st, mark, true)
		cancel()
		var ie *IntegrityError
		if !errors.As(err, &ie) {
			continue // unreachable is not lost; appends report that themselves
		}
		ie.Reason = "while running, " + ie.Reason
		w.fail(ie)
		log("ledger stream lost or replaced acknowledged commits; appends are refused from now on", "err", ie)
	}
}

func (w *watermarker) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}
