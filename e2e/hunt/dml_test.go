package hunt

import (
	"fmt"
	"math/rand"
	"strings"
)

// DML statements (run inside a transaction rolled back on both sides) and
// the hunter's data.

var hKeys = map[string][]string{
	"tenants": {"id"}, "users": {"id", "tenant_id"}, "orders": {"id", "tenant_id"}, "items": {"id"},
	"payments": {"id", "tenant_id"}, "plans": {"code"}, "regions": {"id"}, "uk.settings": {"k"},
}

// genDML makes an INSERT (or upsert), UPDATE or DELETE, or nil when every
// DML feature is off.
func (g *huntGen) genDML() *hDML {
	t := hDMLTables[g.r.Intn(len(hDMLTables))]
	var feats []string
	if !t.sharded() {
		if !g.on("dml_reference", 1) {
			t = hUsers
		} else {
			feats = append(feats, "dml_reference")
			if t == hSettings {
				feats = append(feats, "unsharded")
			}
		}
	}
	rel := &hRel{alias: t.Name[strings.LastIndex(t.Name, ".")+1:], tab: t, cols: t.Cols}
	d := &hDML{Table: t.Name, F: feats}
	switch x := g.r.Float64(); {
	case x < 0.4 && g.on("dml_insert", 1):
		g.genInsert(d, t)
	case x < 0.7 && g.on("dml_update", 1):
		d.Kind = "UPDATE"
		d.F = append(d.F, "dml_update")
		for n := 1 + g.r.Intn(2); n > 0; n-- {
			d.Set = append(d.Set, g.setClause(t))
		}
	case g.on("dml_delete", 1):
		d.Kind = "DELETE"
		d.F = append(d.F, "dml_delete")
	default:
		return nil
	}
	if d.Kind != "INSERT" {
		for n := g.r.Intn(3); n > 0; n-- {
			d.Where = append(d.Where, g.genPred([]*hRel{rel}))
		}
	}
	if g.on("dml_returning", 0.5) {
		if g.r.Intn(2) == 0 {
			d.Returning = []hExpr{{S: "*"}}
		} else {
			for _, c := range t.Cols[:1+g.r.Intn(len(t.Cols))] {
				d.Returning = append(d.Returning, hExpr{S: c.Name})
			}
		}
	}
	return d
}

func (g *huntGen) genInsert(d *hDML, t *hTab) {
	d.Kind = "INSERT"
	d.F = append(d.F, "dml_insert")
	for _, c := range t.Cols {
		d.Cols = append(d.Cols, c.Name)
	}
	for n := 1 + g.r.Intn(3); n > 0; n-- {
		var vals []string
		for _, c := range t.Cols {
			vals = append(vals, g.value(c))
		}
		d.Rows = append(d.Rows, hExpr{S: "(" + strings.Join(vals, ", ") + ")"})
	}
	if g.on("dml_upsert", 0.3) {
		action := "DO NOTHING"
		if c := t.Cols[len(t.Cols)-1]; g.r.Intn(2) == 0 && c.Name != t.VCol {
			action = "DO UPDATE SET " + c.Name + " = EXCLUDED." + c.Name
		}
		d.Conflict = &hExpr{"ON CONFLICT (" + strings.Join(hKeys[t.Name], ", ") + ") " + action, []string{"dml_upsert"}}
	}
}

// value is a literal for column c in an INSERT.
func (g *huntGen) value(c hCol) string {
	if c.Tag == "tenant" {
		return g.pick(hTenantIDs[:len(hTenantIDs)-1])
	}
	if c.Tag != "" && c.Type == "int8" {
		return itoa(1 + g.r.Intn(300))
	}
	if c.Tag == "email" {
		return g.pick(append(hEmails, "NULL", "'new@x.io'"))
	}
	if g.r.Intn(5) == 0 {
		return "NULL"
	}
	switch c.Type {
	case "text":
		return g.pick(hTexts[1:]) // not '', so text keys stay valid
	case "int4":
		return g.pick(hInts)
	case "num":
		return g.pick([]string{"0", "10.50", "-3.25", "999.99"})
	case "float":
		return g.pick([]string{"0.5", "-2.25", "1e10"})
	case "bool":
		return g.pick([]string{"true", "false"})
	case "date":
		return "'2024-02-29'"
	}
	return "NULL"
}

// setClause assigns one column of t; the vindex column only with
// dml_vindex_update (the gate refuses it).
func (g *huntGen) setClause(t *hTab) hExpr {
	c := t.Cols[g.r.Intn(len(t.Cols))]
	if c.Name == t.VCol || (c.Tag != "" && c.Type == "int8") {
		if c.Name == t.VCol && g.on("dml_vindex_update", 0.3) {
			return hExpr{c.Name + " = " + g.pick(hTenantIDs[:5]), []string{"dml_vindex_update"}}
		}
		c = t.Cols[len(t.Cols)-1]
	}
	exprs := map[string][]string{
		"int4": {"X + 1", "NULL", "-X"}, "num": {"X * 2", "NULL", "X + 0.5"}, "text": {"upper(X)", "X || 'x'", "'Zoë'", "NULL"},
		"bool": {"NOT X", "NULL"}, "date": {"X + 1"}, "float": {"X / 2"}, "int8": {"X + 1"},
	}[c.Type]
	return hExpr{S: c.Name + " = " + replaceX(g.pick(exprs), c.Name)}
}

