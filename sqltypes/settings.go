package sqltypes

import (
	"context"
	"sort"
	"strings"
)

// Settings is a client's session settings (startup parameters and SET),
// an immutable snapshot. In transaction pool mode a shard connection is
// brought to the client's settings before it runs the client's statement.
type Settings struct {
	vals map[string]string
	key  string
}

// NewSettings returns a snapshot of vals (name -> value as SQL text would
// set it, e.g. "DateStyle" -> "ISO, MDY").
func NewSettings(vals map[string]string) *Settings {
	s := &Settings{vals: map[string]string{}}
	names := make([]string, 0, len(vals))
	for k, v := range vals {
		s.vals[strings.ToLower(k)] = v
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(s.vals[n])
		b.WriteByte(0)
	}
	s.key = b.String()
	return s
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
	return v, ok
}

// SQL renders the settings as SET statements (one string, ';'-separated),
// each value quoted as a string literal, which Postgres accepts for every
// setting.
func (s *Settings) SQL() string {
	var b strings.Builder
	for _, n := range s.Names() {
		b.WriteString("SET ")
		b.WriteString(quoteIdent(n))
		b.WriteString(" = ")
		b.WriteString("'" + strings.ReplaceAll(s.vals[n], "'", "''") + "'")
		b.WriteString(";")
	}
	return b.String()
}

func quoteIdent(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == "" {
		return s // plain names, and dotted custom settings (app.user)
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

type settingsKey struct{}

// WithSettings returns a context carrying the client's settings.
func WithSettings(ctx context.Context, s *Settings) context.Context {
	return context.WithValue(ctx, settingsKey{}, s)
}

// SettingsFrom returns the context's settings, or nil.
func SettingsFrom(ctx context.Context) *Settings {
	s, _ := ctx.Value(settingsKey{}).(*Settings)
	return s
}
