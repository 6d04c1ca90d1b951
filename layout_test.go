package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/dotdo/vitess/"

// forbidden lists, per package, the packages it must not import (README
// "Code map"): imports run one way.
var forbidden = map[string][]string{
	"proxy":     {"planner", "engine", "router", "shards", "sdk", "vtgate", "txn", "metastore", "dialect", "gate"},
	"vtgate":    {"shards", "txn", "metastore", "dialect", "gate"},
	"shards":    {"planner", "vtgate", "proxy", "gate"},
	"txn":       {"planner", "vtgate", "proxy", "shards", "gate"},
	"router":    {"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx/v5/stdlib", "metastore", "engine", "gate"},
	"engine":    {"planner", "vtgate", "proxy", "shards", "txn", "metastore", "gate"},
	"planner":   {"vtgate", "proxy", "shards", "txn", "gate"},
	"sdk":       {"planner", "engine", "router", "shards", "proxy", "vtgate", "sqltypes", "dialect", "txn", "metastore", "gate"},
	"sqltypes":  {"planner", "engine", "router", "shards", "proxy", "vtgate", "gate"},
	"dialect":   {"planner", "engine", "router", "shards", "proxy", "vtgate", "gate"},
	"metastore": {"planner", "engine", "shards", "proxy", "vtgate", "txn", "gate"},
	"gate":      {"gatetest", "e2e"},
	"gatetest":  {"e2e"},
	// the engines know nothing of each other
	"shards/postgres": {"shards/sqlite", "dialect"},
	"shards/sqlite":   {"shards/postgres"},
}

// TestImportsRunOneWay checks the import rules with go list: the
// transitive imports of each package (shards/postgres counts as shards).
func TestImportsRunOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		top, _, _ := strings.Cut(name, "/")
		rules := forbidden[top]
		if name != top {
			rules = append(rules[:len(rules):len(rules)], forbidden[name]...)
		}
		for _, f := range rules {
			if f == top || strings.HasPrefix(name, f+"/") {
				continue
			}
			for _, d := range p.Deps {
				if d == f || d == module+f || strings.HasPrefix(d, module+f+"/") {
					t.Errorf("%s imports %s", name, d)
				}
			}
		}
	}
}

// TestSizes checks that no non-test file is over 700 lines and no
// function over 100, and that the planner holds no operator (no Open
// method on a planner type).
func TestSizes(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		if n := fset.Position(f.End()).Line; n > 700 {
			t.Errorf("%s: %d lines (at most 700)", path, n)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			if n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; n > 100 {
				t.Errorf("%s: func %s is %d lines (at most 100)", path, fd.Name.Name, n)
			}
			if fd.Recv != nil && fd.Name.Name == "Open" && filepath.Dir(path) == "planner" {
				t.Errorf("%s: an operator (Open method) in the planner; operators live in engine", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