// huntData makes the INSERTs that load the hunter's tables.
func huntData() []string {
	r := rand.New(rand.NewSource(7))
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	maybe := func(s string) string {
		if r.Intn(6) == 0 {
			return "NULL"
		}
		return s
	}
	tenants := []string{"-3", "-1", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "12", "9007199254740993", "9223372036854775807", "-9223372036854775808", "4294967296"}
	orphan := append(append([]string{}, tenants...), "99")
	names := []string{"'Ann'", "'ann'", "'Zoë'", "'東京'", "'O''Brien'", "''", "'BOB'", "'Émile'", "'😀 x'", "'Ann'"}
	var stmts []string
	var rows []string
	for _, id := range tenants {
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s, %s)", id, maybe(pick(names...)), maybe(pick("'pro'", "'free'", "'team'", "'enterprise'", "'Pro'")), maybe(pick("0", "-7", "15", "100", "2147483647")), maybe(fmt.Sprintf("'20%02d-%02d-%02d'", 18+r.Intn(7), 1+r.Intn(12), 1+r.Intn(28)))))
	}
	stmts = append(stmts, "INSERT INTO tenants VALUES "+strings.Join(rows, ", "))
	stmts = append(stmts, huntRows(r, "users", 260, 40, orphan, func(id int, tid string) string {
		email := maybe(pick(fmt.Sprintf("'u%d@x.io'", id), "'dup@x.io'", "'zoë@x.io'"))
		return fmt.Sprintf("(%d, %s, %s, %s, %s, %s, %s, %s)", id, tid, maybe(pick(names...)), email, maybe(pick("0", "17", "42", "-3", "90", "35")), maybe(pick("0.00", "-99999.99", "12345678.90", "10.50", "1.01")), maybe(pick("0.5", "4.25", "-1", "1e-5", "3.14159")), maybe(pick("true", "false")))
	})...)
	stmts = append(stmts, huntRows(r, "orders", 500, 200, orphan, func(id int, tid string) string {
		return fmt.Sprintf("(%d, %s, %s, %s, %s, %s)", id, tid, maybe(fmt.Sprint(1+r.Intn(45))), maybe(fmt.Sprintf("%d.%02d", r.Intn(500)-50, r.Intn(100))), maybe(fmt.Sprint(r.Intn(12)-1)), maybe(pick("'new'", "'paid'", "'shipped'", "'Paid'", "'ünpaid'")))
	})...)
	stmts = append(stmts, huntRows(r, "payments", 200, 150, tenants, func(id int, tid string) string {
		return fmt.Sprintf("(%d, %s, %s, %s)", id, tid, maybe(fmt.Sprintf("%d.%02d", r.Intn(10000)-100, r.Intn(100))), maybe(pick("'card'", "'cash'", "'wire'", "'Card'")))
	})...)
	rows = nil
	itemIDs := []string{"9007199254740993", "-9223372036854775808", "9223372036854775807", "-1"}
	for i := 1; i <= 100; i++ {
		itemIDs = append(itemIDs, fmt.Sprint(i))
	}
	for _, id := range itemIDs {
		rows = append(rows, fmt.Sprintf("(%s, %s, %s, %s, %s)", id, maybe(pick(orphan...)), maybe(pick("'A-1'", "'b-2'", "'Ä-3'", "'sku'")), maybe(fmt.Sprintf("%d.%02d", r.Intn(100), r.Intn(100))), maybe(pick("0.1", "2.5", "-0", "1e300"))))
	}
	stmts = append(stmts, "INSERT INTO items VALUES "+strings.Join(rows, ", "))
	stmts = append(stmts, "INSERT INTO plans VALUES ('pro', 'Pro', 10.00, 5), ('free', NULL, 0, 1), ('team', 'Team ✓', 25.50, NULL), ('Pro', 'PRO upper', 11, 3), ('legacy', 'Legacy', NULL, 2)",
		"INSERT INTO regions VALUES (1, 'EU', 1), (2, 'AM', 3), (3, '東京', NULL), (4, NULL, 9007199254740993), (5, 'AF', -3), (6, 'EU', 3)",
		"INSERT INTO uk.settings VALUES ('a', '1', 1), ('b', NULL, 3), ('c', 'x', NULL), ('Zoë', 'z', 5), ('d', '', -1)")
	return stmts
}

// huntRows makes INSERTs of n rows with ids below maxID, unique per
// (id, tenant), so ids repeat across tenants and shards.
func huntRows(r *rand.Rand, table string, n, maxID int, tenants []string, row func(id int, tid string) string) []string {
	seen := map[string]bool{}
	var stmts, rows []string
	for len(seen) < n {
		id, tid := 1+r.Intn(maxID), tenants[r.Intn(len(tenants))]
		if k := fmt.Sprint(id, "/", tid); !seen[k] {
			seen[k] = true
			rows = append(rows, row(id, tid))
		}
		if len(rows) == 100 || len(seen) == n {
			stmts = append(stmts, "INSERT INTO "+table+" VALUES "+strings.Join(rows, ", "))
			rows = nil
		}
	}
	return stmts
}
