package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/laaledger/laaledger/eventstore/internal/atomicfile"
)

func TestWriteReplacesTheFileWholeAndLeavesNothingBeside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(path, []byte("old content, longer than the new\n"), 0o644))

	require.NoError(t, atomicfile.Write(path, []byte("new\n")))

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new\n", string(got))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")
}

func TestWriteIntoAMissingDirectoryFails(t *testing.T) {
	require.Error(t, atomicfile.Write(filepath.Join(t.TempDir(), "absent", "state.json"), []byte("x")))
}

func TestWriteJSONIsIndentedAndEndsWithANewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "webhooks.json")
	require.NoError(t, atomicfile.WriteJSON(path, []map[string]string{{"name": "dash"}}))

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "[\n  {\n    \"name\": \"dash\"\n  }\n]\n", string(got))
}
