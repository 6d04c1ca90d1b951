package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
)

// CopyFrom runs COPY FROM STDIN at the gate: it reads the rows, fills
// sequence columns, routes each row by its vindex column (every shard for
// reference tables) and streams each shard its rows: into the shard's own
// COPY where it has one (Postgres), as batched multi-row INSERTs otherwise
// (SQLite). Outside a client transaction the shards' parts run in shard
// transactions committed together at the end.
type CopyFrom struct {
	Keyspace  *router.Keyspace
	Shards    map[string]Shard
	Table     *router.Table // nil: a table the vschema does not know (unsharded keyspace)
	Name      string
	Columns   []string // the client's columns, in its data's order
	ShardCols []string // Columns plus a sequence column the gate fills
	Opts      sqltypes.CopyOptions
	VCol      int    // index of the vindex column in ShardCols, -1 if none
	VColType  uint32 // its type
	SeqCol    int    // index of the autoIncrement column in ShardCols, -1 if none
	SeqAdded  bool
	Seq       Sequencer
	Freeze    bool
	// Binary is COPY in binary format: tuples go to Postgres shards as the
	// client wrote them (with the sequence's field appended), and are
	// decoded to text for shards without COPY.
	Binary   bool
	ColTypes []uint32 // the types of ShardCols (binary format only)
}

func (op *CopyFrom) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return nil, errCopyProtocol()
}

// InFormat is text (or binary) for every column of the client's list.
func (op *CopyFrom) InFormat() (overall int16, cols []int16) {
	if op.Binary {
		return formats(1, len(op.Columns))
	}
	return formats(0, len(op.Columns))
}

// Explain prints the copy's routing.
func (op *CopyFrom) Explain() *ExplainNode {
	props := []string{"table=" + op.Name, "format=" + op.Opts.Format}
	switch {
	case op.Table != nil && op.Table.Type == router.Sharded:
		props = append(props, fmt.Sprintf("vindex=%s(%s)", op.Table.VindexType, op.Table.VindexColumn()), "shards=by row")
	case op.Table != nil && op.Table.Type == router.Reference:
		props = append(props, "shards=all (reference)")
	default:
		props = append(props, "shards="+op.Keyspace.Shards[0])
	}
	if op.SeqAdded {
		props = append(props, "sequence="+op.Table.AutoIncrement.Sequence+"("+op.Table.AutoIncrement.Column+")")
	}
	props = append(props, "sql="+op.shardSQL())
	return &ExplainNode{Op: "CopyFrom", Props: props}
}

// shardSQL is the COPY each Postgres shard runs (text format with the
// defaults, or binary).
func (op *CopyFrom) shardSQL() string {
	s := "COPY " + sqltypes.QuoteIdent(op.Name) + " (" + QuoteIdents(op.ShardCols) + ") FROM STDIN"
	var with []string
	if op.Binary {
		with = append(with, "FORMAT binary")
	}
	if op.Freeze {
		with = append(with, "FREEZE")
	}
	if len(with) > 0 {
		s += " WITH (" + strings.Join(with, ", ") + ")"
	}
	return s
}

// QuoteIdents is a column list as SQL: each name quoted, separated by
// commas.
func QuoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, c := range names {
		q[i] = sqltypes.QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// copyRun is one execution of a CopyFrom.
type copyRun struct {
	op      *CopyFrom
	ctx     context.Context
	env     Env
	sinks   map[string]copySink
	order   []string
	forward bool // rows go to Postgres shards as the client wrote them
}

// copyRowReader reads the client's COPY data row by row.
type copyRowReader interface {
	Next() (fields [][]byte, raw []byte, err error)
	Line() int
}

// copySink takes one shard's rows: vals are the fields (in COPY text
// form, or binary send form for COPY BINARY), raw the row as the client
// wrote it (a binary tuple with the gate's sequence field added).
type copySink interface {
	write(vals [][]byte, raw []byte) error
	// finish ends the shard's part; abort drops it.
	finish() error
	abort(err error)
}

// CopyIn reads the client's data and loads it.
func (op *CopyFrom) CopyIn(ctx context.Context, env Env, args []any, data io.Reader) (tag string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	run := &copyRun{op: op, ctx: ctx, env: env, sinks: map[string]copySink{}, forward: op.Binary || (op.Opts.IsDefaultText() && !op.SeqAdded)}
	defer func() {
		if err != nil {
			for _, s := range run.order {
				run.sinks[s].abort(err)
			}
		}
	}()
	rd := op.rowReader(ctx, data)
	seq := &copySequence{op: op, chunk: 16}
	vals := make([][]byte, 0, len(op.ShardCols))
	var n int64
	reference := op.Table != nil && op.Table.Type == router.Reference
	if reference {
		for _, s := range op.Keyspace.Shards {
			if _, err := run.sink(s); err != nil {
				return "", err
			}
		}
	}
	for {
		fields, raw, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", copyContext(err, op.Name, rd.Line())
		}
		if err := op.checkFieldCount(fields); err != nil {
			return "", copyContext(err, op.Name, rd.Line())
		}
		vals = append(vals[:0], fields...)
		if op.SeqAdded {
			if vals, raw, err = seq.add(ctx, vals, raw); err != nil {
				return "", err
			}
		}
		if err := run.write(vals, raw, reference, rd.Line()); err != nil {
			return "", err
		}
		n++
	}
	if err := run.finish(); err != nil {
		return "", err
	}
	return "COPY " + strconv.FormatInt(n, 10), nil
}

