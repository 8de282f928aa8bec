// Package atomicfile replaces small files whole and durably: the ledger's
// watermark and a data directory's integrations and webhooks, where a
// crash must leave the old content or the new, never a torn file.
//
// It imports only the standard library.
package atomicfile

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// Write replaces path with b, mode 0600. b goes to a new file beside
// path, which is synced and renamed over it; the directory is then synced
// (best effort) so that the rename outlives a crash too.
func Write(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// WriteJSON replaces path with v as indented JSON and a final newline,
// the form of a data directory's files that people read and edit, as
// [Write] does.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return Write(path, append(b, '\n'))
}
