package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5/pgconn"
)

// txSink is a shard's part run in a transaction of its own.
type txSink struct {
	copySink
	tx   Tx
	ctx  context.Context
	done bool
}

func (t *txSink) commit() error {
	t.done = true
	return t.tx.Commit(t.ctx)
}

func (t *txSink) abort(err error) {
	t.copySink.abort(err)
	if !t.done {
		t.done = true
		t.tx.Rollback(context.WithoutCancel(t.ctx))
	}
}

// pgSink streams rows into a shard's COPY FROM STDIN through a pipe.
type pgSink struct {
	pw      *io.PipeWriter
	bw      *bufio.Writer
	forward bool
	binary  bool // a binary COPY: header first, trailer last
	buf     []byte
	opts    sqltypes.CopyOptions
	result  chan error
	err     error
	ended   bool
}

func newPgSink(ctx context.Context, c Copier, sql string, forward, binary bool) *pgSink {
	pr, pw := io.Pipe()
	s := &pgSink{pw: pw, bw: bufio.NewWriterSize(pw, 64<<10), forward: forward, binary: binary, opts: sqltypes.DefaultCopyOptions("text"), result: make(chan error, 1)}
	if binary {
		// Buffered: nothing reaches the pipe before the first flush.
		s.bw.Write(sqltypes.AppendBinaryCopyHeader(nil))
	}
	go func() {
		var err error
		func() {
			defer sqltypes.CatchPanic("COPY to a shard", &err)
			_, err = c.CopyFrom(ctx, sql, pr)
		}()
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.CloseWithError(io.ErrClosedPipe)
		}
		s.result <- err
	}()
	return s
}

func (s *pgSink) wait() error {
	if !s.ended {
		s.ended = true
		s.err = <-s.result
	}
	return s.err
}

func (s *pgSink) write(vals [][]byte, raw []byte) error {
	var err error
	if s.binary {
		_, err = s.bw.Write(raw)
	} else if s.forward {
		_, err = s.bw.Write(raw)
		if err == nil && (len(raw) == 0 || raw[len(raw)-1] != '\n') {
			err = s.bw.WriteByte('\n')
		}
	} else {
		s.buf = sqltypes.AppendCopyRow(s.buf[:0], vals, s.opts)
		_, err = s.bw.Write(s.buf)
	}
	if err != nil {
		// The shard's COPY ended early: its own error says why.
		s.pw.CloseWithError(err)
		if werr := s.wait(); werr != nil {
			return werr
		}
		return err
	}
	return nil
}

func (s *pgSink) finish() error {
	if s.binary {
		s.bw.Write(sqltypes.AppendBinaryCopyTrailer(nil))
	}
	if err := s.bw.Flush(); err != nil {
		s.pw.CloseWithError(err)
		if werr := s.wait(); werr != nil {
			return werr
		}
		return err
	}
	s.pw.Close()
	return s.wait()
}

func (s *pgSink) abort(err error) {
	if s.ended {
		return
	}
	s.pw.CloseWithError(err)
	s.wait()
}

// insertSink loads a shard without COPY (SQLite) with multi-row INSERTs of
// text parameters; the shard converts each to its column's type.
type insertSink struct {
	ctx  context.Context
	conn Conn
	op   *CopyFrom
	rows int
	args []any
	dec  *sqltypes.BinaryDecoder // COPY BINARY: fields to text
}

func (s *insertSink) batch() int {
	n := copyBatchRows
	if m := 30000 / len(s.op.ShardCols); m < n {
		n = m
	}
	if n < 1 {
		n = 1
	}
	return n
}

func (s *insertSink) write(vals [][]byte, raw []byte) error {
	if s.op.Binary && s.dec == nil {
		s.dec = sqltypes.NewBinaryDecoder()
	}
	for i, v := range vals {
		if v != nil && s.op.Binary {
			t, err := s.dec.Text(s.op.ColTypes[i], v)
			if err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) {
					cp := *pe
					cp.Where = fmt.Sprintf("COPY %s, column %s", s.op.Name, s.op.ShardCols[i])
					return &cp
				}
				return err
			}
			v = t
		}
		if v == nil {
			s.args = append(s.args, nil)
		} else {
			s.args = append(s.args, string(v))
		}
	}
	s.rows++
	if s.rows >= s.batch() {
		return s.flush()
	}
	return nil
}

func (s *insertSink) flush() error {
	if s.rows == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(sqltypes.QuoteIdent(s.op.Name))
	b.WriteString(" (")
	b.WriteString(QuoteIdents(s.op.ShardCols))
	b.WriteString(") VALUES ")
	k := 1
	for r := 0; r < s.rows; r++ {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i := range s.op.ShardCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(k))
			k++
		}
		b.WriteByte(')')
	}
	rows, err := s.conn.Query(s.ctx, b.String(), s.args)
	s.rows, s.args = 0, s.args[:0]
	if err != nil {
		return err
	}
	_, err = sqltypes.ReadAll(s.ctx, rows)
	return err
}

func (s *insertSink) finish() error { return s.flush() }

func (s *insertSink) abort(error) {}

// copyBatchRows is how many rows one INSERT carries (fewer for wide
// tables, to stay under SQLite's parameter limit).
const copyBatchRows = 500
