package router

import (
	"context"
	"strings"
)

// Registry keeps the tables the gate registers at run time (CREATE TABLE
// through the gate); the metadata store implements it. The vschema reads
// it once at start and writes each change.
type Registry interface {
	LoadTables(ctx context.Context) ([]TableRecord, error)
	SaveTable(ctx context.Context, keyspace string, t Table) error
	DeleteTable(ctx context.Context, keyspace, name string) error
}

// TableRecord is a persisted table registration.
type TableRecord struct {
	Keyspace string
	Table    Table
}

// RedactURL hides a URL's password (messages, the decision log).
func RedactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.Index(u[i+3:], "@"); at >= 0 {
			if c := strings.Index(u[i+3:i+3+at], ":"); c >= 0 {
				return u[:i+3+c] + ":xxxxx" + u[i+3+at:]
			}
		}
	}
	return u
}
