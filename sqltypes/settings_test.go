package sqltypes

import "testing"

func TestSettings(t *testing.T) {
	s := NewSettings(map[string]string{"DateStyle": "German", "application_name": "it's"})
	if v, _ := s.Get("datestyle"); v != "German" {
		t.Errorf("get %q", v)
	}
	want := "SELECT pg_catalog.set_config('application_name', 'it''s', false);SELECT pg_catalog.set_config('datestyle', 'German', false);"
	if s.SQL() != want {
		t.Errorf("sql %q", s.SQL())
	}
	s2 := s.With("search_path", "a, b", "SET search_path TO a, b")
	if s2.Key() == s.Key() || s.Key() != NewSettings(map[string]string{"application_name": "it's", "datestyle": "German"}).Key() {
		t.Error("keys")
	}
	if s2.Without("search_path").Key() != s.Key() {
		t.Error("without")
	}
	var nilS *Settings
	if nilS.Key() != "" || nilS.SQL() != "" {
		t.Error("nil settings")
	}
}
