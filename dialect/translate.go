package dialect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// Column is one column of a table on a SQLite shard, with its Postgres type.
type Column struct {
	Name    string
	OID     uint32
	TypeMod int32
	NotNull bool
}

// Catalog tells the translator which tables exist on the shard (for SELECT *
// expansion and result types).
type Catalog interface {
	Table(name string) ([]Column, bool)
}

// Kind classifies a translated statement.
type Kind int

const (
	KindSelect Kind = iota
	KindInsert
	KindUpdate
	KindDelete
	KindDDL
	KindOther // SET, SHOW, RESET, DISCARD, transaction control: handled by the engine
)

// Translation is one Postgres statement rewritten for a SQLite shard.
type Translation struct {
	SQL       string           // one SQLite statement ("" for KindOther)
	Kind      Kind             // what sort of statement it is
	Fields    []sqltypes.Field // result columns; nil when no rows are returned
	Scales    []int            // per result column: display scale of a numeric column (-1 = the value's own)
	ParamOIDs []uint32         // inferred type of $1..$n (0 = unknown)
	Tag       string           // command tag verb
	Table     string           // table affected by DDL/DML (its Postgres name, unqualified)
}

// Translate rewrites exactly one Postgres statement for a SQLite shard.
func Translate(pgSQL string, cat Catalog) (tr *Translation, err error) {
	pgSQL, lerr := sqltypes.PG15Text(pgSQL)
	if lerr != nil {
		return nil, lerr
	}
	if err := sqltypes.CheckDepth(pgSQL); err != nil {
		return nil, err
	}
	res, perr := pg.Parse(pgSQL)
	if perr != nil {
		return nil, sqltypes.Errorf(sqltypes.SyntaxError, "%s", perr.Error())
	}
	if len(res.Stmts) > 1 {
		return nil, sqltypes.Errorf(sqltypes.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	if len(res.Stmts) == 0 || res.Stmts[0].Stmt == nil {
		return &Translation{Kind: KindOther}, nil
	}
	t := &translator{cat: cat}
	defer func() {
		if r := recover(); r != nil {
			te, ok := r.(tErr)
			if !ok {
				panic(r)
			}
			tr, err = nil, te.err
		}
	}()
	out := t.statement(res.Stmts[0].Stmt)
	out.ParamOIDs = t.params
	return out, nil
}

// tErr carries a translation error up through the recursive printer.
type tErr struct{ err error }

func fail(code, format string, args ...any) {
	panic(tErr{sqltypes.Errorf(code, format, args...)})
}

func unsupported(construct string, args ...any) {
	panic(tErr{sqltypes.Unsupported("feature not supported on SQLite shards: "+construct, args...)})
}

// typ is a Postgres type; oid 0 is an untyped literal, NULL or parameter.
// scale is the display scale of a numeric expression whose typmod does not
// fix one (-1 when it is not known at translation time); see dscale.
type typ struct {
	oid   uint32
	mod   int32
	scale int32
}

var unknownT = typ{0, -1, -1}

func mk(oid uint32) typ { return typ{oid, -1, -1} }

// colT is the type of a table column.
func colT(oid uint32, mod int32) typ { return typ{oid, mod, -1} }

// numT is a numeric without typmod whose values have display scale s (-1:
// not known).
func numT(s int) typ { return typ{sqltypes.OIDNumeric, -1, int32(s)} }

// dscale is the display scale (digits after the point) every value of a
// numeric or integer expression has in Postgres, or -1 when it varies or is
// not known.
func (t typ) dscale() int {
	switch t.oid {
	case sqltypes.OIDInt2, sqltypes.OIDInt4, sqltypes.OIDInt8:
		return 0
	case sqltypes.OIDNumeric:
		if s := sqltypes.NumericScale(t.mod); s >= 0 {
			return s
		}
		return int(t.scale)
	}
	return -1
}

// bare is t without typmod or scale: the hint for an operand compared with
// or combined with a value of type t (only assignments coerce to a typmod).
func (t typ) bare() typ { return typ{t.oid, -1, -1} }

// computed is the type of a value computed from one of type t: no typmod
// (a numeric keeps its display scale).
func (t typ) computed() typ {
	if t.oid == sqltypes.OIDNumeric {
		return numT(t.dscale())
	}
	return typ{t.oid, -1, -1}
}

// sameScale is the display scale shared by a and b, or -1.
func sameScale(a, b typ) int {
	if sa := a.dscale(); sa == b.dscale() {
		return sa
	}
	return -1
}

func (t typ) field(name string) sqltypes.Field {
	oid := t.oid
	if oid == 0 || oid == sqltypes.OIDUnknown {
		oid = sqltypes.OIDText
	}
	return sqltypes.Field{Name: name, OID: oid, TypeSize: sqltypes.TypeSize(oid), TypeMod: t.mod}
}

func (t typ) cat() sqltypes.Category {
	if t.oid == 0 {
		return sqltypes.CatOther
	}
	return sqltypes.CategoryOf(t.oid)
}

type translator struct {
	cat    Catalog
	params []uint32
	nsub   int
	exact  map[string]string // exact aggregates: numeric SQL -> TEXT SQL (exactAgg)
	// assigned holds the constants that are values assigned to columns
	assigned map[*pg.A_Const]bool
	// compared holds the constants that are operands of comparisons
	compared map[*pg.A_Const]bool
}

func (t *translator) table(name string) []Column {
	if t.cat != nil {
		if cols, ok := t.cat.Table(name); ok {
			return cols
		}
	}
	fail(sqltypes.UndefinedTable, "relation %q does not exist", name)
	return nil
}

// tableCols are a catalog table's columns with their types.
func (t *translator) tableCols(name string) []col {
	var cols []col
	for _, c := range t.table(name) {
		cols = append(cols, col{c.Name, colT(c.OID, c.TypeMod)})
	}
	return cols
}

func (t *translator) param(n int32, hint typ) string {
	if n < 1 || n > 65535 {
		fail(sqltypes.UndefinedParameter, "there is no parameter $%d", n)
	}
	for int(n) > len(t.params) {
		t.params = append(t.params, 0)
	}
	if t.params[n-1] == 0 && hint.oid != 0 {
		t.params[n-1] = hint.oid
	}
	return "?" + strconv.Itoa(int(n))
}

func (t *translator) paramType(n int32) typ {
	if int(n) <= len(t.params) && t.params[n-1] != 0 {
		return mk(t.params[n-1])
	}
	return unknownT
}

func (t *translator) statement(n *pg.Node) *Translation {
	switch s := n.Node.(type) {
	case *pg.Node_SelectStmt:
		sel := t.selectStmt(s.SelectStmt, nil, true)
		return &Translation{SQL: sel.sql, Kind: KindSelect, Fields: fields(sel.cols), Scales: scales(sel.cols), Tag: "SELECT"}
	case *pg.Node_InsertStmt:
		return t.insert(s.InsertStmt)
	case *pg.Node_UpdateStmt:
		return t.update(s.UpdateStmt)
	case *pg.Node_DeleteStmt:
		return t.delete(s.DeleteStmt)
	case *pg.Node_CreateStmt:
		return t.createTable(s.CreateStmt)
	case *pg.Node_DropStmt:
		return t.drop(s.DropStmt)
	case *pg.Node_AlterTableStmt:
		return t.alterTable(s.AlterTableStmt)
	case *pg.Node_RenameStmt:
		return t.rename(s.RenameStmt)
	case *pg.Node_IndexStmt:
		return t.createIndex(s.IndexStmt)
	case *pg.Node_TruncateStmt:
		return t.truncate(s.TruncateStmt)
	case *pg.Node_VariableSetStmt:
		if s.VariableSetStmt.Kind == pg.VariableSetKind_VAR_RESET || s.VariableSetStmt.Kind == pg.VariableSetKind_VAR_RESET_ALL {
			return &Translation{Kind: KindOther, Tag: "RESET"}
		}
		return &Translation{Kind: KindOther, Tag: "SET"}
	case *pg.Node_VariableShowStmt:
		return &Translation{Kind: KindOther, Tag: "SHOW"}
	case *pg.Node_DiscardStmt:
		return &Translation{Kind: KindOther, Tag: "DISCARD ALL"}
	case *pg.Node_TransactionStmt:
		tags := map[pg.TransactionStmtKind]string{
			pg.TransactionStmtKind_TRANS_STMT_BEGIN: "BEGIN", pg.TransactionStmtKind_TRANS_STMT_START: "START TRANSACTION",
			pg.TransactionStmtKind_TRANS_STMT_COMMIT: "COMMIT", pg.TransactionStmtKind_TRANS_STMT_ROLLBACK: "ROLLBACK",
			pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT: "SAVEPOINT", pg.TransactionStmtKind_TRANS_STMT_RELEASE: "RELEASE",
			pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO: "ROLLBACK",
		}
		tag, ok := tags[s.TransactionStmt.Kind]
		if !ok {
			unsupported("two-phase commit statements")
		}
		return &Translation{Kind: KindOther, Tag: tag}
	}
	unsupported("statement %s", nodeName(n))
	return nil
}

func nodeName(n *pg.Node) string {
	if n == nil || n.Node == nil {
		return "<nil>"
	}
	s := fmt.Sprintf("%T", n.Node)
	return strings.TrimPrefix(s, "*pg_query.Node_")
}

func fields(cols []outCol) []sqltypes.Field {
	fs := make([]sqltypes.Field, len(cols))
	for i, c := range cols {
		fs[i] = c.t.field(c.name)
	}
	return fs
}

func scales(cols []outCol) []int {
	ss := make([]int, len(cols))
	for i, c := range cols {
		ss[i] = -1
		if c.t.oid == sqltypes.OIDNumeric {
			ss[i] = c.t.dscale()
		}
	}
	return ss
}

// ---- scopes ----

type col struct {
	name string
	t    typ
}

// rel is one FROM item visible by name.
type rel struct {
	name   string // alias or table name; "" for an unnamed subquery
	sqlRef string // how to qualify its columns in SQL ("" = unqualified)
	cols   []col
}

// outCol is a result column (or a column a FROM item contributes to *).
type outCol struct {
	sql  string
	name string
	t    typ
	key  string // ORDER BY key when the output column cannot be sorted as printed ("" = by position)
}

type scope struct {
	parent *scope
	rels   []*rel
	merged []outCol   // USING join columns, visible unqualified
	items  [][]outCol // per FROM item, the columns it gives to *
	ctes   map[string][]col
	bare   bool // print column references unqualified (CHECK, index predicates)
}

func (sc *scope) cte(name string) ([]col, bool) {
	for s := sc; s != nil; s = s.parent {
		if c, ok := s.ctes[name]; ok {
			return c, true
		}
	}
	return nil, false
}

func (sc *scope) colSQL(r *rel, c string) string {
	if sc.bare || r.sqlRef == "" {
		return ident(c)
	}
	return r.sqlRef + "." + ident(c)
}

func (t *translator) columnRef(sc *scope, cr *pg.ColumnRef) outCol {
	var names []string
	for _, f := range cr.Fields {
		s, ok := f.Node.(*pg.Node_String_)
		if !ok {
			unsupported("* in this position")
		}
		names = append(names, s.String_.Sval)
	}
	switch len(names) {
	case 1:
		name := names[0]
		for s := sc; s != nil; s = s.parent {
			for _, m := range s.merged {
				if m.name == name {
					return m
				}
			}
			var found *outCol
			for _, r := range s.rels {
				for _, c := range r.cols {
					if c.name == name {
						if found != nil {
							fail(sqltypes.AmbiguousColumn, "column reference %q is ambiguous", name)
						}
						found = &outCol{sql: s.colSQL(r, name), name: name, t: c.t}
					}
				}
			}
			if found != nil {
				return *found
			}
		}
		fail(sqltypes.UndefinedColumn, "column %q does not exist", name)
	case 2:
		for s := sc; s != nil; s = s.parent {
			for _, r := range s.rels {
				if r.name != names[0] {
					continue
				}
				for _, c := range r.cols {
					if c.name == names[1] {
						return outCol{sql: s.colSQL(r, c.name), name: c.name, t: c.t}
					}
				}
				fail(sqltypes.UndefinedColumn, "column %s.%s does not exist", names[0], names[1])
			}
		}
		fail(sqltypes.UndefinedTable, "missing FROM-clause entry for table %q", names[0])
	}
	unsupported("qualified column reference %s", strings.Join(names, "."))
	return outCol{}
}
