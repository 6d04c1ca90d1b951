package sqltypes

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var reCode = regexp.MustCompile(`^[0-9A-Z]{5}$`)

func TestSQLStatesTable(t *testing.T) {
	seen := map[string]string{}
	for name, code := range SQLStates {
		if !reCode.MatchString(code) {
			t.Errorf("%s = %q: not 5 characters of [0-9A-Z]", name, code)
		}
		if other, dup := seen[code]; dup {
			t.Errorf("%s and %s share code %s", name, other, code)
		}
		seen[code] = name
	}
	// the map and the const block must list the same names
	src, err := os.ReadFile("sqlstate.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := regexp.MustCompile(`(?m)^\t(\w+)\s+= "([0-9A-Z]{5})"$`).FindAllStringSubmatch(string(src), -1)
	if len(consts) != len(SQLStates) {
		t.Errorf("%d constants but %d entries in SQLStates", len(consts), len(SQLStates))
	}
	for _, m := range consts {
		if SQLStates[m[1]] != m[2] {
			t.Errorf("constant %s = %q missing from SQLStates", m[1], m[2])
		}
	}
}

// Where a SQLSTATE literal appears in the tree: the first argument of an
// error builder, a Code field, a comparison, a named constant, or the
// pgerr:CODE: marker the SQLite functions raise.
var reCodeUse = regexp.MustCompile(`(?:Errorf\(|fail\(|warn\(ctx, |Code\s*(?:==|!=|:|=)\s*|sqlState\(err\)\s*(?:==|!=)\s*|\bcode\w*\s*=\s*)"([0-9A-Z]{5})"|pgerr:([0-9A-Z]{5}):`)

// TestSQLStatesCoverTree checks that every code used anywhere in the
// module's Go files is in the table, so a new code gets a name first.
func TestSQLStatesCoverTree(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("module root not found")
	}
	known := map[string]bool{}
	for _, code := range SQLStates {
		known[code] = true
	}
	used := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		// The server's own code names its codes; tests, the SDK (which
		// imports nothing of the server) and the table itself may spell them.
		named := !strings.HasSuffix(path, "_test.go") && !strings.HasPrefix(rel, "sdk/") && rel != "sqltypes/sqlstate.go"
		for _, m := range reCodeUse.FindAllStringSubmatch(string(src), -1) {
			code := m[1] + m[2]
			used++
			if !known[code] {
				t.Errorf("%s: SQLSTATE %s is not in sqltypes.SQLStates", rel, code)
			} else if named && m[1] != "" {
				t.Errorf("%s: SQLSTATE %q spelled out; use its name from sqltypes/sqlstate.go (scripts/sqlstate-names.sh)", rel, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used == 0 {
		t.Error("found no SQLSTATE literals at all; the pattern is broken")
	}
}

func TestShardError(t *testing.T) {
	base := Errorf(UniqueViolation, "duplicate key")
	err := InShard("-80", base)
	if got, want := err.Error(), "shard -80: ERROR: duplicate key (SQLSTATE 23505)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if ShardOf(err) != "-80" {
		t.Errorf("ShardOf = %q", ShardOf(err))
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is does not reach the wrapped error")
	}
	var se *ShardError
	if !errors.As(err, &se) || se.Err != base {
		t.Error("errors.As does not find the ShardError")
	}
	// the innermost shard wins; nil and untagged errors stay as they are
	if got := ShardOf(InShard("80-", err)); got != "-80" {
		t.Errorf("retagged shard = %q, want -80", got)
	}
	if InShard("-80", nil) != nil {
		t.Error("InShard(nil) is not nil")
	}
	if ShardOf(base) != "" || ShardOf(nil) != "" {
		t.Error("ShardOf of an untagged error is not empty")
	}
	wrapped := errors.Join(errors.New("context"), err)
	if ShardOf(wrapped) != "-80" {
		t.Error("ShardOf does not look through wrapping")
	}
}
