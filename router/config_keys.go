package router

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKnownKeys reports the first mapping key in the config document that
// no field of the Config type takes, with its path ("keyspaces.main.tables.
// users") and line. yaml.v3's KnownFields does not reach into types with
// their own UnmarshalYAML (vindexes, lookups) and names no path, so the
// document is walked against the types here; JSON configs are YAML
// documents and are checked the same way.
func checkKnownKeys(doc *yaml.Node) error {
	return checkNode(doc, reflect.TypeFor[Config](), "")
}

func checkNode(n *yaml.Node, t reflect.Type, path string) error {
	n = deref(n)
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = deref(n.Content[0])
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkStruct(n, t, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil // a type error the decoder reports
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkNode(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			if err := checkNode(item, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkStruct checks a mapping against a struct's yaml field names; a
// scalar in a struct's place (a vindex given by name, admin: host:port)
// has no keys.
func checkStruct(n *yaml.Node, t reflect.Type, path string) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			// A merge key (<<: *base): its mapping, or list of them, is
			// part of this one.
			items := []*yaml.Node{deref(v)}
			if items[0].Kind == yaml.SequenceNode {
				items = items[0].Content
			}
			for _, m := range items {
				if err := checkStruct(deref(m), t, path); err != nil {
					return err
				}
			}
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			where := path
			if where == "" {
				where = "top level"
			}
			return fmt.Errorf("%s: unknown key %q (line %d)", where, k.Value, k.Line)
		}
		if err := checkNode(v, ft, join(path, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// yamlFields maps the keys yaml.v3 decodes into t to their field types:
// the tag's name, or the lowercased field name; inline structs' fields too.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
