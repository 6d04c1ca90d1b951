package engine

import (
	"fmt"

	"github.com/dotdo/vitess/sqltypes"
)

// SortKey is one ORDER BY key over a column of the operator's rows.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool
	OID        uint32
}

func (k SortKey) String() string {
	s := fmt.Sprintf("$%d", k.Col+1)
	if k.Desc {
		s += " DESC"
	} else {
		s += " ASC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	} else {
		s += " NULLS LAST"
	}
	return s
}

// compareRows orders two rows by keys as Postgres orders them.
func compareRows(a, b sqltypes.Row, keys []SortKey) (int, error) {
	for _, k := range keys {
		x, y := a[k.Col], b[k.Col]
		var c int
		switch {
		case x == nil && y == nil:
			c = 0
		case x == nil:
			c = 1
			if k.NullsFirst {
				c = -1
			}
		case y == nil:
			c = -1
			if k.NullsFirst {
				c = 1
			}
		default:
			var err error
			c, err = sqltypes.Compare(k.OID, x, y)
			if err != nil {
				return 0, err
			}
			if k.Desc {
				c = -c
			}
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

func keysString(keys []SortKey) string {
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += k.String()
	}
	return s
}
