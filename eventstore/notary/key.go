package notary

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Key is the notary's Ed25519 signing key with its verifier. Its name is the
// log's origin, as C2SP tlog-checkpoint asks.
type Key struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// ParseKey reads a signed-note private key
// ("PRIVATE+KEY+<name>+<hash>+<base64>", as note.GenerateKey writes it).
func ParseKey(skey string) (*Key, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	// The verifier key is derived from the private key's Ed25519 seed:
	// PRIVATE+KEY+<name>+<hash>+<base64 of 0x01 and the seed>, where the
	// name has no "+" but the base64 may.
	fields := strings.SplitN(skey, "+", 5)
	if len(fields) != 5 {
		return nil, errors.New("signing key: not a signed-note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(fields[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("signing key: not an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if verifier.KeyHash() != signer.KeyHash() {
		return nil, errors.New("signing key: its key hash does not match its public key")
	}
	return &Key{signer: signer, verifier: verifier, vkey: vkey}, nil
}

// GenerateKey returns a new Ed25519 key named origin.
func GenerateKey(origin string) (*Key, string, error) {
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, "", fmt.Errorf("generate signing key for %q: %w", origin, err)
	}
	k, err := ParseKey(skey)
	return k, skey, err
}

// LoadOrCreateKey reads the key in path or, if there is no such file,
// creates one named origin there, readable by its owner only (0600). A key
// file with another name than origin is refused: checkpoints signed with
// it would not verify under the log's origin.
func LoadOrCreateKey(path, origin string) (*Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, skey, err := GenerateKey(origin)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create signing key %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create signing key %s: %w", path, err)
		}
		if _, err := f.WriteString(skey + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("write signing key %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("write signing key %s: %w", path, err)
		}
		return k, f.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if k.Name() != origin {
		return nil, fmt.Errorf("signing key %s is named %q, the log's origin is %q", path, k.Name(), origin)
	}
	return k, nil
}

// Name is the key's name: the log's origin.
func (k *Key) Name() string { return k.signer.Name() }

// VerifierKey is the key an auditor verifies checkpoints with
// ("<name>+<hash>+<base64>", note.NewVerifier reads it).
func (k *Key) VerifierKey() string { return k.vkey }

// Verifier returns a [Verifier] for this key.
func (k *Key) Verifier() *Verifier { return &Verifier{origin: k.Name(), v: k.verifier, vkey: k.vkey} }
