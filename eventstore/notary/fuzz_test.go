package notary_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/formats/log"

	"github.com/laaledger/laaledger/eventstore/notary"
)

var update = flag.Bool("update", false, "rewrite testdata/checkpoint.note and checkpoint.vkey")

// The committed checkpoint fixture verifies under its key, and only its.
func TestCheckpointFixture(t *testing.T) {
	if *update {
		k, _, err := notary.GenerateKey("laaledger/LEDGER")
		require.NoError(t, err)
		tr := notary.NewTree()
		for _, leaf := range []string{"a", "b", "c"} {
			require.NoError(t, tr.Append(notary.LeafHash([]byte(leaf))))
		}
		root, err := tr.Root(3)
		require.NoError(t, err)
		cp, err := k.Sign(3, root, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("testdata/checkpoint.note", []byte(cp.Note), 0o644))
		require.NoError(t, os.WriteFile("testdata/checkpoint.vkey", []byte(k.VerifierKey()+"\n"), 0o644))
	}
	v, signed := fixture(t)
	cp, err := v.ParseCheckpoint(signed)
	require.NoError(t, err)
	require.Equal(t, uint64(3), cp.Size)
	require.Equal(t, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), cp.Time)
	other, _, err := notary.GenerateKey("laaledger/LEDGER")
	require.NoError(t, err)
	_, err = other.Verifier().ParseCheckpoint(signed)
	require.ErrorIs(t, err, notary.ErrNotVerified)
}

func fixture(t testing.TB) (*notary.Verifier, []byte) {
	vkey, err := os.ReadFile("testdata/checkpoint.vkey")
	require.NoError(t, err)
	v, err := notary.NewVerifier(string(vkey))
	require.NoError(t, err)
	signed, err := os.ReadFile("testdata/checkpoint.note")
	require.NoError(t, err)
	return v, signed
}

// The checkpoint parser never panics, and accepts only what is signed:
// whatever it accepts starts with the C2SP checkpoint of what it returns.
func FuzzParseCheckpoint(f *testing.F) {
	v, signed := fixture(f)
	f.Add(signed)
	f.Add(bytes.Replace(signed, []byte("\n3\n"), []byte("\n4\n"), 1))
	f.Add([]byte(strings.SplitN(string(signed), "\n\n", 2)[0]))
	f.Add([]byte("laaledger/LEDGER\n3\nAAAA\n\n— laaledger/LEDGER AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := v.ParseCheckpoint(b)
		if err != nil {
			return
		}
		body := log.Checkpoint{Origin: cp.Origin, Size: cp.Size, Hash: cp.Hash}.Marshal()
		if !bytes.HasPrefix(b, body) || cp.Note != string(b) {
			t.Fatalf("accepted %q as %+v", b, cp)
		}
	})
}
