package planner

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/dotdo/vitess/engine"
	"github.com/dotdo/vitess/pgast"
	"github.com/dotdo/vitess/router"
	"github.com/dotdo/vitess/sqltypes"
)

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
	return false, sqltypes.Errorf(sqltypes.InvalidParameterValue, "%s requires a Boolean value", d.Defname)
}

// copyOptionText holds the options as written, checked once all are read.
type copyOptionText struct {
	format                     string
	delim, null, quote, escape *string
}

func parseCopyOptions(cs *pg_query.CopyStmt) (*copyOptions, error) {
	o := &copyOptions{}
	t := &copyOptionText{format: "text"}
	seen := map[string]bool{}
	for _, n := range cs.Options {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.Defname)
		if seen[name] {
			return nil, sqltypes.Errorf(sqltypes.SyntaxError, "conflicting or redundant options")
		}
		seen[name] = true
		if err := o.read(cs, d, name, t); err != nil {
			return nil, err
		}
	}
	if err := o.settle(t); err != nil {
		return nil, err
	}
	return o, nil
}

// read takes one option: the format and the characters into t, the rest
// into o.
func (o *copyOptions) read(cs *pg_query.CopyStmt, d *pg_query.DefElem, name string, t *copyOptionText) error {
	s, _ := defString(d)
	switch name {
	case "format":
		switch f := strings.ToLower(s); f {
		case "text", "csv", "binary":
			t.format = f
		default:
			return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY format \"%s\" not recognized", s)
		}
	case "delimiter":
		t.delim = &s
	case "null":
		t.null = &s
	case "quote":
		t.quote = &s
	case "escape":
		t.escape = &s
	case "header":
		if strings.EqualFold(s, "match") {
			if !cs.IsFrom {
				return sqltypes.Errorf(sqltypes.FeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
			}
			o.Header, o.HeaderMatch = true, true
			return nil
		}
		b, err := defBool(d)
		if err != nil {
			return err
		}
		o.Header = b
	case "freeze":
		b, err := defBool(d)
		if err != nil {
			return err
		}
		o.freeze = b
	case "encoding":
		switch strings.ToUpper(strings.ReplaceAll(s, "-", "")) {
		case "UTF8", "UNICODE":
		default:
			return unsupported("COPY ENCODING %s: the gate reads and writes COPY data in UTF8 only", s)
		}
	case "force_quote":
		if cs.IsFrom {
			return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY FORCE_QUOTE cannot be used with COPY FROM")
		}
		if d.Arg.GetAStar() != nil {
			o.forceQuote = []string{"*"}
		} else {
			o.forceQuote = pgast.Strings(d.Arg.GetList().GetItems())
		}
	default:
		return unsupported("COPY option %s is not supported by the gate", strings.ToUpper(name))
	}
	return nil
}

// settle starts from the format's defaults, applies the characters given
// and checks that they fit together.
func (o *copyOptions) settle(t *copyOptionText) error {
	format := t.format
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
	if o.binary && (t.delim != nil || t.null != nil || t.quote != nil || t.escape != nil || o.Header) {
		return sqltypes.Errorf(sqltypes.SyntaxError, "cannot specify DELIMITER, NULL, HEADER, QUOTE or ESCAPE in BINARY mode")
	}
	if t.delim != nil {
		delim := *t.delim
		if len(delim) != 1 {
			return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
		}
		o.Delimiter = delim[0]
		if o.Delimiter == '\n' || o.Delimiter == '\r' {
			return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
		}
		if o.Format == "text" && strings.ContainsRune(`\.abcdefghijklmnopqrstuvwxyz0123456789`, rune(o.Delimiter)) {
			return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY delimiter cannot be \"%s\"", delim)
		}
	}
	if t.null != nil {
		if strings.ContainsAny(*t.null, "\r\n") {
			return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
		}
		o.Null = *t.null
	}
	if err := o.settleQuote(t.quote, t.escape); err != nil {
		return err
	}
	if o.forceQuote != nil && o.Format != "csv" {
		return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY FORCE_QUOTE requires CSV mode")
	}
	if o.Format == "csv" && o.Delimiter == o.Quote {
		return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if o.Format != "binary" && strings.IndexByte(o.Null, o.Delimiter) >= 0 {
		return sqltypes.Errorf(sqltypes.InvalidParameterValue, "COPY delimiter character must not appear in the NULL specification")
	}
	return nil
}

// settleQuote applies QUOTE and ESCAPE, which only CSV has; the escape
// defaults to the quote.
func (o *copyOptions) settleQuote(quote, escape *string) error {
	if quote == nil && escape == nil {
		return nil
	}
	if o.Format != "csv" {
		return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY quote and escape are available only in CSV mode")
	}
	if quote != nil {
		if len(*quote) != 1 {
			return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY quote must be a single one-byte character")
		}
		o.Quote = (*quote)[0]
		o.Escape = o.Quote
	}
	if escape != nil {
		if len(*escape) != 1 {
			return sqltypes.Errorf(sqltypes.FeatureNotSupported, "COPY escape must be a single one-byte character")
		}
		o.Escape = (*escape)[0]
	}
	return nil
}

