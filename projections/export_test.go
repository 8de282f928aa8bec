package projections

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// ForgeSnapshotSection rewrites the payload of model's section of the
// snapshot in dir with edit, and recomputes its CRC, as someone editing the
// file would. With redigest it also recomputes the content digest over the
// edited content (loaded into fresh), so the section is consistent in
// every respect the file itself can show.
func ForgeSnapshotSection(dir, model string, fresh ReadModel, redigest bool, edit func([]byte) []byte) error {
	path := filepath.Join(dir, SnapshotFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	secs, err := readSections(f)
	f.Close()
	if err != nil {
		return err
	}
	for _, sec := range secs {
		if sec.name != model {
			continue
		}
		payload := edit(append([]byte(nil), b[sec.off:sec.off+sec.size]...))
		digest := sec.digest
		if redigest {
			tmp := filepath.Join(dir, "forged.payload")
			if err := os.WriteFile(tmp, payload, 0o600); err != nil {
				return err
			}
			pf, err := os.Open(tmp)
			if err != nil {
				return err
			}
			err = fresh.ReadSnapshot(pf)
			pf.Close()
			os.Remove(tmp)
			if err != nil {
				return err
			}
			if digest, err = contentDigest(fresh, sec.pos, sec.hash); err != nil {
				return err
			}
		}
		var out []byte
		out = append(out, b[:sec.off-8-digestSize]...)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(payload)))
		out = append(out, digest[:]...)
		out = append(out, payload...)
		crc := crc32.Update(crc32.Checksum(payload, castagnoli), castagnoli, digest[:])
		out = binary.LittleEndian.AppendUint32(out, crc)
		out = append(out, b[sec.off+sec.size+4:]...)
		return os.WriteFile(path, out, 0o600)
	}
	return fmt.Errorf("no section %s in %s", model, path)
}

// CanonicalTimelines is the canonical encoding of tl's content, the one
// its content digest is taken over.
func CanonicalTimelines(tl *Timelines) ([]byte, error) {
	var b bytes.Buffer
	err := tl.writeCanonical(&b)
	return b.Bytes(), err
}
