package proxy

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/dotdo/vitess/sqltypes"
)

// runCopy runs stmt through the COPY sub-protocol when it is a COPY FROM
// STDIN or TO STDOUT (handled is false otherwise) and returns its tag.
func (c *conn) runCopy(ctx context.Context, stmt Statement, b *sqltypes.Bound) (tag string, handled bool, err error) {
	cs, ok := stmt.(CopyStatement)
	if !ok {
		return "", false, nil
	}
	isCopy, in, overall, cols := cs.CopyFormat()
	if !isCopy {
		return "", false, nil
	}
	c.copied = true
	if in {
		tag, err = c.copyIn(ctx, cs, b, overall, cols)
	} else {
		tag, err = c.copyOut(ctx, cs, b, overall, cols)
	}
	return tag, true, err
}

// copyIn sends CopyInResponse and feeds the client's CopyData to the
// statement until CopyDone or CopyFail. When the statement fails first,
// the rest of the client's data is read and dropped up to its CopyDone or
// CopyFail, and then the error is reported.
func (c *conn) copyIn(ctx context.Context, cs CopyStatement, b *sqltypes.Bound, overall int16, cols []int16) (string, error) {
	c.send(&pgproto3.CopyInResponse{OverallFormat: byte(overall), ColumnFormatCodes: uint16s(cols)})
	c.flush()
	if c.werr != nil {
		return "", c.werr
	}
	type result struct {
		tag string
		err error
	}
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		var tag string
		var err error
		defer func() {
			// Later CopyData is dropped: writes fail at once.
			pr.CloseWithError(io.ErrClosedPipe)
			done <- result{tag, err}
		}()
		defer sqltypes.CatchPanic("COPY FROM STDIN", &err)
		tag, err = cs.CopyIn(ctx, b, pr)
	}()
	stop := func(err error) result {
		pw.CloseWithError(err)
		return <-done
	}
	for {
		var in inMsg
		select {
		case in = <-c.inbox:
		case <-c.closed:
			stop(io.ErrUnexpectedEOF)
			return "", sqltypes.Errorf(sqltypes.ConnectionFailure, "connection closed during COPY from stdin")
		}
		if in.err != nil {
			stop(io.ErrUnexpectedEOF)
			c.readFailed(in.err)
			c.close()
			return "", sqltypes.Errorf(sqltypes.ConnectionFailure, "unexpected EOF on client connection with an open transaction")
		}
		switch m := in.msg.(type) {
		case *pgproto3.CopyData:
			_, _ = pw.Write(m.Data) // an error means the statement ended: its result says why
		case *pgproto3.CopyDone:
			pw.Close()
			r := <-done
			return r.tag, r.err
		case *pgproto3.CopyFail:
			failed := sqltypes.Errorf(sqltypes.QueryCanceled, "COPY from stdin failed: %s", m.Message)
			stop(failed)
			return "", failed
		case *pgproto3.Flush, *pgproto3.Sync:
			// Ignored during COPY, as Postgres does.
		case *pgproto3.Terminate:
			stop(io.ErrUnexpectedEOF)
			c.close()
			return "", sqltypes.Errorf(sqltypes.ConnectionFailure, "connection terminated during COPY from stdin")
		default:
			err := sqltypes.Errorf(sqltypes.ProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", msgType(m))
			stop(err)
			return "", err
		}
	}
}

// msgType is a frontend message's type byte.
func msgType(m pgproto3.FrontendMessage) byte {
	switch m.(type) {
	case *pgproto3.Query:
		return 'Q'
	case *pgproto3.Parse:
		return 'P'
	case *pgproto3.Bind:
		return 'B'
	case *pgproto3.Describe:
		return 'D'
	case *pgproto3.Execute:
		return 'E'
	case *pgproto3.Close:
		return 'C'
	case *pgproto3.FunctionCall:
		return 'F'
	}
	return '?'
}

// copyWriter sends COPY TO STDOUT data as CopyData messages, the
// CopyOutResponse before the first.
type copyWriter struct {
	c       *conn
	overall int16
	cols    []int16
	started bool
}

func (w *copyWriter) start() {
	if !w.started {
		w.started = true
		w.c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(w.overall), ColumnFormatCodes: uint16s(w.cols)})
	}
}

func (w *copyWriter) Write(p []byte) (int, error) {
	w.start()
	w.c.send(&pgproto3.CopyData{Data: p})
	w.c.outBytes += len(p) + 5
	if w.c.outBytes >= flushThreshold {
		w.c.flush()
	}
	if w.c.werr != nil {
		return 0, fmt.Errorf("client connection: %w", w.c.werr)
	}
	return len(p), nil
}

// copyOut runs COPY TO STDOUT: CopyOutResponse, the data, CopyDone. An
// error before any data is a plain ErrorResponse.
func (c *conn) copyOut(ctx context.Context, cs CopyStatement, b *sqltypes.Bound, overall int16, cols []int16) (string, error) {
	w := &copyWriter{c: c, overall: overall, cols: cols}
	tag, err := cs.CopyOut(ctx, b, w)
	if err != nil {
		return "", err
	}
	w.start()
	c.send(&pgproto3.CopyDone{})
	return tag, nil
}

func uint16s(f []int16) []uint16 {
	out := make([]uint16, len(f))
	for i, v := range f {
		out[i] = uint16(v)
	}
	return out
}
