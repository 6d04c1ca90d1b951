package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// A transaction's BEGIN is deferred to its first statement on the shard
// (pgTx.begin) and sent in the same write as that statement when it takes
// the extended protocol: one round trip for both instead of two.

// sendBegin sends a deferred BEGIN on its own.
func sendBegin(ctx context.Context, b *pgBackend, begin string) error {
	_, err := b.conn.PgConn().Exec(ctx, begin).ReadAll()
	b.after("BEGIN", err)
	return err
}

// stmtSource is a prepared statement's result; p is the pipeline that sent
// the transaction's BEGIN with it, closed when the result is.
type stmtSource struct {
	rr *pgconn.ResultReader
	p  *pgconn.Pipeline
}

func (s *stmtSource) fields() []pgconn.FieldDescription { return s.rr.FieldDescriptions() }

func (s *stmtSource) next() ([][]byte, bool) {
	if s.rr.NextRow() {
		return s.rr.Values(), true
	}
	return nil, false
}

func (s *stmtSource) close() (string, error) {
	tag, err := s.rr.Close()
	if s.p != nil {
		if perr := s.p.Close(); err == nil {
			err = perr
		}
	}
	return tag.String(), err
}

// execStatement runs a prepared statement, after begin (when set) in one
// pipeline: BEGIN, the statement, Sync, in one write.
func execStatement(ctx context.Context, pc *pgconn.PgConn, begin string, sd *pgconn.StatementDescription, vals [][]byte, formats, resultFormats []int16) (*stmtSource, error) {
	if begin == "" {
		return &stmtSource{rr: pc.ExecStatement(ctx, sd, vals, formats, resultFormats)}, nil
	}
	p := pc.StartPipeline(ctx)
	p.SendQueryParams(begin, nil, nil, nil, nil)
	p.SendQueryStatement(sd, vals, formats, resultFormats)
	fail := func(err error) (*stmtSource, error) {
		p.Close() // reads to the Sync, or closes the connection if it cannot
		return nil, err
	}
	if err := p.Sync(); err != nil {
		return fail(err)
	}
	res, err := p.GetResults() // BEGIN's
	if err != nil {
		return fail(fmt.Errorf("%s: %w", begin, err))
	}
	if rr, ok := res.(*pgconn.ResultReader); ok {
		if _, err := rr.Close(); err != nil {
			return fail(fmt.Errorf("%s: %w", begin, err))
		}
	}
	res, err = p.GetResults() // the statement's
	if err != nil {
		return fail(err)
	}
	rr, ok := res.(*pgconn.ResultReader)
	if !ok {
		return fail(fmt.Errorf("pipeline: the statement's result is a %T", res))
	}
	return &stmtSource{rr: rr, p: p}, nil
}
