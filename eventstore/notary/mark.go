package notary

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/laaledger/laaledger/eventstore/internal/atomicfile"
)

// MarkFile is the usual name, in a data directory, of the notary's record
// of the last checkpoint it stored (see [Config.MarkFile]).
const MarkFile = "notary.checkpoint"

// mark is the notary's own record, kept beside the ledger, of the last
// checkpoint it stored: the checkpoint stream must still hold it. It is
// written after the checkpoint is stored, so it never runs ahead of the
// stream; a stream without it lost or replaced signed checkpoints.
type mark struct {
	Origin    string    `json:"origin"`
	Size      uint64    `json:"tree_size"`
	Hash      string    `json:"root_hash"`
	UpdatedAt time.Time `json:"updated_at"`
}

// readMark returns the record in path, or false if there is none yet. A
// file that exists but cannot be read or parsed is an error: a damaged
// record must not pass for "no checkpoint stored".
func readMark(path string) (mark, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return mark{}, false, nil
	}
	if err != nil {
		return mark{}, false, fmt.Errorf("read the checkpoint record %s: %w", path, err)
	}
	var m mark
	if err := json.Unmarshal(b, &m); err != nil || m.Size == 0 || m.Hash == "" {
		return mark{}, false, notVerifiedf("the checkpoint record %s is damaged", path)
	}
	return m, true, nil
}

// checkMark holds the checkpoints read from the stream to the record in
// cfg.MarkFile: the stream must hold the checkpoint it names, with the
// same root.
func (n *Notary) checkMark() error {
	path := n.cfg.MarkFile
	if path == "" {
		return nil
	}
	m, ok, err := readMark(path)
	if err != nil || !ok {
		return err
	}
	if m.Origin != n.cfg.Origin {
		return notVerifiedf("the checkpoint record %s is for log %q, this notary signs for %q", path, m.Origin, n.cfg.Origin)
	}
	latest := "it holds none"
	if k := len(n.cps); k > 0 {
		latest = fmt.Sprintf("its latest is of tree size %d", n.cps[k-1].Size)
	}
	i, ok := n.bySize[m.Size]
	if !ok {
		return notVerifiedf("a checkpoint of tree size %d was stored (recorded in %s at %s), but %s does not hold it (%s): signed checkpoints were removed or the checkpoint stream was replaced",
			m.Size, path, m.UpdatedAt.UTC().Format(time.RFC3339), n.aux.Name(), latest)
	}
	if got := b64(n.cps[i].Hash); got != m.Hash {
		return notVerifiedf("the checkpoint of tree size %d in %s has root %s, but the one stored (recorded in %s at %s) had root %s: the checkpoint stream was replaced",
			m.Size, n.aux.Name(), got, path, m.UpdatedAt.UTC().Format(time.RFC3339), m.Hash)
	}
	return nil
}

// writeMark records cp as the last checkpoint stored, if cfg.MarkFile is
// set and cp is beyond the record. A record that cannot be written is
// logged: the checkpoint stands, but a later removal of it would go
// unnoticed by this record.
func (n *Notary) writeMark(cp Checkpoint) {
	path := n.cfg.MarkFile
	if path == "" {
		return
	}
	if m, ok, err := readMark(path); err == nil && ok && m.Origin == n.cfg.Origin && m.Size >= cp.Size {
		return
	}
	b, err := json.Marshal(mark{Origin: n.cfg.Origin, Size: cp.Size, Hash: b64(cp.Hash), UpdatedAt: n.cfg.Now().UTC()})
	if err == nil {
		err = atomicfile.Write(path, append(b, '\n'))
	}
	if err != nil {
		n.log.Error("checkpoint record not written", "path", path, "tree_size", cp.Size, "err", err)
	}
}
