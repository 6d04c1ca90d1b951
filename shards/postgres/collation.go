package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// pgCollation caches a Postgres database's default collation.
type pgCollation struct {
	mu       sync.Mutex
	known    bool
	bytewise bool
	name     string
}

// TextOrder reads the database's default collation once. to_jsonb keeps the
// query the same across versions (datlocprovider since 15, daticulocale in
// 15-16, datlocale from 17).
func (e *Engine) TextOrder(ctx context.Context) (bool, string, error) {
	e.coll.mu.Lock()
	defer e.coll.mu.Unlock()
	if e.coll.known {
		return e.coll.bytewise, e.coll.name, nil
	}
	rows, err := e.Query(ctx, "SELECT to_jsonb(d)::text FROM pg_database d WHERE d.datname = current_database()", nil)
	if err != nil {
		return false, "", fmt.Errorf("read the database collation: %w", err)
	}
	defer rows.Close()
	row, err := rows.Next(ctx)
	if err != nil {
		return false, "", fmt.Errorf("read the database collation: %w", err)
	}
	var d map[string]any
	if err := json.Unmarshal(row[0], &d); err != nil {
		return false, "", fmt.Errorf("read the database collation: %w", err)
	}
	e.coll.bytewise, e.coll.name = collationBytewise(d)
	e.coll.known = true
	return e.coll.bytewise, e.coll.name, nil
}

// collationBytewise decides from a pg_database row whether text sorts by
// bytes: libc C/POSIX (and C.UTF-8, which sorts by code point, the UTF-8
// byte order), or the builtin provider's C and C.UTF-8.
func collationBytewise(d map[string]any) (bool, string) {
	str := func(k string) string { s, _ := d[k].(string); return s }
	switch str("datlocprovider") {
	case "i":
		loc := str("daticulocale")
		if loc == "" {
			loc = str("datlocale")
		}
		return false, "ICU " + loc
	case "b":
		loc := str("datlocale")
		return loc == "C" || strings.EqualFold(loc, "C.UTF-8"), "builtin " + loc
	}
	c := str("datcollate")
	switch strings.ToUpper(c) {
	case "C", "POSIX", "C.UTF-8", "C.UTF8":
		return true, c
	}
	return false, c
}
