// Package bundle reads, writes and verifies export bundles: a ledger, or
// part of it, as a file an auditor can check offline, without the server
// and without this repository's programs.
//
// # Format
//
// A bundle is JSON Lines, one commit per line, in stream order:
//
//	{"sequence":17,"commit":{"command_id":"…","events":[{…envelope…},…]}}
//
// sequence is the commit's stream sequence, strictly increasing from line
// to line; commit is an [eventstore.Commit], each event with its hash and
// its predecessor's (see [eventstore.Envelope.ComputeHash] for the hash's
// language-neutral encoding).
//
// A notarised bundle ([ExportNotarised]) starts with header lines: the
// verifier key, then the signed checkpoints of the ledger's Merkle tree
// (C2SP tlog-checkpoint signed notes, see package notary), oldest first,
// each after the first with the RFC 6962 consistency proof from the one
// before (base64 hashes):
//
//	{"verifier_key":"laaledger/LEDGER+1c9a40f2+AXW…"}
//	{"checkpoint":"laaledger/LEDGER\n5\n…"}
//	{"checkpoint":"laaledger/LEDGER\n9\n…","consistency":["…",…]}
//
// Its commits then run from sequence 1 to the latest checkpoint's tree size
// with none missing, and each commit value is the message exactly as the
// ledger stored it: leaf i of the tree is SHA-256(0x00 || the commit value's
// bytes on line i+1 of the commits).
//
// A filtered notarised bundle ([ExportFiltered]: one kind, one area) has
// the verifier key and the latest checkpoint only, and each commit line
// carries the commit's RFC 6962 inclusion proof into that checkpoint:
//
//	{"sequence":17,"proof":["…base64…",…],"commit":{…stored bytes…}}
//
// # Verification
//
// [Verify] checks that every line is a commit with at least one event, that
// sequences increase, and that every aggregate's events are numbered 1, 2,
// 3… with each linked to its predecessor's hash and each hash matching the
// event's content. For a notarised bundle it also checks every checkpoint's
// signature, the consistency proofs between them, that no commit is
// missing, that the Merkle root of the first N commits is the one each
// checkpoint of size N signs, and that no commit lies beyond the last
// checkpoint ([VerifyWith] lists them, and takes the key the auditor trusts
// and checkpoints the auditor already holds); for a filtered one, every
// commit's inclusion proof. It fails closed: a bundle
// that is empty, unreadable or malformed is never reported intact. A bundle
// that starts after the beginning of an aggregate's history cannot be
// verified, since the first event it holds of that aggregate does not link
// to the zero hash.
//
// The package imports eventstore, eventstore/notary, transparency-dev/merkle
// and the standard library; it must not import the domain, the projections
// or the HTTP layer, so that an auditor's program can use it on its own.
package bundle

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/laaledger/laaledger/eventstore"
)

// ErrEmpty means the bundle holds no commit. An empty bundle proves nothing
// (a truncated file looks the same), so it fails verification like a
// tampered one: errors.Is(ErrEmpty, eventstore.ErrTampered) is true.
var ErrEmpty error = &eventstore.TamperedError{Message: "empty bundle: nothing to verify"}

// maxLine bounds one line (one commit) when reading.
const maxLine = 16 << 20

// line is one line of a bundle.
type line struct {
	Sequence uint64             `json:"sequence"`
	Commit   *eventstore.Commit `json:"commit"`
}

// Writer writes a bundle. Call [Writer.Flush] when done.
type Writer struct {
	bw      *bufio.Writer
	enc     *json.Encoder
	commits int
	last    uint64
}

// NewWriter returns a Writer that buffers its output to w.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 1<<20)
	return &Writer{bw: bw, enc: json.NewEncoder(bw)}
}

// Write adds one stored commit; its stream sequence is that of its events.
// Commits must come in stream order.
func (w *Writer) Write(c *eventstore.Commit) error {
	if len(c.Events) == 0 {
		return fmt.Errorf("write bundle: commit %s has no events", c.CommandID)
	}
	seq := c.Events[0].Sequence
	if seq <= w.last {
		return fmt.Errorf("write bundle: commit at sequence %d after %d", seq, w.last)
	}
	if err := w.enc.Encode(line{Sequence: seq, Commit: c}); err != nil {
		return fmt.Errorf("write bundle: %w", err)
	}
	w.commits++
	w.last = seq
	return nil
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error { return w.bw.Flush() }

// Commits is the number of commits written so far.
func (w *Writer) Commits() int { return w.commits }

// Source is what [Export] reads: [eventstore.Store] is one.
type Source interface {
	// Read calls fn with every commit that opts selects, in stream order,
	// and returns the last stream sequence it read.
	Read(ctx context.Context, opts eventstore.ReadOptions, fn func(*eventstore.Commit) error) (uint64, error)
}

// Export writes the commits of src that opts selects to w as a bundle and
// returns how many it wrote and the last stream sequence read. w is flushed
// but not synced or closed.
func Export(ctx context.Context, src Source, opts eventstore.ReadOptions, w io.Writer) (commits int, last uint64, err error) {
	bw := NewWriter(w)
	last, err = src.Read(ctx, opts, bw.Write)
	if err != nil {
		return bw.Commits(), last, err
	}
	if err := bw.Flush(); err != nil {
		return bw.Commits(), last, fmt.Errorf("write bundle: %w", err)
	}
	return bw.Commits(), last, nil
}

// Reader reads a bundle commit by commit. It checks the form of each line
// and that sequences increase, not the hash chains: see [Verify]. A
// notarised bundle's header lines (its verifier key and checkpoints, see
// [ExportNotarised]) are collected on the way, before the first commit.
type Reader struct {
	sc      *bufio.Scanner
	line    int
	last    uint64
	raw     []byte
	proof   [][]byte
	key     string
	keyLine int
	cps     []headerCheckpoint
}

// readLine is any line of a bundle: a commit, the verifier key or a
// checkpoint.
type readLine struct {
	Sequence    uint64          `json:"sequence"`
	Commit      json.RawMessage `json:"commit"`
	VerifierKey string          `json:"verifier_key"`
	Checkpoint  string          `json:"checkpoint"`
	Consistency [][]byte        `json:"consistency"`
	Proof       [][]byte        `json:"proof"`
}

// headerCheckpoint is a checkpoint line as read, unverified.
type headerCheckpoint struct {
	line        int
	note        string
	consistency [][]byte
}

// NewReader returns a Reader of the bundle in r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), maxLine)
	return &Reader{sc: sc}
}

