package projections

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A small binary codec for snapshots: gob and JSON spend most of a 1M-event
// snapshot on reflection and time formatting; this writes varints and
// strings.

type encoder struct {
	w   *bufio.Writer
	buf [binary.MaxVarintLen64]byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 1<<16)}
}

func (e *encoder) uvarint(v uint64) { e.w.Write(e.buf[:binary.PutUvarint(e.buf[:], v)]) }
func (e *encoder) varint(v int64)   { e.w.Write(e.buf[:binary.PutVarint(e.buf[:], v)]) }

func (e *encoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.w.Write(b)
}

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.w.WriteString(s)
}

func (e *encoder) flush() error { return e.w.Flush() }

type decoder struct {
	r   *bufio.Reader
	err error
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: bufio.NewReaderSize(r, 1<<16)}
}

var errCorrupt = errors.New("corrupt snapshot")

func (d *decoder) fail(err error) {
	if d.err == nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		d.err = fmt.Errorf("%w: %v", errCorrupt, err)
	}
}

func (d *decoder) uvarint() uint64 { return readNumber(d, binary.ReadUvarint) }

func (d *decoder) varint() int64 { return readNumber(d, binary.ReadVarint) }

// readNumber reads one number with read, unless d has already failed.
func readNumber[T uint64 | int64](d *decoder, read func(io.ByteReader) (T, error)) T {
	if d.err != nil {
		return 0
	}
	v, err := read(d.r)
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > 64<<20 {
		d.fail(fmt.Errorf("field of %d bytes", n))
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.fail(err)
	}
	return b
}

func (d *decoder) str() string { return string(d.bytes()) }
