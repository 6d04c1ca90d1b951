package txn

import "testing"

// TestDatabaseOf: tablets of one Postgres database as different roles
// share it; different databases, servers and SQLite files do not.
func TestDatabaseOf(t *testing.T) {
	a := databaseOf("postgres://app:xxxxx@10.0.0.1:5432/db?sslmode=disable")
	for _, same := range []string{"postgres://postgres@10.0.0.1:5432/db?sslmode=disable", "postgres://10.0.0.1:5432/db?sslmode=disable&user=x"} {
		if databaseOf(same) != a {
			t.Errorf("%s: %s, want %s", same, databaseOf(same), a)
		}
	}
	for _, other := range []string{"postgres://app@10.0.0.1:5432/db2?sslmode=disable", "postgres://app@10.0.0.2:5432/db?sslmode=disable", "sqlite:/x/db"} {
		if databaseOf(other) == a {
			t.Errorf("%s is the same database as %s", other, a)
		}
	}
	if databaseOf("sqlite:/x/a.db") != "sqlite:/x/a.db" {
		t.Errorf("sqlite: %s", databaseOf("sqlite:/x/a.db"))
	}
}
