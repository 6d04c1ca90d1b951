package dialect

import pg "github.com/pganalyze/pg_query_go/v6"

// figureName is Postgres's FigureColname: the output name of an unnamed
// target, with its strength (2 = a real name, 1 = a fallback, 0 = none).
func figureName(n *pg.Node) (string, int) {
	if n == nil {
		return "?column?", 0
	}
	switch x := n.Node.(type) {
	case *pg.Node_ColumnRef:
		f := x.ColumnRef.Fields
		if len(f) > 0 {
			if s := f[len(f)-1].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
	case *pg.Node_FuncCall:
		f := x.FuncCall.Funcname
		return f[len(f)-1].GetString_().GetSval(), 2
	case *pg.Node_AExpr:
		if x.AExpr.Kind == pg.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg.Node_TypeCast:
		if name, st := figureName(x.TypeCast.Arg); st > 1 {
			return name, st
		}
		names := x.TypeCast.TypeName.GetNames()
		if len(names) > 0 {
			return names[len(names)-1].GetString_().GetSval(), 1
		}
	case *pg.Node_CaseExpr:
		// the ELSE result's name when it is a real one
		if name, st := figureName(x.CaseExpr.Defresult); st > 1 {
			return name, st
		}
		return "case", 1
	case *pg.Node_AArrayExpr:
		return "array", 2
	case *pg.Node_RowExpr:
		return "row", 2
	case *pg.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg.MinMaxOp_IS_LEAST {
			return "least", 2
		}
		return "greatest", 2
	case *pg.Node_SqlvalueFunction:
		switch x.SqlvalueFunction.Op {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return "current_date", 2
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
			return "current_timestamp", 2
		case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return "localtimestamp", 2
		}
	case *pg.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg.SubLinkType_EXPR_SUBLINK:
			// the subquery's column name, strong even when it is "?column?"
			// (Postgres reads the already analysed subquery's resname)
			if sel := x.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) > 0 {
				rt := sel.TargetList[0].GetResTarget()
				if rt.GetName() != "" {
					return rt.Name, 2
				}
				name, _ := figureName(rt.GetVal())
				return name, 2
			}
		}
	case *pg.Node_CollateClause:
		return figureName(x.CollateClause.Arg)
	}
	return "?column?", 0
}
