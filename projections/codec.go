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
// strings, and each repeated string (event types, aggregate ids, actors)
// once, then by number.

type encoder struct {
	w   *bufio.Writer
	ids map[string]uint64
	buf [binary.MaxVarintLen64]byte
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 1<<16), ids: map[string]uint64{}}
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

// sym writes a repeated string: its number once it has been seen, else 0
// and the string.
func (e *encoder) sym(s string) {
	if id, ok := e.ids[s]; ok {
		e.uvarint(id)
		return
	}
	e.ids[s] = uint64(len(e.ids) + 1)
	e.uvarint(0)
	e.str(s)
}

func (e *encoder) flush() error { return e.w.Flush() }

type decoder struct {
	r    *bufio.Reader
	syms []string
	in   *interner
	err  error
}

func newDecoder(r io.Reader, in *interner) *decoder {
	return &decoder{r: bufio.NewReaderSize(r, 1<<16), in: in}
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

func (d *decoder) sym() string {
	id := d.uvarint()
	if d.err != nil {
		return ""
	}
	if id == 0 {
		s := d.in.get(d.str())
		d.syms = append(d.syms, s)
		return s
	}
	if id > uint64(len(d.syms)) {
		d.fail(fmt.Errorf("symbol %d of %d", id, len(d.syms)))
		return ""
	}
	return d.syms[id-1]
}

// fieldEncoder and fieldDecoder let eventstore.Envelope write and read its
// own fields (its field list exists once, in the event store), here in
// the snapshot codec.
type fieldEncoder struct{ *encoder }

func (f fieldEncoder) Uvarint(v uint64) { f.uvarint(v) }
func (f fieldEncoder) Varint(v int64)   { f.varint(v) }
func (f fieldEncoder) Bytes(b []byte)   { f.bytes(b) }
func (f fieldEncoder) Str(s string)     { f.str(s) }
func (f fieldEncoder) Sym(s string)     { f.sym(s) }

type fieldDecoder struct{ *decoder }

func (f fieldDecoder) Uvarint() uint64 { return f.uvarint() }
func (f fieldDecoder) Varint() int64   { return f.varint() }
func (f fieldDecoder) Bytes() []byte   { return f.bytes() }
func (f fieldDecoder) Str() string     { return f.str() }
func (f fieldDecoder) Sym() string     { return f.sym() }
func (f fieldDecoder) Err() error      { return f.err }