// copyStatement returns a COPY statement and its options, refusing server
// files and programs first.
func copyStatement(n *pg_query.Node) (*pg_query.CopyStmt, *copyOptions, error) {
	cs := n.GetCopyStmt()
	if err := refuseCopyTarget(cs); err != nil {
		return nil, nil, err
	}
	o, err := parseCopyOptions(cs)
	if err != nil {
		return nil, nil, err
	}
	return cs, o, nil
}

// copySource is the query whose rows a COPY TO copies: the statement's
// own, or the listed columns of its table.
func copySource(cs *pg_query.CopyStmt) (string, error) {
	if cs.Query != nil {
		return pgast.Deparse(cs.Query)
	}
	list := "*"
	if cols := attNames(cs); len(cols) > 0 {
		list = engine.QuoteIdents(cols)
	}
	rel := sqltypes.QuoteIdent(cs.Relation.Relname)
	if cs.Relation.Schemaname != "" {
		rel = sqltypes.QuoteIdent(cs.Relation.Schemaname) + "." + rel
	}
	return "SELECT " + list + " FROM " + rel, nil
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

func (b *builder) copyPlan(n *pg_query.Node) (*engine.Plan, error) {
	if n.GetVacuumStmt() != nil {
		return b.vacuumPlan(n)
	}
	cs, o, err := copyStatement(n)
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
		cols = append(cols, pgast.Strings([]*pg_query.Node{a})...)
	}
	return cols
}

func (b *builder) copyFromPlan(cs *pg_query.CopyStmt, o *copyOptions) (*engine.Plan, error) {
	if cs.Relation == nil {
		return nil, sqltypes.Errorf(sqltypes.SyntaxError, "COPY FROM needs a table")
	}
	if cs.WhereClause != nil {
		return nil, unsupported("COPY FROM ... WHERE is not supported by the gate")
	}
	name := cs.Relation.Relname
	t, ok := b.ks.Table(name)
	if !ok && b.ks.Sharded {
		return nil, sqltypes.Errorf(sqltypes.UndefinedTable, "relation \"%s\" does not exist", name)
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
		_, fields, err := b.describe(fmt.Sprintf("SELECT %s FROM %s", engine.QuoteIdents(cols), sqltypes.QuoteIdent(name)))
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			colTypes = append(colTypes, f.OID)
		}
	}
	op := &engine.CopyFrom{Keyspace: b.ks, Shards: b.shards, Table: t, Name: name, Columns: cols, VCol: -1, SeqCol: -1, Seq: b.p.Seq, Freeze: o.freeze, Binary: o.binary}
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
			return nil, sqltypes.Errorf(sqltypes.NotNullViolation, "COPY into sharded table %s must set its vindex column %s", name, t.VindexColumn())
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
	return &engine.Plan{Type: typ, Root: op, SQL: b.sql}, nil
}

func (b *builder) copyToPlan(cs *pg_query.CopyStmt, o *copyOptions) (*engine.Plan, error) {
	sql, err := copySource(cs)
	if err != nil {
		return nil, err
	}
	sub, err := b.p.build(b.ctx, b.env, b.ks.Name, sql, nil)
	if err != nil {
		return nil, err
	}
	if sub.Kind != engine.KindQuery || sub.Root == nil || sub.Fields == nil {
		return nil, unsupported("COPY (%s) TO STDOUT: the statement returns no rows the gate can copy", sql)
	}
	op := &engine.CopyTo{Sub: sub, Opts: o.CopyOptions, SQL: sql}
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
				return nil, sqltypes.Errorf(sqltypes.InvalidColumnReference, "FORCE_QUOTE column \"%s\" not referenced by COPY", c)
			}
			op.Opts.ForceQuote[i] = true
		}
	}
	return &engine.Plan{Type: "copy_to", Root: op, SQL: b.sql}, nil
}

// nativeCopy plans COPY for an unsharded keyspace on Postgres: the
// statement and its data go to the shard as they are (binary included).
func (b *builder) nativeCopy(n *pg_query.Node) (*engine.Plan, error) {
	cs, o, err := copyStatement(n)
	if err != nil {
		return nil, err
	}
	sql, err := copySource(cs)
	if err != nil {
		return nil, err
	}
	_, fields, err := b.describe(sql)
	if err != nil {
		return nil, err
	}
	var overall int16
	if o.binary {
		overall = 1
	}
	f := &engine.CopyForward{Keyspace: b.ks, Shards: b.shards, SQL: b.sql, Overall: overall, NCols: len(fields)}
	if cs.IsFrom {
		return &engine.Plan{Type: "unsharded", Root: &engine.CopyForwardIn{CopyForward: f}, SQL: b.sql}, nil
	}
	return &engine.Plan{Type: "unsharded", Root: &engine.CopyForwardOut{CopyForward: f}, SQL: b.sql}, nil
}

// sessionDescribe describes a statement without parameters on the
// session's own connection when there is a session: inside a transaction
// that holds a lock on the table (TRUNCATE, ALTER) another connection
// would wait for it forever.
func (b *builder) sessionDescribe(sql string) ([]uint32, []sqltypes.Field, error) {
	return b.describeOn(sql, nil)
}
