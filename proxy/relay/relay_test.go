package relay

import "testing"

// TestGateCommand: the gate answers its own commands, every other Query
// passes through.
func TestGateCommand(t *testing.T) {
	for q, want := range map[string]bool{
		"EXPLAIN (ROUTE) SELECT 1":                            true,
		"  explain(route)select 1":                            true,
		"/* a /* nested */ one */ EXPLAIN ( Route, x) SELECT": true,
		"-- comment\nshow vitess_shards":                      true,
		"SHOW VITESS_status;":                                 true,
		"EXPLAIN SELECT 1":                                    false,
		"EXPLAIN (ANALYZE) SELECT 1":                          false,
		"EXPLAIN (routes) SELECT 1":                           false,
		"SHOW vitess_":                                        false,
		"SHOW search_path":                                    false,
		"SELECT 'EXPLAIN (ROUTE)'":                            false,
		"":                                                    false,
		"/* unterminated":                                     false,
	} {
		sql, got := GateCommand([]byte(q + "\x00"))
		if got != want || got && sql != q {
			t.Errorf("GateCommand(%q) = %q, %v", q, sql, got)
		}
	}
}
