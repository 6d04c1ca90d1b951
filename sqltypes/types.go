// Package sqltypes holds the values that flow between the wire server, the
// planner and the shards: column descriptions with Postgres type OIDs, rows in
// Postgres text format, and row streams.
package sqltypes

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
)

// Postgres type OIDs the gate knows how to describe, render and compare.
const (
	OIDBool        uint32 = 16
	OIDBytea       uint32 = 17
	OIDName        uint32 = 19
	OIDInt8        uint32 = 20
	OIDInt2        uint32 = 21
	OIDInt4        uint32 = 23
	OIDText        uint32 = 25
	OIDOid         uint32 = 26
	OIDJSON        uint32 = 114
	OIDFloat4      uint32 = 700
	OIDFloat8      uint32 = 701
	OIDUnknown     uint32 = 705
	OIDBPChar      uint32 = 1042
	OIDVarchar     uint32 = 1043
	OIDDate        uint32 = 1082
	OIDTime        uint32 = 1083
	OIDTimestamp   uint32 = 1114
	OIDTimestamptz uint32 = 1184
	OIDInterval    uint32 = 1186
	OIDNumeric     uint32 = 1700
	OIDUUID        uint32 = 2950
	OIDJSONB       uint32 = 3802
)

// Field describes one result column as RowDescription carries it.
type Field struct {
	Name         string
	TableOID     uint32
	TableAttrNum uint16
	OID          uint32
	TypeSize     int16
	TypeMod      int32 // -1 when none
}

// NewField returns a field of the given type with the type's fixed size and
// no type modifier.
func NewField(name string, oid uint32) Field {
	return Field{Name: name, OID: oid, TypeSize: TypeSize(oid), TypeMod: -1}
}

// Row is one result row, each value in Postgres text format; a nil value is
// SQL NULL.
type Row [][]byte

// Rows is a stream of result rows. Next returns io.EOF after the last row;
// Tag is the CommandComplete tag and is valid once Next has returned io.EOF.
// A statement that returns no rows has nil Fields and yields io.EOF at once.
type Rows interface {
	Fields() []Field
	Next(ctx context.Context) (Row, error)
	Tag() string
	Close()
}

// EOF is returned by Rows.Next after the last row.
var EOF = io.EOF

// Buffered is a Rows over rows held in memory.
type Buffered struct {
	Cols    []Field
	Data    []Row
	Command string
	pos     int
}

func (b *Buffered) Fields() []Field { return b.Cols }

func (b *Buffered) Next(ctx context.Context) (Row, error) {
	if b.pos >= len(b.Data) {
		return nil, io.EOF
	}
	r := b.Data[b.pos]
	b.pos++
	return r, nil
}

func (b *Buffered) Tag() string { return b.Command }
func (b *Buffered) Close()      {}

// ReadAll drains a stream into memory and closes it.
// The rows count against ctx's memory budget (WithMemoryLimit).
func ReadAll(ctx context.Context, r Rows) ([]Row, error) {
	return ReadAllHeld(ctx, r, "buffering result rows")
}

// Errorf builds a Postgres error with the given SQLSTATE. Every layer returns
// *pgconn.PgError (possibly wrapped with context); the wire server turns it
// into an ErrorResponse.
func Errorf(code, format string, args ...any) *pgconn.PgError {
	return &pgconn.PgError{Severity: "ERROR", Code: code, Message: fmt.Sprintf(format, args...)}
}

// Unsupported is the 0A000 refusal for a construct the gate cannot run exactly.
func Unsupported(format string, args ...any) *pgconn.PgError {
	return Errorf(FeatureNotSupported, format, args...)
}
