// Package e2e holds the end-to-end tests: real gates (gatetest) on SQLite,
// Postgres and mixed shards, driven by real clients.
package e2e

import (
	"testing"

	"github.com/dotdo/vitess/gatetest"
)

func TestMain(m *testing.M) { gatetest.Main(m) }