// Next returns the next commit, with every event's Sequence set to the
// line's stream sequence, or io.EOF after the last one. A line that is not
// a commit with events, or whose sequence does not follow the previous
// line's, is an [eventstore.ErrTampered] error naming the line.
func (r *Reader) Next() (*eventstore.Commit, error) {
	for {
		if !r.sc.Scan() {
			if err := r.sc.Err(); err != nil {
				return nil, fmt.Errorf("read bundle after line %d: %w", r.line, err)
			}
			return nil, io.EOF
		}
		r.line++
		var l readLine
		if seq, raw, ok := commitLine(r.sc.Bytes()); ok {
			l.Sequence, l.Commit = seq, raw
		} else if err := json.Unmarshal(r.sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("line %d: %w: not an export line", r.line, eventstore.ErrTampered)
		}
		isCommit := len(l.Commit) > 0 && string(l.Commit) != "null"
		if l.VerifierKey != "" || l.Checkpoint != "" {
			if isCommit || l.Proof != nil || l.VerifierKey != "" && l.Checkpoint != "" {
				return nil, fmt.Errorf("line %d: %w: not an export line", r.line, eventstore.ErrTampered)
			}
			if r.last > 0 {
				return nil, fmt.Errorf("line %d: %w: a verifier key or checkpoint after the commits", r.line, eventstore.ErrTampered)
			}
			if l.VerifierKey != "" {
				if r.key != "" {
					return nil, fmt.Errorf("line %d: %w: a second verifier key (the first is on line %d)", r.line, eventstore.ErrTampered, r.keyLine)
				}
				r.key, r.keyLine = l.VerifierKey, r.line
				continue
			}
			r.cps = append(r.cps, headerCheckpoint{line: r.line, note: l.Checkpoint, consistency: l.Consistency})
			continue
		}
		if !isCommit {
			return nil, fmt.Errorf("line %d: %w: not an export line", r.line, eventstore.ErrTampered)
		}
		c, err := eventstore.DecodeCommit(l.Commit, l.Sequence)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w: not an export line", r.line, eventstore.ErrTampered)
		}
		if l.Sequence <= r.last {
			return nil, fmt.Errorf("line %d: %w: sequence %d after %d", r.line, eventstore.ErrTampered, l.Sequence, r.last)
		}
		r.last = l.Sequence
		r.raw, r.proof = l.Commit, l.Proof
		return c, nil
	}
}

// Stored is the commit Next last returned, as the bundle holds it (valid
// until the next call to Next): in a
// notarised bundle, the bytes the ledger stored, which its Merkle tree
// hashes.
func (r *Reader) Stored() []byte { return r.raw }

// Proof is the inclusion proof the commit Next last returned carries, in a
// filtered notarised bundle (nil otherwise).
func (r *Reader) Proof() [][]byte { return r.proof }

// VerifierKey is the verifier key the bundle's header names, if any.
func (r *Reader) VerifierKey() string { return r.key }

// Line is the number of the line Next last read, from 1.
func (r *Reader) Line() int { return r.line }

// Report is what a successful verification covered.
type Report struct {
	Events  int
	Commits int
	// LastSequence is the stream sequence of the bundle's last commit.
	LastSequence uint64
	// Checkpoints is the number of signed checkpoints verified (0 for a
	// bundle that is not notarised: then only the hash chains were
	// checked); TreeSize is the largest one's, Origin the log's name and
	// VerifierKey the key they verified under.
	Checkpoints int
	// Included is the number of commits proven by an inclusion proof (a
	// filtered bundle's).
	Included    int
	TreeSize    uint64
	Origin      string
	VerifierKey string
}

// Verify reads the whole bundle in r and checks it (see the package
// documentation). It returns a Report only for a bundle that holds at least
// one commit and verifies completely; otherwise the error says which line
// failed and why. Errors: [eventstore.ErrTampered] (a *[eventstore.ChainError]
// for a broken hash chain, wrapped with its line), [ErrEmpty], or the
// reader's own error.
func Verify(r io.Reader) (Report, error) { return VerifyWith(r, Options{}) }
