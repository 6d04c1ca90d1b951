package sqltypes

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"
)

// binarySignature starts every COPY BINARY stream.
const binarySignature = "PGCOPY\n\377\r\n\x00"

// AppendBinaryCopyHeader appends a COPY BINARY header with no flags and no
// header extension.
func AppendBinaryCopyHeader(buf []byte) []byte {
	buf = append(buf, binarySignature...)
	buf = binary.BigEndian.AppendUint32(buf, 0)  // flags
	return binary.BigEndian.AppendUint32(buf, 0) // extension length
}

// AppendBinaryCopyTrailer appends the COPY BINARY trailer (a field count
// of -1).
func AppendBinaryCopyTrailer(buf []byte) []byte {
	return binary.BigEndian.AppendUint16(buf, 0xffff)
}

// AppendBinaryField adds one field to a tuple in COPY BINARY form (its
// field count included): the count goes up by one and the field (nil for
// NULL) is appended.
func AppendBinaryField(tuple, val []byte) []byte {
	n := binary.BigEndian.Uint16(tuple)
	binary.BigEndian.PutUint16(tuple, n+1)
	if val == nil {
		return binary.BigEndian.AppendUint32(tuple, 0xffffffff)
	}
	tuple = binary.BigEndian.AppendUint32(tuple, uint32(len(val)))
	return append(tuple, val...)
}

// BinaryCopyReader reads the tuples of COPY FROM data in binary format.
type BinaryCopyReader struct {
	r      *bufio.Reader
	ncols  int
	tuple  int
	header bool // the header has been read
	done   bool
	raw    []byte
	fields [][]byte
	// MaxRow bounds a tuple's bytes (0: maxCopyRow); a longer one is
	// refused from its field lengths, before it is read.
	MaxRow int64
}

// maxCopyRow is the bound on a COPY row when none is set: Postgres's
// MaxAllocSize.
const maxCopyRow = 1<<30 - 1

func copyRowLimit(max int64) int64 {
	if max <= 0 {
		return maxCopyRow
	}
	return max
}

// NewBinaryCopyReader returns a reader of COPY BINARY data whose tuples
// must have ncols fields.
func NewBinaryCopyReader(r io.Reader, ncols int) *BinaryCopyReader {
	return &BinaryCopyReader{r: bufio.NewReaderSize(r, 64<<10), ncols: ncols}
}

// Line is the number of the last tuple read (Postgres counts tuples as
// lines in the context of its errors).
func (c *BinaryCopyReader) Line() int { return c.tuple }

// readFull reads exactly len(p) bytes; eof reports a clean end of data
// before the first byte.
func (c *BinaryCopyReader) readFull(p []byte) (eof bool, err error) {
	n, err := io.ReadFull(c.r, p)
	switch {
	case err == nil:
		return false, nil
	case err == io.EOF && n == 0:
		return true, nil
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return false, badCopy("unexpected EOF in COPY data")
	}
	return false, err
}

func (c *BinaryCopyReader) readHeader() error {
	var h [19]byte
	eof, err := c.readFull(h[:11])
	if err != nil && !eof {
		return badCopy("COPY file signature not recognized")
	}
	if eof || string(h[:11]) != binarySignature {
		return badCopy("COPY file signature not recognized")
	}
	if eof, err := c.readFull(h[11:15]); err != nil || eof {
		return badCopy("invalid COPY file header (missing flags)")
	}
	flags := binary.BigEndian.Uint32(h[11:15])
	if flags&(1<<16) != 0 {
		return badCopy("invalid COPY file header (WITH OIDS)")
	}
	if flags>>16 != 0 {
		return badCopy("unrecognized critical flags in COPY file header")
	}
	if eof, err := c.readFull(h[15:19]); err != nil || eof {
		return badCopy("invalid COPY file header (missing length)")
	}
	ext := int32(binary.BigEndian.Uint32(h[15:19]))
	if ext < 0 {
		return badCopy("invalid COPY file header (wrong length)")
	}
	if _, err := c.r.Discard(int(ext)); err != nil {
		return badCopy("invalid COPY file header (wrong length)")
	}
	return nil
}

