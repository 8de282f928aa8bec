package notary

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a signed commitment to the ledger's first Size commits.
// Note is the signed note itself (C2SP tlog-checkpoint, see the package
// documentation); the other fields are what it says, for convenience.
type Checkpoint struct {
	Origin string    `json:"origin"`
	Size   uint64    `json:"tree_size"`
	Hash   []byte    `json:"root_hash"`
	Time   time.Time `json:"time"`
	Note   string    `json:"note"`
}

// timePrefix starts the checkpoint's one extension line.
const timePrefix = "time "

// Sign makes the signed checkpoint of a tree of size leaves with root
// hash, dated at. It checks nothing: [Notary] signs only trees consistent
// with its previous checkpoint.
func (k *Key) Sign(size uint64, root []byte, at time.Time) (Checkpoint, error) {
	body := log.Checkpoint{Origin: k.Name(), Size: size, Hash: root}.Marshal()
	at = at.UTC()
	body = append(body, timePrefix+at.Format(time.RFC3339Nano)+"\n"...)
	signed, err := note.Sign(&note.Note{Text: string(body)}, k.signer)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint of tree size %d: %w", size, err)
	}
	return Checkpoint{Origin: k.Name(), Size: size, Hash: root, Time: at, Note: string(signed)}, nil
}

// Verifier checks checkpoints and proofs with a verifier key alone.
type Verifier struct {
	origin string
	v      note.Verifier
	vkey   string
}

// NewVerifier returns a verifier for a verifier key
// ("<origin>+<hash>+<base64>", as `laaledger key` prints it); the key's name
// is the origin checkpoints must carry.
func NewVerifier(vkey string) (*Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	return &Verifier{origin: v.Name(), v: v, vkey: vkey}, nil
}

// Origin is the log origin the verifier accepts.
func (v *Verifier) Origin() string { return v.origin }

// Key is the verifier key.
func (v *Verifier) Key() string { return v.vkey }

// maxNote bounds a signed checkpoint; a real one is under 300 bytes.
const maxNote = 8 << 10

// ParseCheckpoint verifies a signed checkpoint's signature and origin and
// returns what it says. A checkpoint not signed by this verifier's key, not
// for its origin or not in the checkpoint format is an [ErrNotVerified]
// error.
func (v *Verifier) ParseCheckpoint(signed []byte) (Checkpoint, error) {
	if len(signed) > maxNote {
		return Checkpoint{}, notVerifiedf("checkpoint of %d bytes, more than %d", len(signed), maxNote)
	}
	// log.ParseCheckpoint does the same but flattens note.Open's error,
	// which names who did sign.
	n, err := note.Open(signed, note.VerifierList(v.v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, notVerifiedf("checkpoint is not signed by %s (signed by %s)", v.vkey, signers(unverified.Note))
		}
		return Checkpoint{}, notVerifiedf("checkpoint signature: %v", err)
	}
	var cp log.Checkpoint
	ext, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, notVerifiedf("signed note is not a checkpoint: %v", err)
	}
	if cp.Origin != v.origin {
		return Checkpoint{}, notVerifiedf("checkpoint for origin %q, want %q", cp.Origin, v.origin)
	}
	if len(cp.Hash) != hasher.Size() {
		return Checkpoint{}, notVerifiedf("checkpoint of tree size %d: root hash of %d bytes, want %d", cp.Size, len(cp.Hash), hasher.Size())
	}
	out := Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash, Note: string(signed)}
	for _, line := range bytes.Split(ext, []byte("\n")) {
		if t, ok := bytes.CutPrefix(line, []byte(timePrefix)); ok {
			if at, err := time.Parse(time.RFC3339Nano, string(t)); err == nil {
				out.Time = at
			}
		}
	}
	return out, nil
}

func signers(n *note.Note) string {
	if n == nil || len(n.UnverifiedSigs) == 0 {
		return "no known key"
	}
	var names []string
	for _, s := range n.UnverifiedSigs {
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return strings.Join(names, ", ")
}

// b64 is how hashes appear in messages: base64, as in checkpoints.
func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }
