package planner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

// CopyFromOp is the root of a COPY ... FROM STDIN plan: the wire server
// answers CopyInResponse with InFormat and streams the client's CopyData
// into CopyIn.
type CopyFromOp interface {
	Operator
	CopyIn(ctx context.Context, env Env, args []any, data io.Reader) (tag string, err error)
	InFormat() (overall int16, cols []int16)
}

// CopyToOp is the root of a COPY ... TO STDOUT plan: CopyOut writes the
// data, one Write per row, for the wire server to send as CopyData.
type CopyToOp interface {
	Operator
	CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (tag string, err error)
	OutFormat() (overall int16, cols []int16)
}

func errCopyProtocol() error {
	return sqltypes.Errorf("0A000", "COPY FROM STDIN / TO STDOUT must run through the COPY sub-protocol")
}

func formats(overall int16, n int) (int16, []int16) {
	cols := make([]int16, n)
	for i := range cols {
		cols[i] = overall
	}
	return overall, cols
}

// copyOptions reads a COPY statement's options (new and old syntax).
type copyOptions struct {
	sqltypes.CopyOptions
	binary     bool
	freeze     bool
	forceQuote []string // "*" for all
}

func defString(d *pg_query.DefElem) (string, bool) {
	if d.Arg == nil {
		return "", false
	}
	switch {
	case d.Arg.GetString_() != nil:
		return d.Arg.GetString_().Sval, true
	case d.Arg.GetBoolean() != nil:
		if d.Arg.GetBoolean().Boolval {
			return "true", true
		}
		return "false", true
	case d.Arg.GetInteger() != nil:
		return strconv.Itoa(int(d.Arg.GetInteger().Ival)), true
	case d.Arg.GetFloat() != nil:
		return d.Arg.GetFloat().Fval, true
	}
	return "", false
}

func defBool(d *pg_query.DefElem) (bool, error) {
	s, ok := defString(d)
	if !ok {
		return true, nil
	}
	switch strings.ToLower(s) {
	case "true", "on", "1", "yes":
		return true, nil
	case "false", "off", "0", "no":
		return false, nil
	}
	return false, sqltypes.Errorf("22023", "%s requires a Boolean value", d.Defname)
}

func parseCopyOptions(cs *pg_query.CopyStmt) (*copyOptions, error) {
	o := &copyOptions{}
	format := "text"
	var delim, null, quote, escape *string
	seen := map[string]bool{}
	for _, n := range cs.Options {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.Defname)
		if seen[name] {
			return nil, sqltypes.Errorf("42601", "conflicting or redundant options")
		}
		seen[name] = true
		s, _ := defString(d)
		switch name {
		case "format":
			switch f := strings.ToLower(s); f {
			case "text", "csv", "binary":
				format = f
			default:
				return nil, sqltypes.Errorf("22023", "COPY format \"%s\" not recognized", s)
			}
		case "delimiter":
			delim = &s
		case "null":
			null = &s
		case "quote":
			quote = &s
		case "escape":
			escape = &s
		case "header":
			if strings.EqualFold(s, "match") {
				if !cs.IsFrom {
					return nil, sqltypes.Errorf("0A000", "cannot use \"match\" with HEADER in COPY TO")
				}
				o.Header, o.HeaderMatch = true, true
				continue
			}
			b, err := defBool(d)
			if err != nil {
				return nil, err
			}
			o.Header = b
		case "freeze":
			b, err := defBool(d)
			if err != nil {
				return nil, err
			}
			o.freeze = b
		case "encoding":
			switch strings.ToUpper(strings.ReplaceAll(s, "-", "")) {
			case "UTF8", "UNICODE":
			default:
				return nil, unsupported("COPY ENCODING %s: the gate reads and writes COPY data in UTF8 only", s)
			}
		case "force_quote":
			if cs.IsFrom {
				return nil, sqltypes.Errorf("0A000", "COPY FORCE_QUOTE cannot be used with COPY FROM")
			}
			if d.Arg.GetAStar() != nil {
				o.forceQuote = []string{"*"}
			} else {
				o.forceQuote = stringsOf(d.Arg.GetList().GetItems())
			}
		default:
			return nil, unsupported("COPY option %s is not supported by the gate", strings.ToUpper(name))
		}
	}
	o.binary = format == "binary"
	if o.binary {
		format = "text"
	}
	header, match := o.Header, o.HeaderMatch
	o.CopyOptions = sqltypes.DefaultCopyOptions(format)
	o.Header, o.HeaderMatch = header, match
	if o.binary {
		o.Format = "binary"
	}
	if o.binary && (delim != nil || null != nil || quote != nil || escape != nil || o.Header) {
		return nil, sqltypes.Errorf("42601", "cannot specify DELIMITER, NULL, HEADER, QUOTE or ESCAPE in BINARY mode")
	}
	if delim != nil {
		if len(*delim) != 1 {
			return nil, sqltypes.Errorf("0A000", "COPY delimiter must be a single one-byte character")
		}
		o.Delimiter = (*delim)[0]
		if o.Delimiter == '\n' || o.Delimiter == '\r' {
			return nil, sqltypes.Errorf("22023", "COPY delimiter cannot be newline or carriage return")
		}
		if o.Format == "text" && strings.ContainsRune(`\.abcdefghijklmnopqrstuvwxyz0123456789`, rune(o.Delimiter)) {
			return nil, sqltypes.Errorf("22023", "COPY delimiter cannot be \"%s\"", *delim)
		}
	}
	if null != nil {
		if strings.ContainsAny(*null, "\r\n") {
			return nil, sqltypes.Errorf("22023", "COPY null representation cannot use newline or carriage return")
		}
		o.Null = *null
	}
	if quote != nil || escape != nil {
		if o.Format != "csv" {
			return nil, sqltypes.Errorf("0A000", "COPY quote and escape are available only in CSV mode")
		}
		if quote != nil {
			if len(*quote) != 1 {
				return nil, sqltypes.Errorf("0A000", "COPY quote must be a single one-byte character")
			}
			o.Quote = (*quote)[0]
			o.Escape = o.Quote
		}
		if escape != nil {
			if len(*escape) != 1 {
				return nil, sqltypes.Errorf("0A000", "COPY escape must be a single one-byte character")
			}
			o.Escape = (*escape)[0]
		}
	}
	if o.forceQuote != nil && o.Format != "csv" {
		return nil, sqltypes.Errorf("0A000", "COPY FORCE_QUOTE requires CSV mode")
	}
	if o.Format == "csv" && o.Delimiter == o.Quote {
		return nil, sqltypes.Errorf("22023", "COPY delimiter and quote must be different")
	}
	if o.Format != "binary" && strings.IndexByte(o.Null, o.Delimiter) >= 0 {
		return nil, sqltypes.Errorf("22023", "COPY delimiter character must not appear in the NULL specification")
	}
	return o, nil
}

// refuseCopyTarget refuses COPY to or from a server file or a program.
func refuseCopyTarget(cs *pg_query.CopyStmt) error {
	dir := "TO"
	if cs.IsFrom {
		dir = "FROM"
	}
	switch {
	case cs.IsProgram:
		return unsupported("COPY %s PROGRAM is not supported by the gate (the program would run on a shard server); use COPY %s STDIN/STDOUT, e.g. psql's \\copy", dir, dir)
	case cs.Filename != "":
		return unsupported("COPY %s a server file ('%s') is not supported by the gate; use COPY %s STDIN/STDOUT, e.g. psql's \\copy", dir, cs.Filename, dir)
	}
	return nil
}

func (b *builder) copyPlan(n *pg_query.Node) (*Plan, error) {
	if n.GetVacuumStmt() != nil {
		return b.vacuumPlan(n)
	}
	cs := n.GetCopyStmt()
	if err := refuseCopyTarget(cs); err != nil {
		return nil, err
	}
	o, err := parseCopyOptions(cs)
	if err != nil {
		return nil, err
	}
	if o.binary && !cs.IsFrom {
		return nil, unsupported("COPY TO STDOUT in BINARY format on a sharded keyspace: the gate merges rows in text form; use FORMAT text or csv")
	}
	if cs.IsFrom {
		return b.copyFromPlan(cs, o)
	}
	return b.copyToPlan(cs, o)
}

func attNames(cs *pg_query.CopyStmt) []string {
	var cols []string
	for _, a := range cs.Attlist {
		cols = append(cols, stringsOf([]*pg_query.Node{a})...)
	}
	return cols
}

func (b *builder) copyFromPlan(cs *pg_query.CopyStmt, o *copyOptions) (*Plan, error) {
	if cs.Relation == nil {
		return nil, sqltypes.Errorf("42601", "COPY FROM needs a table")
	}
	if cs.WhereClause != nil {
		return nil, unsupported("COPY FROM ... WHERE is not supported by the gate")
	}
	name := cs.Relation.Relname
	t, ok := b.ks.Table(name)
	if !ok && b.ks.Sharded {
		return nil, sqltypes.Errorf("42P01", "relation \"%s\" does not exist", name)
	}
	if ok && len(t.Lookups) > 0 {
		return nil, unsupported("COPY FROM into %s, which has lookup vindexes (use INSERT, or load the rows and then run vitess vindex backfill)", name)
	}
	cols := attNames(cs)
	var colTypes []uint32
	if len(cols) == 0 {
		_, fields, err := b.describe(fmt.Sprintf("SELECT * FROM %s", sqltypes.QuoteIdent(name)))
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			cols = append(cols, f.Name)
			colTypes = append(colTypes, f.OID)
		}
	} else {
		// Let a shard report unknown columns now, as Postgres would.
		list := make([]string, len(cols))
		for i, c := range cols {
			list[i] = sqltypes.QuoteIdent(c)
		}
		_, fields, err := b.describe(fmt.Sprintf("SELECT %s FROM %s", strings.Join(list, ", "), sqltypes.QuoteIdent(name)))
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			colTypes = append(colTypes, f.OID)
		}
	}
	op := &CopyFrom{Keyspace: b.ks, Shards: b.shards, Table: t, Name: name, Columns: cols, VCol: -1, SeqCol: -1, Seq: b.p.Seq, Freeze: o.freeze, Binary: o.binary}
	op.Opts = o.CopyOptions
	op.Opts.Columns = cols
	op.ShardCols = append([]string(nil), cols...)
	if t != nil && t.AutoIncrement != nil {
		if idx := indexOf(cols, t.AutoIncrement.Column); idx >= 0 {
			op.SeqCol = idx
		} else {
			op.ShardCols = append(op.ShardCols, t.AutoIncrement.Column)
			op.SeqCol = len(op.ShardCols) - 1
			op.SeqAdded = true
		}
	}
	if o.binary {
		// Binary fields are decoded (for routing, for shards without COPY)
		// and the sequence's values encoded by the columns' types.
		if len(colTypes) != len(cols) {
			return nil, fmt.Errorf("describe %s: got %d columns for %d", name, len(colTypes), len(cols))
		}
		op.ColTypes = colTypes
		if op.SeqAdded {
			oid, err := b.colType(name, t.AutoIncrement.Column)
			if err != nil {
				return nil, err
			}
			if _, err := sqltypes.AppendBinaryInt(nil, oid, 0); err != nil {
				return nil, err
			}
			op.ColTypes = append(op.ColTypes, oid)
		}
	}
	if t != nil && t.Type == router.Sharded {
		op.VCol = indexOf(op.ShardCols, t.VindexColumn())
		if op.VCol < 0 {
			return nil, sqltypes.Errorf("23502", "COPY into sharded table %s must set its vindex column %s", name, t.VindexColumn())
		}
		var err error
		if op.VColType, err = b.colType(name, t.VindexColumn()); err != nil {
			return nil, err
		}
		if o.binary && !sqltypes.BinaryKeyType(op.VColType) {
			return nil, unsupported("COPY BINARY into %s: routing by its vindex column %s of type %s needs an integer, text or uuid column; use FORMAT text or csv", name, t.VindexColumn(), sqltypes.TypeName(op.VColType))
		}
	}
	typ := "copy_from"
	if t != nil && t.Type == router.Reference {
		typ = "copy_from_reference"
	}
	return &Plan{Type: typ, Root: op, SQL: b.sql}, nil
}

func (b *builder) copyToPlan(cs *pg_query.CopyStmt, o *copyOptions) (*Plan, error) {
	var sql string
	if cs.Query != nil {
		s, err := deparseStmt(cs.Query)
		if err != nil {
			return nil, err
		}
		sql = s
	} else {
		list := "*"
		if cols := attNames(cs); len(cols) > 0 {
			q := make([]string, len(cols))
			for i, c := range cols {
				q[i] = sqltypes.QuoteIdent(c)
			}
			list = strings.Join(q, ", ")
		}
		rel := sqltypes.QuoteIdent(cs.Relation.Relname)
		if cs.Relation.Schemaname != "" {
			rel = sqltypes.QuoteIdent(cs.Relation.Schemaname) + "." + rel
		}
		sql = "SELECT " + list + " FROM " + rel
	}
	sub, err := b.p.build(b.ctx, b.env, b.ks.Name, sql, nil)
	if err != nil {
		return nil, err
	}
	if sub.Kind != KindQuery || sub.Root == nil || sub.Fields == nil {
		return nil, unsupported("COPY (%s) TO STDOUT: the statement returns no rows the gate can copy", sql)
	}
	op := &CopyTo{Sub: sub, Opts: o.CopyOptions, SQL: sql}
	for _, f := range sub.Fields {
		op.Names = append(op.Names, f.Name)
	}
	if len(o.forceQuote) == 1 && o.forceQuote[0] == "*" {
		op.Opts.ForceQuoteAll = true
	} else if len(o.forceQuote) > 0 {
		op.Opts.ForceQuote = make([]bool, len(op.Names))
		for _, c := range o.forceQuote {
			i := indexOf(op.Names, c)
			if i < 0 {
				return nil, sqltypes.Errorf("42P10", "FORCE_QUOTE column \"%s\" not referenced by COPY", c)
			}
			op.Opts.ForceQuote[i] = true
		}
	}
	return &Plan{Type: "copy_to", Root: op, SQL: b.sql}, nil
}

// nativeCopy plans COPY for an unsharded keyspace on Postgres: the
// statement and its data go to the shard as they are (binary included).
func (b *builder) nativeCopy(n *pg_query.Node) (*Plan, error) {
	cs := n.GetCopyStmt()
	if err := refuseCopyTarget(cs); err != nil {
		return nil, err
	}
	o, err := parseCopyOptions(cs)
	if err != nil {
		return nil, err
	}
	var sql string
	switch {
	case cs.Query != nil:
		if sql, err = deparseStmt(cs.Query); err != nil {
			return nil, err
		}
	default:
		list := "*"
		if cols := attNames(cs); len(cols) > 0 {
			q := make([]string, len(cols))
			for i, c := range cols {
				q[i] = sqltypes.QuoteIdent(c)
			}
			list = strings.Join(q, ", ")
		}
		sql = "SELECT " + list + " FROM " + sqltypes.QuoteIdent(cs.Relation.Relname)
		if cs.Relation.Schemaname != "" {
			sql = "SELECT " + list + " FROM " + sqltypes.QuoteIdent(cs.Relation.Schemaname) + "." + sqltypes.QuoteIdent(cs.Relation.Relname)
		}
	}
	_, fields, err := b.describe(sql)
	if err != nil {
		return nil, err
	}
	var overall int16
	if o.binary {
		overall = 1
	}
	f := &copyForward{Keyspace: b.ks, Shards: b.shards, SQL: b.sql, Overall: overall, NCols: len(fields)}
	if cs.IsFrom {
		return &Plan{Type: "unsharded", Root: &CopyForwardIn{f}, SQL: b.sql}, nil
	}
	return &Plan{Type: "unsharded", Root: &CopyForwardOut{f}, SQL: b.sql}, nil
}

// copyForward sends a COPY statement and its data to an unsharded
// keyspace's Postgres shard unchanged.
type copyForward struct {
	Keyspace *router.Keyspace
	Shards   map[string]Shard
	SQL      string
	Overall  int16
	NCols    int
}

