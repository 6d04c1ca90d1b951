package router

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestAdminConfigForms: admin: is an address string or a mapping with
// listen, token and pprof, in YAML and JSON; a misspelt key inside the
// mapping is refused with its place.
func TestAdminConfigForms(t *testing.T) {
	for _, tc := range []struct {
		config string
		want   AdminConfig
	}{
		{"admin: 127.0.0.1:15001\n", AdminConfig{Listen: "127.0.0.1:15001"}},
		{"admin: off\n", AdminConfig{Listen: "off"}},
		{"admin: {listen: 127.0.0.1:15001, token: s3cret, pprof: true}\n", AdminConfig{Listen: "127.0.0.1:15001", Token: "s3cret", Pprof: true}},
		{"admin:\n  token: s3cret\n", AdminConfig{Token: "s3cret"}},
		{`{"admin": "0.0.0.0:15000"}`, AdminConfig{Listen: "0.0.0.0:15000"}},
		{`{"admin": {"listen": "0.0.0.0:15000", "token": "t"}}`, AdminConfig{Listen: "0.0.0.0:15000", Token: "t"}},
	} {
		c, err := ParseConfig([]byte(tc.config))
		if err != nil || c.Admin != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.config, c, err, tc.want)
		}
	}
	for config, want := range map[string]string{
		"admin: {listen: 127.0.0.1:1, tokn: x}\n":    `admin: unknown key "tokn" (line 1)`,
		"admin:\n  listen: x\n  pprof: yes please\n": "cannot unmarshal",
	} {
		if _, err := ParseConfig([]byte(config)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", config, err, want)
		}
	}
	// encoding/json reads both forms too (a Config built by a program).
	for doc, want := range map[string]AdminConfig{
		`{"admin": "127.0.0.1:2"}`:                    {Listen: "127.0.0.1:2"},
		`{"admin": {"listen": "h:1", "pprof": true}}`: {Listen: "h:1", Pprof: true},
	} {
		var c Config
		if err := json.Unmarshal([]byte(doc), &c); err != nil || c.Admin != want {
			t.Errorf("json %s: %+v %v", doc, c.Admin, err)
		}
	}
	// Written back, the address alone stays the string form and a token
	// keeps the mapping; both read back the same.
	for _, a := range []AdminConfig{{Listen: "off"}, {Listen: "127.0.0.1:3", Token: "t", Pprof: true}} {
		out, err := yaml.Marshal(Config{Admin: a})
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(out)
		if err != nil || c.Admin != a {
			t.Errorf("round trip %+v: %s -> %+v %v", a, out, c, err)
		}
	}
}
