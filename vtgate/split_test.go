package vtgate

import (
	"reflect"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// The quick path must agree with the parser wherever it answers.
func TestSplitStatements(t *testing.T) {
	for _, q := range []string{
		"SELECT 1", "SELECT 1;", "  SELECT 1 ;  ", "SELECT 'a;b'", `SELECT "x;y" FROM t`, "SELECT 'it''s';",
		"SELECT 1; SELECT 2", "SELECT E'a\\';'", "SELECT $$;$$", "-- c\nSELECT 1", "SELECT /* ; */ 1", "", "   ", ";",
		"UPDATE t SET a = a + $1 WHERE id = $2;", "SELECT $1; SELECT $2", "SELECT $1$$;$$", "SELECT a$1 FROM t; SELECT 2", "SELECT $a$;$a$",
	} {
		got, err := splitStatements(q)
		want, werr := pg_query.SplitWithParser(q, true)
		var wantNonEmpty []string
		for _, s := range want {
			if s != "" {
				wantNonEmpty = append(wantNonEmpty, s)
			}
		}
		var gotNonEmpty []string
		for _, s := range got {
			if s != "" {
				gotNonEmpty = append(gotNonEmpty, s)
			}
		}
		if (err != nil) != (werr != nil) || !reflect.DeepEqual(gotNonEmpty, wantNonEmpty) {
			t.Errorf("%q: got %q %v, want %q %v", q, got, err, want, werr)
		}
	}
}