func (f *copyForward) copier(ctx context.Context, env Env) (Copier, error) {
	conn, err := env.Conn(ctx, f.Keyspace.Shards[0])
	if err != nil {
		return nil, err
	}
	c, ok := conn.(Copier)
	if !ok || !c.CanCopy() {
		return nil, unsupported("COPY: shard %s cannot run COPY", f.Keyspace.Shards[0])
	}
	return c, nil
}

func (f *copyForward) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return nil, errCopyProtocol()
}

func (f *copyForward) explain(dir string) *ExplainNode {
	return &ExplainNode{Op: "Copy" + dir, Props: []string{"type=unsharded", "keyspace=" + f.Keyspace.Name, "shards=" + f.Keyspace.Shards[0], "sql=" + f.SQL}}
}

// CopyForwardIn is COPY FROM STDIN forwarded to an unsharded Postgres shard.
type CopyForwardIn struct{ *copyForward }

func (f *CopyForwardIn) Explain() *ExplainNode                   { return f.explain("From") }
func (f *CopyForwardIn) InFormat() (overall int16, cols []int16) { return formats(f.Overall, f.NCols) }

// CopyIn streams the client's data to the shard's COPY.
func (f *CopyForwardIn) CopyIn(ctx context.Context, env Env, args []any, data io.Reader) (string, error) {
	c, err := f.copier(ctx, env)
	if err != nil {
		return "", err
	}
	return c.CopyFrom(ctx, f.SQL, data)
}

// CopyForwardOut is COPY TO STDOUT forwarded to an unsharded Postgres shard.
type CopyForwardOut struct{ *copyForward }

func (f *CopyForwardOut) Explain() *ExplainNode { return f.explain("To") }
func (f *CopyForwardOut) OutFormat() (overall int16, cols []int16) {
	return formats(f.Overall, f.NCols)
}

// CopyOut streams the shard's COPY data to w.
func (f *CopyForwardOut) CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (string, error) {
	c, err := f.copier(ctx, env)
	if err != nil {
		return "", err
	}
	return c.CopyTo(ctx, f.SQL, w)
}

// CopyTo runs COPY TO STDOUT at the gate: the rows of a planned SELECT,
// merged exactly as the SELECT would be, written in COPY text or CSV form.
type CopyTo struct {
	Sub   *Plan
	SQL   string
	Opts  sqltypes.CopyOptions
	Names []string
}

func (op *CopyTo) Open(ctx context.Context, env Env, args []any) (sqltypes.Rows, error) {
	return nil, errCopyProtocol()
}

// OutFormat is text for every column.
func (op *CopyTo) OutFormat() (overall int16, cols []int16) { return formats(0, len(op.Names)) }

// Explain prints the copy and the SELECT's plan.
func (op *CopyTo) Explain() *ExplainNode {
	n := &ExplainNode{Op: "CopyTo", Props: []string{"format=" + op.Opts.Format, "plan=" + op.Sub.Type, "sql=" + op.SQL}}
	if op.Sub.Root != nil {
		n.Children = []*ExplainNode{op.Sub.Root.Explain()}
	}
	return n
}

// textEnv hides the client's parameters from the SELECT under a COPY: its
// rows must come back in text.
type textEnv struct{ Env }

func (textEnv) Bound() *sqltypes.Bound { return nil }

