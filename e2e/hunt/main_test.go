// Package hunt is the random differential hunter: generated statements
// run through a real gate and on a plain PostgreSQL, compared answer by
// answer.
package hunt

import (
	"testing"

	"github.com/dotdo/vitess/gatetest"
)

func TestMain(m *testing.M) { gatetest.Main(m) }
