package sqltypes

import (
	"context"
	"sort"
	"strings"
)

// Settings is a client's session settings (startup parameters and SET),
// an immutable snapshot. Each setting keeps the statement that sets it on a
// Postgres backend: the client's own SET text, or set_config() for startup
// parameters (which Postgres parses like startup values, lists included).
// In transaction pool mode a shard connection is brought to the client's
// settings before it runs the client's statement.
type Settings struct {
	vals map[string]setting
	key  string
}

type setting struct {
	value string // for SHOW at the gate
	stmt  string // SQL that sets it on a backend
}

// NewSettings returns a snapshot of vals (name -> value as a startup
// parameter would give it, e.g. "DateStyle" -> "ISO, MDY").
func NewSettings(vals map[string]string) *Settings {
	s := &Settings{}
	for k, v := range vals {
		s = s.With(k, v, "")
	}
	return s
}

// With returns a copy with name set to value; stmt is the SQL that sets it
// ("" means set_config(name, value, false)).
func (s *Settings) With(name, value, stmt string) *Settings {
	name = strings.ToLower(name)
	if stmt == "" {
		stmt = "SELECT pg_catalog.set_config(" + QuoteLiteral(name) + ", " + QuoteLiteral(value) + ", false)"
	}
	n := s.clone()
	n.vals[name] = setting{value: value, stmt: stmt}
	n.rekey()
	return n
}

// Without returns a copy with name back at its default.
func (s *Settings) Without(name string) *Settings {
	n := s.clone()
	delete(n.vals, strings.ToLower(name))
	n.rekey()
	return n
}

func (s *Settings) clone() *Settings {
	n := &Settings{vals: map[string]setting{}}
	if s != nil {
		for k, v := range s.vals {
			n.vals[k] = v
		}
	}
	return n
}

func (s *Settings) rekey() {
	var b strings.Builder
	for _, n := range s.Names() {
		b.WriteString(s.vals[n].stmt)
		b.WriteByte(0)
	}
	s.key = b.String()
}

// Key identifies the snapshot: equal keys mean equal settings.
func (s *Settings) Key() string {
	if s == nil {
		return ""
	}
	return s.key
}

// Names lists the setting names in order.
func (s *Settings) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.vals))
	for k := range s.vals {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Get returns a setting's value.
func (s *Settings) Get(name string) (string, bool) {
	if s == nil {
		return "", false
	}
	v, ok := s.vals[strings.ToLower(name)]
	return v.value, ok
}

// SQL renders the statements that set every setting, ';'-separated, in
// name order.
func (s *Settings) SQL() string {
	var b strings.Builder
	for _, n := range s.Names() {
		b.WriteString(s.vals[n].stmt)
		b.WriteString(";")
	}
	return b.String()
}

// QuoteLiteral writes s as a SQL string literal.
func QuoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// QuoteIdent writes s as a quoted SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// ctxKey is the context key of the value of type T a context carries:
// the settings, the notice queue, the memory budget.
type ctxKey[T any] struct{}

func withValue[T any](ctx context.Context, v T) context.Context {
	return context.WithValue(ctx, ctxKey[T]{}, v)
}

// valueOf is ctx's value of type T, or T's zero value.
func valueOf[T any](ctx context.Context) T {
	v, _ := ctx.Value(ctxKey[T]{}).(T)
	return v
}

// WithSettings returns a context carrying the client's settings.
func WithSettings(ctx context.Context, s *Settings) context.Context {
	return withValue(ctx, s)
}

// SettingsFrom returns the context's settings, or nil.
func SettingsFrom(ctx context.Context) *Settings { return valueOf[*Settings](ctx) }