// CopyOut writes the header (if asked) and one Write per row.
func (op *CopyTo) CopyOut(ctx context.Context, env Env, args []any, w io.Writer) (string, error) {
	rows, err := op.Sub.Root.Open(ctx, textEnv{env}, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var buf []byte
	if op.Opts.Header {
		buf = sqltypes.AppendCopyHeader(buf[:0], op.Names, op.Opts)
		if _, err := w.Write(buf); err != nil {
			return "", err
		}
	}
	var n int64
	for {
		row, err := rows.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		buf = sqltypes.AppendCopyRow(buf[:0], row, op.Opts)
		if _, err := w.Write(buf); err != nil {
			return "", err
		}
		n++
	}
	return "COPY " + strconv.FormatInt(n, 10), nil
}

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
	Seq       *router.Sequences
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
	q := make([]string, len(op.ShardCols))
	for i, c := range op.ShardCols {
		q[i] = sqltypes.QuoteIdent(c)
	}
	s := "COPY " + sqltypes.QuoteIdent(op.Name) + " (" + strings.Join(q, ", ") + ") FROM STDIN"
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
	var rd copyRowReader
	if op.Binary {
		br := sqltypes.NewBinaryCopyReader(data, len(op.Columns))
		br.MaxRow = sqltypes.MemoryLimit(ctx)
		rd = br
	} else {
		tr := sqltypes.NewCopyReader(data, op.Opts)
		tr.MaxRow = sqltypes.MemoryLimit(ctx)
		rd = tr
	}
	var seqBuf []int64
	var seqVal []byte
	seqChunk := 16
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
		if len(fields) < len(op.Columns) {
			return "", copyContext(sqltypes.Errorf("22P04", "missing data for column \"%s\"", op.Columns[len(fields)]), op.Name, rd.Line())
		}
		if len(fields) > len(op.Columns) {
			return "", copyContext(sqltypes.Errorf("22P04", "extra data after last expected column"), op.Name, rd.Line())
		}
		vals = append(vals[:0], fields...)
		if op.SeqAdded {
			if len(seqBuf) == 0 {
				if seqBuf, err = op.Seq.Next(ctx, op.Table.AutoIncrement.Sequence, seqChunk); err != nil {
					return "", err
				}
				if seqChunk < 1024 {
					seqChunk *= 4
				}
			}
			if op.Binary {
				if seqVal, err = sqltypes.AppendBinaryInt(seqVal[:0], op.ColTypes[op.SeqCol], seqBuf[0]); err != nil {
					return "", err
				}
				raw = sqltypes.AppendBinaryField(raw, seqVal)
			} else {
				seqVal = strconv.AppendInt(seqVal[:0], seqBuf[0], 10)
			}
			vals = append(vals, seqVal)
			seqBuf = seqBuf[1:]
		}
		if reference {
			for _, s := range op.Keyspace.Shards {
				if err := run.sinks[s].write(vals, raw); err != nil {
					return "", err
				}
			}
		} else {
			shard, err := op.shardOf(vals)
			if err != nil {
				return "", copyContext(err, op.Name, rd.Line())
			}
			sk, err := run.sink(shard)
			if err != nil {
				return "", err
			}
			if err := sk.write(vals, raw); err != nil {
				return "", err
			}
		}
		n++
	}
	// Finish every shard's part, then commit the shard transactions the
	// copy opened itself.
	for _, s := range run.order {
		if err := run.sinks[s].finish(); err != nil {
			return "", err
		}
	}
	for _, s := range run.order {
		if c, ok := run.sinks[s].(interface{ commit() error }); ok {
			if err := c.commit(); err != nil {
				return "", err
			}
		}
	}
	return "COPY " + strconv.FormatInt(n, 10), nil
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
		return "", sqltypes.Errorf("23502", "null value in column \"%s\" of relation \"%s\" violates not-null constraint (it is the vindex column; rows cannot be routed without it)", op.Table.VindexColumn(), op.Name)
	}
	var key any = string(v)
	if op.Binary {
		var err error
		if key, err = sqltypes.DecodeBinaryKey(op.VColType, v); err != nil {
			return "", err
		}
	}
	cv, err := CoerceFor(op.Table, key, op.VColType)
	if err != nil {
		return "", err
	}
	return op.Keyspace.ShardForValue(op.Table, cv)
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

// copyBatchRows is how many rows one INSERT carries (fewer for wide
// tables, to stay under SQLite's parameter limit).
const copyBatchRows = 500

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
	for i, c := range s.op.ShardCols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqltypes.QuoteIdent(c))
	}
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
func (s *insertSink) abort(error)   {}

// sessionDescribe describes a statement without parameters on the
// session's own connection when there is a session: inside a transaction
// that holds a lock on the table (TRUNCATE, ALTER) another connection
// would wait for it forever.
func (b *builder) sessionDescribe(sql string) ([]uint32, []sqltypes.Field, error) {
	return b.describeOn(sql, nil)
}
