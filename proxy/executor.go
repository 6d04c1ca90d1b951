package proxy

import (
	"context"
	"io"

	"github.com/dotdo/vitess/sqltypes"
)

// StartupInfo is what a client sent in its StartupMessage.
type StartupInfo struct {
	User, Database string
	Params         map[string]string
	// Report is set when the client asked for the gate's own vitess_*
	// ParameterStatus reports (startup parameter vitess_report=on); it is
	// not among Params.
	Report bool
}

// SessionFactory opens the gate-side session for an authenticated client
// (database = keyspace). A returned error (e.g. 3D000 unknown database) is
// sent as ErrorResponse and the connection closed.
type SessionFactory func(ctx context.Context, info StartupInfo) (Session, error)

// Session is one client's gate-side state.
type Session interface {
	// Prepare parses and plans one statement. paramOIDs are the types the
	// client gave in Parse (0 = unspecified), may be shorter than the
	// statement's parameter count.
	Prepare(ctx context.Context, sql string, paramOIDs []uint32) (Statement, error)
	// TxStatus is 'I', 'T' or 'E' for ReadyForQuery.
	TxStatus() byte
	// ParameterStatus returns parameters to report at startup (server_version
	// etc. are added by the server if absent) — and any that changed since
	// last call (e.g. after SET) — return nil if none.
	ParameterStatus() map[string]string
	Close()
}

// SimplePreparer is implemented by sessions that plan simple-protocol
// statements their own way (by the statement with its literals normalized
// away, so that a new constant does not mean a new plan).
// ImplicitTransactor is a session that can run the statements of one
// multi-statement Query message in one transaction, as Postgres does: all
// of them commit, or none.
type ImplicitTransactor interface {
	BeginImplicit(ctx context.Context) error
	EndImplicit(ctx context.Context, commit bool) error
}

type SimplePreparer interface {
	PrepareSimple(ctx context.Context, sql string) (Statement, error)
}

// Statement is a prepared statement.
type Statement interface {
	ParamOIDs() []uint32      // final parameter types (ParameterDescription)
	Fields() []sqltypes.Field // result columns, nil if the statement returns no rows (NoData)
	// Execute runs it. b.Args are decoded per ParamOIDs: nil, int64
	// (int2/4/8), float64 (float4/8), bool, string (text, varchar, numeric,
	// json, uuid, date/time types in text form, unknown), []byte (bytea),
	// time.Time (timestamp/timestamptz/date when sent in binary); b.Raw
	// holds the same parameters as the client sent them. Rows that
	// implement sqltypes.Encoded are already in b.ResultFormats.
	Execute(ctx context.Context, b *sqltypes.Bound) (sqltypes.Rows, error)
}

// CopyStatement is implemented by statements that may be a COPY FROM STDIN
// or TO STDOUT: the wire server then runs the COPY sub-protocol instead of
// Execute.
type CopyStatement interface {
	// CopyFormat reports whether the statement is a COPY (ok), its
	// direction (in: FROM STDIN) and the formats for CopyInResponse or
	// CopyOutResponse.
	CopyFormat() (ok, in bool, overall int16, cols []int16)
	// CopyIn runs COPY FROM STDIN reading the client's data from data
	// (io.EOF at CopyDone; the error of a CopyFail) and returns the tag.
	CopyIn(ctx context.Context, b *sqltypes.Bound, data io.Reader) (string, error)
	// CopyOut runs COPY TO STDOUT, one Write per CopyData message.
	CopyOut(ctx context.Context, b *sqltypes.Bound, w io.Writer) (string, error)
}

// QuerySplitter is a session that splits a Query (or Parse) message's
// string into its statements, since the wire server knows no SQL, and says
// whether several may run in one implicit transaction (not when one of
// them begins or ends a transaction itself). A session without it gets the
// string as one statement.
type QuerySplitter interface {
	SplitQuery(sql string) (parts []string, implicitOK bool, err error)
}
