package dialect

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/dotdo/vitess/sqltypes"
	"modernc.org/sqlite"
)

// pg_nfit(x, p, s) is x rounded to s decimals for a numeric(p,s), or the
// error Postgres raises when the rounded value needs more than p - s
// integer digits (SQLite would store 12345.6 in a numeric(5,2) column).
func init() {
	registerScalar("pg_nfit", 3, numericFit)
}

func numericFit(fc *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	if args[0] == nil {
		return nil, nil
	}
	p, _ := args[1].(int64)
	s, _ := args[2].(int64)
	v, err := roundNumeric(fc, []driver.Value{args[0], s})
	if err != nil || v == nil {
		return v, err
	}
	d, err := toDecimal(v, -1)
	if err != nil {
		return nil, err
	}
	if d.IsNaN() || d.IsInf() {
		return nil, errors.New("pgerr:22003:numeric field overflow")
	}
	r, ok := new(big.Rat).SetString(d.String())
	limit := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(p-s), nil))
	if ok && new(big.Rat).Abs(r).Cmp(limit) >= 0 {
		return nil, fmt.Errorf("pgerr:22003:numeric field overflow (a field with precision %d, scale %d must round to an absolute value less than 10^%d)", p, s, p-s)
	}
	return v, nil
}

// fitNumeric is SQL that gives e as a numeric(p,s) value.
func fitNumeric(e string, mod int32) string {
	p, s := (mod-4)>>16, sqltypes.NumericScale(mod)
	return "pg_nfit(" + e + ", " + strconv.Itoa(int(p)) + ", " + strconv.Itoa(s) + ")"
}
