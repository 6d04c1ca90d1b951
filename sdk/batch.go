package sdk

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Statement is one statement of a batch.
type Statement struct {
	SQL    string
	Params []any
}

// BatchResult is a batch's outcome: the results of the statements that
// ran, and where it stopped.
type BatchResult struct {
	Results  []ExecuteResult
	Success  bool
	FailedAt int // index of the failed statement, -1 when all succeeded
	Error    error
}

// Batch sends the statements pipelined, in one round trip, and runs them
// in order; it stops at the first failure. Statements are not wrapped in a
// transaction: on the gate each one commits on its own, so those before a
// failure keep their effect (use Transaction for all-or-nothing). A
// keyspace the gate relays to a single PostgreSQL server runs the pipeline
// as PostgreSQL does, in one implicit transaction that a failure rolls
// back.
//
// Each statement is parsed, bound and executed in turn (parameters sent as
// text, their types inferred by the gate), so that a statement that fails
// to parse or plan is reported at its own index, after the ones before it
// ran; preparing them all up front would fail the whole batch at once.
func (c *Client) Batch(ctx context.Context, stmts []Statement) (*BatchResult, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	conn, err := c.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	defer conn.Release()
	var b pgconn.Batch
	var eqb pgx.ExtendedQueryBuilder
	queued := 0
	var encodeErr error
	for i, s := range stmts {
		if err := eqb.Build(conn.Conn().TypeMap(), nil, s.Params); err != nil {
			encodeErr = fmt.Errorf("batch statement %d: %w", i, err)
			break // the ones before it still run, as for any failure
		}
		b.ExecParams(s.SQL, eqb.ParamValues, nil, eqb.ParamFormats, eqb.ResultFormats)
		queued++
	}
	res := &BatchResult{FailedAt: -1}
	if queued > 0 {
		readBatch(conn.Conn().PgConn().ExecBatch(ctx, &b), queued, res)
	}
	if res.Error == nil && encodeErr != nil {
		res.FailedAt, res.Error = queued, wrap(encodeErr)
	}
	res.Success = res.Error == nil
	return res, nil
}

// readBatch reads the results of n pipelined statements into res. After a
// failure the server skips the rest up to the Sync, so the first error
// ends the batch: as a statement's result when it failed running, or as
// the reader's error when it failed earlier (parse, bind, plan).
func readBatch(mrr *pgconn.MultiResultReader, n int, res *BatchResult) {
	for i := 0; i < n && mrr.NextResult(); i++ {
		tag, err := mrr.ResultReader().Close()
		if err != nil {
			res.FailedAt, res.Error = i, wrap(err)
			break
		}
		res.Results = append(res.Results, ExecuteResult{Affected: tag.RowsAffected()})
	}
	err := mrr.Close()
	if res.Error != nil {
		return
	}
	if err == nil && len(res.Results) < n {
		err = fmt.Errorf("batch: %d results for %d statements", len(res.Results), n)
	}
	if err != nil {
		res.FailedAt, res.Error = len(res.Results), wrap(err)
	}
}