// rowReader reads the client's data in the copy's format.
func (op *CopyFrom) rowReader(ctx context.Context, data io.Reader) copyRowReader {
	if op.Binary {
		br := sqltypes.NewBinaryCopyReader(data, len(op.Columns))
		br.MaxRow = sqltypes.MemoryLimit(ctx)
		return br
	}
	tr := sqltypes.NewCopyReader(data, op.Opts)
	tr.MaxRow = sqltypes.MemoryLimit(ctx)
	return tr
}

// checkFieldCount refuses a row with fewer or more fields than columns.
func (op *CopyFrom) checkFieldCount(fields [][]byte) error {
	if len(fields) < len(op.Columns) {
		return sqltypes.Errorf(sqltypes.BadCopyFileFormat, "missing data for column \"%s\"", op.Columns[len(fields)])
	}
	if len(fields) > len(op.Columns) {
		return sqltypes.Errorf(sqltypes.BadCopyFileFormat, "extra data after last expected column")
	}
	return nil
}

// copySequence fills the sequence column the gate added, taking values
// from the sequence in growing chunks.
type copySequence struct {
	op    *CopyFrom
	buf   []int64
	val   []byte
	chunk int
}

// add appends the next sequence value to the row's fields (and, for
// binary, to the raw tuple).
func (q *copySequence) add(ctx context.Context, vals [][]byte, raw []byte) ([][]byte, []byte, error) {
	op := q.op
	if len(q.buf) == 0 {
		var err error
		if q.buf, err = op.Seq.Next(ctx, op.Table.AutoIncrement.Sequence, q.chunk); err != nil {
			return nil, nil, err
		}
		if q.chunk < 1024 {
			q.chunk *= 4
		}
	}
	if op.Binary {
		var err error
		if q.val, err = sqltypes.AppendBinaryInt(q.val[:0], op.ColTypes[op.SeqCol], q.buf[0]); err != nil {
			return nil, nil, err
		}
		raw = sqltypes.AppendBinaryField(raw, q.val)
	} else {
		q.val = strconv.AppendInt(q.val[:0], q.buf[0], 10)
	}
	vals = append(vals, q.val)
	q.buf = q.buf[1:]
	return vals, raw, nil
}

// write sends a row to every shard of a reference table, else to its
// vindex column's shard.
func (r *copyRun) write(vals [][]byte, raw []byte, reference bool, line int) error {
	if reference {
		for _, s := range r.op.Keyspace.Shards {
			if err := r.sinks[s].write(vals, raw); err != nil {
				return err
			}
		}
		return nil
	}
	shard, err := r.op.shardOf(vals)
	if err != nil {
		return copyContext(err, r.op.Name, line)
	}
	sk, err := r.sink(shard)
	if err != nil {
		return err
	}
	return sk.write(vals, raw)
}

// finish ends every shard's part, then commits the shard transactions the
// copy opened itself.
func (r *copyRun) finish() error {
	for _, s := range r.order {
		if err := r.sinks[s].finish(); err != nil {
			return err
		}
	}
	for _, s := range r.order {
		if c, ok := r.sinks[s].(interface{ commit() error }); ok {
			if err := c.commit(); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyContext adds Postgres's "COPY t, line n" context to an error.
func copyContext(err error, table string, line int) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Where == "" {
		cp := *pe
		cp.Where = fmt.Sprintf("COPY %s, line %d", table, line)
		return &cp
	}
	return err
}

// shardOf routes a row by its vindex column.
func (op *CopyFrom) shardOf(vals [][]byte) (string, error) {
	if op.Table == nil || op.Table.Type != router.Sharded {
		return op.Keyspace.Shards[0], nil
	}
	v := vals[op.VCol]
	if v == nil {
		return "", sqltypes.Errorf(sqltypes.NotNullViolation, "null value in column \"%s\" of relation \"%s\" violates not-null constraint (it is the vindex column; rows cannot be routed without it)", op.Table.VindexColumn(), op.Name)
	}
	var key any = string(v)
	if op.Binary {
		var err error
		if key, err = sqltypes.DecodeBinaryKey(op.VColType, v); err != nil {
			return "", err
		}
	}
	return shardForValue(op.Keyspace, op.Table, key, op.VColType)
}

// beginner is a connection that can open a transaction (a tablet or a
// reserved connection; a transaction's own connection cannot).
type beginner interface {
	Begin(ctx context.Context) (Tx, error)
}

// sink returns the shard's sink, opening it (and its transaction) the
// first time.
func (r *copyRun) sink(shard string) (copySink, error) {
	if s, ok := r.sinks[shard]; ok {
		return s, nil
	}
	conn, err := r.env.Conn(r.ctx, shard)
	if err != nil {
		return nil, err
	}
	var own Tx
	if _, inTx := conn.(Tx); !inTx {
		if bg, ok := conn.(beginner); ok {
			tx, err := bg.Begin(r.ctx)
			if err != nil {
				return nil, err
			}
			own, conn = tx, tx
		}
	}
	var s copySink
	if c, ok := conn.(Copier); ok && c.CanCopy() {
		s = newPgSink(r.ctx, c, r.op.shardSQL(), r.forward, r.op.Binary)
	} else {
		s = &insertSink{ctx: r.ctx, conn: conn, op: r.op}
	}
	if own != nil {
		s = &txSink{copySink: s, tx: own, ctx: r.ctx}
	}
	r.sinks[shard] = s
	r.order = append(r.order, shard)
	return s, nil
}

// Inputs is empty: it talks to shards itself.
func (op *CopyFrom) Inputs() []Operator { return nil }
