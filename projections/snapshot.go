package projections

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SnapshotFile is the name of the snapshot in [Config.Dir].
const SnapshotFile = "projections.snap"

// snapshotMagic opens every snapshot file; the digit is the file format's
// version, not a read model's.
const snapshotMagic = "LAAPROJ2"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// The snapshot file is the magic, the number of sections, then one section
// per read model:
//
//	name, code version, position, hash of the event at position (each a
//	uvarint or a uvarint-prefixed string), payload length (8 bytes, little
//	endian), content digest (32 bytes), payload (the model's
//	WriteSnapshot), CRC-32C of the payload followed by the digest.
//
// The length lets a reader skip a model it no longer has or whose code
// version changed; the CRC turns a torn or damaged section into a rebuild of
// that model instead of wrong answers. The digest (see contentDigest) binds
// the model's content to the ledger at its position: `laaledger verify
// --projections` rebuilds the model from the stream and compares, which a
// CRC recomputed over an edited section cannot pass. The file is written
// beside the old one and renamed over it, so a crash leaves the previous
// snapshot intact.

// Snapshot writes the snapshot now, between two commits.
func (r *Runner) Snapshot() error {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	return r.snapshotLocked()
}

func (r *Runner) snapshotLocked() error {
	if r.cfg.Dir == "" {
		return nil
	}
	began := time.Now()
	if err := os.MkdirAll(r.cfg.Dir, 0o750); err != nil {
		return fmt.Errorf("snapshot projections: %w", err)
	}
	f, err := os.CreateTemp(r.cfg.Dir, SnapshotFile+".*.tmp")
	if err != nil {
		return fmt.Errorf("snapshot projections: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	size, err := r.writeSnapshot(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(r.cfg.Dir, SnapshotFile))
	}
	if err == nil {
		err = syncDir(r.cfg.Dir)
	}
	if err != nil {
		return fmt.Errorf("snapshot projections in %s: %w", r.cfg.Dir, err)
	}
	r.lastSnap, r.snapPos = time.Now(), r.minPos()
	r.log.Info("projections snapshot written", "position", r.snapPos, "bytes", size, "took", time.Since(began))
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (r *Runner) writeSnapshot(f *os.File) (int64, error) {
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(snapshotMagic)
	putUvarint(w, uint64(len(r.slots)))
	for _, s := range r.slots {
		putString(w, s.m.Name())
		putUvarint(w, uint64(s.m.Version()))
		putUvarint(w, s.pos)
		putString(w, s.hash)
		if err := w.Flush(); err != nil {
			return 0, err
		}
		lenAt, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		w.Write(make([]byte, 8+digestSize))
		crc := crc32.New(castagnoli)
		dw := newDigestWriter(s.m, s.pos, s.hash)
		if err := s.m.WriteSnapshot(dw.tee(io.MultiWriter(w, crc))); err != nil {
			return 0, fmt.Errorf("read model %s: %w", s.m.Name(), err)
		}
		digest, err := dw.sum()
		if err != nil {
			return 0, fmt.Errorf("read model %s: digest: %w", s.m.Name(), err)
		}
		if err := w.Flush(); err != nil {
			return 0, err
		}
		end, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		var b [8 + digestSize]byte
		binary.LittleEndian.PutUint64(b[:8], uint64(end-lenAt-8-digestSize))
		copy(b[8:], digest[:])
		if _, err := f.WriteAt(b[:], lenAt); err != nil {
			return 0, err
		}
		binary.LittleEndian.PutUint32(b[:4], crc32.Update(crc.Sum32(), castagnoli, digest[:]))
		w.Write(b[:4])
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return f.Seek(0, io.SeekCurrent)
}

func putUvarint(w *bufio.Writer, v uint64) {
	var b [binary.MaxVarintLen64]byte
	w.Write(b[:binary.PutUvarint(b[:], v)])
}

func putString(w *bufio.Writer, s string) {
	putUvarint(w, uint64(len(s)))
	w.WriteString(s)
}

// restore loads the snapshot, if there is one, into the models it still
// fits, and checks each restored position against the stream.
func (r *Runner) restore(ctx context.Context) error {
	if r.cfg.Dir == "" {
		return nil
	}
	path := filepath.Join(r.cfg.Dir, SnapshotFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open projections snapshot: %w", err)
	}
	defer f.Close()
	began := time.Now()
	if err := r.readSnapshot(f); err != nil {
		// A damaged file costs a rebuild, never wrong answers.
		r.log.Warn("projections snapshot unreadable; rebuilding from sequence 1", "file", path, "err", err)
		for _, s := range r.slots {
			s.m.Reset()
			s.pos, s.hash = 0, ""
		}
		return nil
	}
	hashes := map[uint64]string{}
	for _, s := range r.slots {
		if s.pos == 0 {
			continue
		}
		h, ok := hashes[s.pos]
		if !ok {
			c, err := r.store.Commit(ctx, s.pos)
			if err == nil {
				h = c.Events[len(c.Events)-1].Hash
			} else if ctx.Err() != nil {
				return fmt.Errorf("check projections snapshot: %w", err)
			}
			hashes[s.pos] = h
		}
		if h != s.hash {
			// Taken of another stream, or of this one before it was
			// restored differently: never served, rebuilt.
			r.log.Warn("projections snapshot does not match this ledger; refusing it and rebuilding the model from sequence 1",
				"model", s.m.Name(), "position", s.pos, "snapshot_commit_hash", s.hash, "stream_commit_hash", h)
			s.m.Reset()
			s.pos, s.hash = 0, ""
		}
	}
	r.log.Info("projections snapshot loaded", "file", path, "took", time.Since(began))
	return nil
}

// readSnapshot reads the section headers first, then loads the sections of
// the models that can use them in parallel: a restart waits for the
// slowest model, not for the sum of them.
func (r *Runner) readSnapshot(f *os.File) error {
	all, err := readSections(f)
	if err != nil {
		return err
	}
	byName := map[string]*slot{}
	for _, s := range r.slots {
		byName[s.m.Name()] = s
	}
	type use struct {
		s   *slot
		sec section
	}
	var uses []use
	for _, sec := range all {
		s := byName[sec.name]
		switch {
		case s == nil:
		case uint64(s.m.Version()) != sec.version:
			r.log.Info("read model code changed; rebuilding it from sequence 1", "model", sec.name, "snapshot_version", sec.version, "code_version", s.m.Version())
		default:
			uses = append(uses, use{s, sec})
		}
	}
	errs := make([]error, len(uses))
	var wg sync.WaitGroup
	for i, u := range uses {
		wg.Go(func() { errs[i] = u.sec.load(f, u.s.m) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, u := range uses {
		u.s.pos, u.s.hash = u.sec.pos, u.sec.hash
	}
	return nil
}

// section is one read model's section of a snapshot file, as its header
// describes it.
type section struct {
	name      string
	version   uint64
	pos       uint64
	hash      string
	digest    [digestSize]byte
	off, size int64 // of the payload
}

// readSections reads the header of every section of a snapshot file.
func readSections(f *os.File) ([]section, error) {
	br := bufio.NewReaderSize(f, 1<<16)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, fmt.Errorf("not a projections snapshot of this format (%q, want %q)", magic, snapshotMagic)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, err
	}
	var out []section
	off := int64(len(snapshotMagic) + uvarintLen(n))
	for range n {
		hdr := &countingReader{r: br}
		var sec section
		if sec.name, err = readString(hdr); err != nil {
			return nil, err
		}
		if sec.version, err = binary.ReadUvarint(hdr); err != nil {
			return nil, err
		}
		if sec.pos, err = binary.ReadUvarint(hdr); err != nil {
			return nil, err
		}
		if sec.hash, err = readString(hdr); err != nil {
			return nil, err
		}
		var lb [8]byte
		if _, err := io.ReadFull(hdr, lb[:]); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(hdr, sec.digest[:]); err != nil {
			return nil, err
		}
		sec.size = int64(binary.LittleEndian.Uint64(lb[:]))
		if sec.size < 0 || sec.size > 1<<40 {
			return nil, fmt.Errorf("read model %s: section of %d bytes", sec.name, sec.size)
		}
		off += hdr.n
		sec.off = off
		out = append(out, sec)
		if _, err := br.Discard(int(sec.size) + 4); err != nil {
			return nil, err
		}
		off += sec.size + 4
	}
	return out, nil
}

// load replaces m's state with the section's payload, checking its CRC.
func (sec section) load(f *os.File, m ReadModel) error {
	crc := crc32.New(castagnoli)
	body := io.NewSectionReader(f, sec.off, sec.size)
	tee := io.TeeReader(bufio.NewReaderSize(body, 1<<20), crc)
	if err := m.ReadSnapshot(tee); err != nil {
		return fmt.Errorf("read model %s: %w", sec.name, err)
	}
	// The checksum covers the whole payload, read by the model or not.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return fmt.Errorf("read model %s: %w", sec.name, err)
	}
	var sum [4]byte
	if _, err := f.ReadAt(sum[:], sec.off+sec.size); err != nil {
		return fmt.Errorf("read model %s: %w", sec.name, err)
	}
	if crc32.Update(crc.Sum32(), castagnoli, sec.digest[:]) != binary.LittleEndian.Uint32(sum[:]) {
		return fmt.Errorf("read model %s: checksum mismatch", sec.name)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

type byteReader interface {
	io.Reader
	io.ByteReader
}

func readString(br byteReader) (string, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", err
	}
	if n > 1<<20 {
		return "", fmt.Errorf("string of %d bytes", n)
	}
	b := make([]byte, n)
	_, err = io.ReadFull(br, b)
	return string(b), err
}
