package engine

import (
	"context"
	"io"

	"github.com/dotdo/vitess/sqltypes"
)

// Conn runs Postgres SQL on one shard, inside or outside a transaction. The
// engine behind it translates the SQL to its own dialect when it must.
type Conn interface {
	Query(ctx context.Context, sql string, args []any) (sqltypes.Rows, error)
}

// Shard is one shard's tablet as the planner sees it.
type Shard interface {
	Conn
	Name() string
	// Describe reports a statement's parameter types and result columns
	// without running it (nil fields when it returns no rows).
	Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error)
	// Begin opens a transaction pinned to one backend connection.
	Begin(ctx context.Context) (Tx, error)
	// Reserve takes a backend connection for one client until Release
	// (session pool mode: its session state lives there).
	Reserve(ctx context.Context) (Reserved, error)
}

// EngineKind names the database engine behind a shard.
type EngineKind string

const (
	EnginePostgres EngineKind = "postgres"
	EngineSQLite   EngineKind = "sqlite"
)

// EngineOf asks a shard which engine it runs on; "" when it does not say.
func EngineOf(s Shard) EngineKind {
	e, ok := s.(interface{ Kind() string })
	if !ok {
		return ""
	}
	return EngineKind(e.Kind())
}

// IsPostgresShard reports whether a shard is a PostgreSQL server.
func IsPostgresShard(s Shard) bool { return EngineOf(s) == EnginePostgres }

// Reserved is a backend connection kept for one client.
type Reserved interface {
	Conn
	Begin(ctx context.Context) (Tx, error)
	Release()
}

// ColumnDefaulter is a shard that reports what a table column takes when
// an INSERT leaves it out: its DEFAULT expression, "GENERATED ..." for a
// column the shard computes, "" for NULL.
type ColumnDefaulter interface {
	ColumnDefault(ctx context.Context, table, column string) (string, error)
}

// Describer is a connection that can describe statements itself (a
// session's reserved connection sees its temp tables).
type Describer interface {
	Describe(ctx context.Context, sql string, paramOIDs []uint32) ([]uint32, []sqltypes.Field, error)
}

// Tx is a shard transaction.
type Tx interface {
	Conn
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// RawQuerier is implemented by connections that forward a statement with
// its parameters as the client encoded them and return rows already in the
// client's result formats (sqltypes.Encoded): the Postgres fast path.
type RawQuerier interface {
	QueryRaw(ctx context.Context, sql string, b *sqltypes.Bound) (sqltypes.Rows, error)
	CanQueryRaw() bool
}

// Env is what a running plan needs from the session: the connection to use
// for each shard (a transaction's connection while one is open) and the
// execution's parameters as the client sent them.
type Env interface {
	Conn(ctx context.Context, shard string) (Conn, error)
	Bound() *sqltypes.Bound
}

// Copier is a connection that runs COPY FROM STDIN / TO STDOUT itself (a
// Postgres shard): CopyFrom sends r as the statement's data, CopyTo writes
// the data the shard sends (one Write per CopyData message) to w. Both
// return the command tag.
type Copier interface {
	CopyFrom(ctx context.Context, sql string, r io.Reader) (string, error)
	CopyTo(ctx context.Context, sql string, w io.Writer) (string, error)
	// CanCopy reports whether the engine behind the connection has COPY.
	CanCopy() bool
}

// Preparer is a shard transaction that can take part in an atomic
// multi-shard commit (two-phase commit).
type Preparer interface {
	// Prepare ends phase one under the global id gid. Afterwards the
	// transaction is finished only through the returned Prepared.
	Prepare(ctx context.Context, gid string) (Prepared, error)
}

// Prepared is a transaction after phase one.
type Prepared interface {
	// Redo is what the coordinator must log with its commit decision so
	// that the commit can be finished after a crash of the gate (an
	// embedded engine's transaction dies with the process); nil when the
	// shard keeps the prepared transaction itself, as Postgres does.
	Redo() []byte
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// BeginOptioner is a shard or reserved connection that opens transactions
// with BEGIN's options ("ISOLATION LEVEL SERIALIZABLE READ ONLY").
type BeginOptioner interface {
	BeginWith(ctx context.Context, options string) (Tx, error)
}

// Participant is one shard's transaction in a commit.
type Participant struct {
	Keyspace, Shard string
	Tx              Tx
}

// Savepointer is a shard transaction with savepoints.
type Savepointer interface {
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Release(ctx context.Context, name string) error
}

// ReadBarrier is an Env that keeps multi-shard commits from landing
// between the shard snapshots of one scatter read: Route holds it while
// its shard queries start.
type ReadBarrier interface {
	ReadBarrier() (release func())
}

// DescribeEnv is an Env with its own connection for describing statements:
// describing must not open a transaction on a shard the statement does not
// use.
type DescribeEnv interface {
	DescribeConn(ctx context.Context, shard string) (Conn, error)
}

// InsertIDReporter is an Env told the last id a sequence gave an INSERT's
// rows (the SDK's LastInsertID).
type InsertIDReporter interface {
	ReportInsertID(id int64)
}

// Committer commits the shard transactions of one client transaction
// atomically (two-phase commit when there are several).
type Committer interface {
	Commit(ctx context.Context, parts []Participant) error
}

// Sequencer hands out global sequence ids (metastore.Sequences): n new
// ids of the named sequence, in order.
type Sequencer interface {
	Next(ctx context.Context, name string, n int) ([]int64, error)
}
