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
const snapshotMagic = "LAAPROJ1"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// The snapshot file is the magic, the number of sections, then one section
// per read model:
//
//	name, code version, position, hash of the event at position (each a
//	uvarint or a uvarint-prefixed string), payload length (8 bytes, little
//	endian), payload (the model's WriteSnapshot), CRC-32C of the payload.
//
// The length lets a reader skip a model it no longer has or whose code
// version changed; the CRC turns a torn or damaged section into a rebuild of
// that model instead of wrong answers. The file is written beside the old
// one and renamed over it, so a crash leaves the previous snapshot intact.

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
		w.Write(make([]byte, 8))
		crc := crc32.New(castagnoli)
		if err := s.m.WriteSnapshot(io.MultiWriter(w, crc)); err != nil {
			return 0, fmt.Errorf("read model %s: %w", s.m.Name(), err)
		}
		if err := w.Flush(); err != nil {
			return 0, err
		}
		end, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, err
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(end-lenAt-8))
		if _, err := f.WriteAt(b[:], lenAt); err != nil {
			return 0, err
		}
		binary.LittleEndian.PutUint32(b[:4], crc.Sum32())
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
			r.log.Warn("projections snapshot does not match this ledger; rebuilding the model from sequence 1",
				"model", s.m.Name(), "position", s.pos)
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
	br := bufio.NewReaderSize(f, 1<<16)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("not a projections snapshot (format %q)", magic)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return err
	}
	byName := map[string]*slot{}
	for _, s := range r.slots {
		byName[s.m.Name()] = s
	}
	type section struct {
		s         *slot
		pos       uint64
		hash      string
		off, size int64
	}
	var sections []section
	off := int64(len(snapshotMagic) + uvarintLen(n))
	for range n {
		hdr := &countingReader{r: br}
		name, err := readString(hdr)
		if err != nil {
			return err
		}
		version, err := binary.ReadUvarint(hdr)
		if err != nil {
			return err
		}
		pos, err := binary.ReadUvarint(hdr)
		if err != nil {
			return err
		}
		hash, err := readString(hdr)
		if err != nil {
			return err
		}
		var lb [8]byte
		if _, err := io.ReadFull(hdr, lb[:]); err != nil {
			return err
		}
		size := int64(binary.LittleEndian.Uint64(lb[:]))
		off += hdr.n
		s := byName[name]
		switch {
		case s == nil:
		case uint64(s.m.Version()) != version:
			r.log.Info("read model code changed; rebuilding it from sequence 1", "model", name, "snapshot_version", version, "code_version", s.m.Version())
		default:
			sections = append(sections, section{s: s, pos: pos, hash: hash, off: off, size: size})
		}
		if _, err := br.Discard(int(size) + 4); err != nil {
			return err
		}
		off += size + 4
	}
	errs := make([]error, len(sections))
	var wg sync.WaitGroup
	for i, sec := range sections {
		wg.Go(func() {
			crc := crc32.New(castagnoli)
			body := io.NewSectionReader(f, sec.off, sec.size)
			if err := sec.s.m.ReadSnapshot(io.TeeReader(bufio.NewReaderSize(body, 1<<20), crc)); err != nil {
				errs[i] = fmt.Errorf("read model %s: %w", sec.s.m.Name(), err)
				return
			}
			var sum [4]byte
			if _, err := f.ReadAt(sum[:], sec.off+sec.size); err != nil {
				errs[i] = err
				return
			}
			if crc.Sum32() != binary.LittleEndian.Uint32(sum[:]) {
				errs[i] = fmt.Errorf("read model %s: checksum mismatch", sec.s.m.Name())
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, sec := range sections {
		sec.s.pos, sec.s.hash = sec.pos, sec.hash
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