// Next returns the fields of the next tuple (nil for NULL, each in its
// type's binary send format) and the tuple's raw bytes, field count
// included. Both are valid until the next call. It returns io.EOF at the
// trailer or at the end of the data.
func (c *BinaryCopyReader) Next() (fields [][]byte, raw []byte, err error) {
	if c.done {
		return nil, nil, io.EOF
	}
	if !c.header {
		c.header = true
		if err := c.readHeader(); err != nil {
			c.done = true
			return nil, nil, err
		}
	}
	c.raw = c.raw[:0]
	c.fields = c.fields[:0]
	var cnt [2]byte
	eof, err := c.readFull(cnt[:])
	if err != nil {
		return nil, nil, err
	}
	if eof {
		c.done = true
		return nil, nil, io.EOF
	}
	c.tuple++
	n := int16(binary.BigEndian.Uint16(cnt[:]))
	if n == -1 {
		c.done = true
		// Nothing may follow the trailer.
		if _, err := c.r.ReadByte(); err == nil {
			return nil, nil, badCopy("received copy data after EOF marker")
		} else if err != io.EOF {
			return nil, nil, err
		}
		return nil, nil, io.EOF
	}
	if int(n) != c.ncols {
		return nil, nil, badCopy("row field count is %d, expected %d", n, c.ncols)
	}
	c.raw = append(c.raw, cnt[:]...)
	offs := make([]int, 0, 2*c.ncols)
	for i := 0; i < int(n); i++ {
		var l [4]byte
		if eof, err := c.readFull(l[:]); err != nil || eof {
			if err == nil {
				err = badCopy("unexpected EOF in COPY data")
			}
			return nil, nil, err
		}
		c.raw = append(c.raw, l[:]...)
		size := int32(binary.BigEndian.Uint32(l[:]))
		if size == -1 {
			offs = append(offs, -1, -1)
			continue
		}
		if size < 0 {
			return nil, nil, badCopy("invalid field size")
		}
		if limit := copyRowLimit(c.MaxRow); int64(len(c.raw))+int64(size) > limit {
			return nil, nil, ErrOutOfMemory("a COPY row", limit)
		}
		start := len(c.raw)
		c.raw = append(c.raw, make([]byte, size)...)
		if eof, err := c.readFull(c.raw[start:]); err != nil || eof {
			if err == nil {
				err = badCopy("unexpected EOF in COPY data")
			}
			return nil, nil, err
		}
		offs = append(offs, start, start+int(size))
	}
	// Slice the fields once the tuple has stopped growing.
	for i := 0; i < len(offs); i += 2 {
		if offs[i] < 0 {
			c.fields = append(c.fields, nil)
		} else {
			c.fields = append(c.fields, c.raw[offs[i]:offs[i+1]:offs[i+1]])
		}
	}
	return c.fields, c.raw, nil
}

func badBinary(oid uint32) error {
	return Errorf(InvalidBinaryRepresentation, "incorrect binary data format for type %s", TypeName(oid))
}

// BinaryKeyType reports whether DecodeBinaryKey reads values of type oid.
func BinaryKeyType(oid uint32) bool {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDText, OIDVarchar, OIDBPChar, OIDName, OIDUUID:
		return true
	}
	return false
}

// DecodeBinaryKey decodes a vindex column's value from its type's binary
// send format: int64 for integer types, the text for string types, the
// canonical text for uuid.
func DecodeBinaryKey(oid uint32, b []byte) (any, error) {
	switch oid {
	case OIDInt2:
		if len(b) != 2 {
			return nil, badBinary(oid)
		}
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	case OIDInt4:
		if len(b) != 4 {
			return nil, badBinary(oid)
		}
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case OIDInt8:
		if len(b) != 8 {
			return nil, badBinary(oid)
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	case OIDText, OIDVarchar, OIDBPChar, OIDName:
		return string(b), nil
	case OIDUUID:
		if len(b) != 16 {
			return nil, badBinary(oid)
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
	}
	return nil, Unsupported("COPY BINARY routed by a column of type %s (use an integer, text or uuid column)", TypeName(oid))
}

// AppendBinaryInt appends v in the binary send format of integer type oid.
func AppendBinaryInt(buf []byte, oid uint32, v int64) ([]byte, error) {
	switch oid {
	case OIDInt2:
		return binary.BigEndian.AppendUint16(buf, uint16(v)), nil
	case OIDInt4:
		return binary.BigEndian.AppendUint32(buf, uint32(v)), nil
	case OIDInt8:
		return binary.BigEndian.AppendUint64(buf, uint64(v)), nil
	}
	return nil, Unsupported("COPY BINARY into a table whose sequence column has type %s", TypeName(oid))
}

// BinaryDecoder converts values from their types' binary send format to
// Postgres TEXT format.
type BinaryDecoder struct {
	m *pgtype.Map
}

// NewBinaryDecoder returns a decoder knowing Postgres's built-in types.
func NewBinaryDecoder() *BinaryDecoder { return &BinaryDecoder{m: pgtype.NewMap()} }

// Text converts b (in type oid's binary format) to text; nil stays nil.
func (d *BinaryDecoder) Text(oid uint32, b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	switch oid {
	case OIDText, OIDVarchar, OIDBPChar, OIDName, OIDUnknown, OIDJSON:
		// The binary form of these is their text.
		return b, nil
	case OIDJSONB:
		if len(b) == 0 || b[0] != 1 {
			return nil, Errorf(InvalidBinaryRepresentation, "unsupported jsonb version number %d", firstByte(b))
		}
		return b[1:], nil
	case OIDInt2, OIDInt4, OIDInt8:
		v, err := DecodeBinaryKey(oid, b)
		if err != nil {
			return nil, err
		}
		return strconv.AppendInt(nil, v.(int64), 10), nil
	}
	t, ok := d.m.TypeForOID(oid)
	if !ok {
		return nil, Unsupported("COPY BINARY of a value of type %s (OID %d) on this shard", TypeName(oid), oid)
	}
	v, err := t.Codec.DecodeValue(d.m, oid, pgtype.BinaryFormatCode, b)
	if err != nil {
		return nil, Errorf(InvalidBinaryRepresentation, "incorrect binary data format for type %s: %v", TypeName(oid), err)
	}
	out, err := d.m.Encode(oid, pgtype.TextFormatCode, v, nil)
	if err != nil {
		return nil, Errorf(InvalidBinaryRepresentation, "cannot convert binary %s value to text: %v", TypeName(oid), err)
	}
	if out == nil {
		return nil, errors.New("binary value decoded to NULL")
	}
	if bytes.IndexByte(out, 0) >= 0 {
		return nil, Errorf(CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	return out, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
