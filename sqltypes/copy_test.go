package sqltypes

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readAllCopy(t *testing.T, data string, opts CopyOptions) ([][]*string, error) {
	t.Helper()
	r := NewCopyReader(strings.NewReader(data), opts)
	var out [][]*string
	for {
		fields, _, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		row := make([]*string, len(fields))
		for i, f := range fields {
			if f != nil {
				s := string(f)
				row[i] = &s
			}
		}
		out = append(out, row)
	}
}

func sp(s string) *string { return &s }

func TestCopyReader(t *testing.T) {
	text := DefaultCopyOptions("text")
	csv := DefaultCopyOptions("csv")
	hdr := csv
	hdr.Header = true
	semi := text
	semi.Delimiter, semi.Null = '|', "NULL"
	cases := []struct {
		name string
		data string
		opts CopyOptions
		want [][]*string
		err  string
	}{
		{"text basic", "1\ta\n2\t\\N\n", text, [][]*string{{sp("1"), sp("a")}, {sp("2"), nil}}, ""},
		{"text escapes", "a\\tb\\nc\\\\d\\r\\b\\f\\v\t\\101\\x41\\x4a\\.\n", text, [][]*string{{sp("a\tb\nc\\d\r\b\f\v"), sp("AAJ.")}}, ""},
		{"text end marker", "1\tx\n\\.\n2\ty\n", text, [][]*string{{sp("1"), sp("x")}}, ""},
		{"text crlf", "1\tx\r\n", text, [][]*string{{sp("1"), sp("x")}}, ""},
		{"text no final newline", "1\tx", text, [][]*string{{sp("1"), sp("x")}}, ""},
		{"text empty vs null", "\t\\N\n", text, [][]*string{{sp(""), nil}}, ""},
		{"text escaped delimiter", "a\\\tb\tc\n", text, [][]*string{{sp("a\tb"), sp("c")}}, ""},
		{"text unicode", "héllo\t世界\n", text, [][]*string{{sp("héllo"), sp("世界")}}, ""},
		{"text other delimiter", "1|NULL|x\n", semi, [][]*string{{sp("1"), nil, sp("x")}}, ""},
		{"text literal CR", "a\rb\n", text, nil, "literal carriage return"},
		{"csv basic", "1,a\n2,\n3,\"\"\n", csv, [][]*string{{sp("1"), sp("a")}, {sp("2"), nil}, {sp("3"), sp("")}}, ""},
		{"csv quotes", "\"a,b\",\"say \"\"hi\"\"\"\n", csv, [][]*string{{sp("a,b"), sp(`say "hi"`)}}, ""},
		{"csv multiline", "1,\"line1\nline2\r\nline3\"\n2,x\n", csv, [][]*string{{sp("1"), sp("line1\nline2\r\nline3")}, {sp("2"), sp("x")}}, ""},
		{"csv header", "id,name\n1,a\n", hdr, [][]*string{{sp("1"), sp("a")}}, ""},
		{"csv end marker", "1,a\n\\.\n", csv, [][]*string{{sp("1"), sp("a")}}, ""},
		{"csv quoted end marker", "\"\\.\"\n", csv, [][]*string{{sp(`\.`)}}, ""},
		{"csv backslash is data", "a\\b,c\n", csv, [][]*string{{sp(`a\b`), sp("c")}}, ""},
		{"csv unterminated", "\"abc\n", csv, nil, "unterminated CSV quoted field"},
		{"csv crlf", "1,a\r\n", csv, [][]*string{{sp("1"), sp("a")}}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAllCopy(t, c.data, c.opts)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %s, want %s", show(got), show(c.want))
			}
		})
	}
}

func show(rows [][]*string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("[")
		for _, v := range r {
			if v == nil {
				b.WriteString("NULL ")
			} else {
				b.WriteString("'" + *v + "' ")
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

func TestAppendCopyRow(t *testing.T) {
	text := DefaultCopyOptions("text")
	csv := DefaultCopyOptions("csv")
	cases := []struct {
		vals [][]byte
		opts CopyOptions
		want string
	}{
		{[][]byte{[]byte("a\tb"), nil, []byte("")}, text, "a\\tb\t\\N\t\n"},
		{[][]byte{[]byte("back\\slash\nnl\rcr\b\f\v\x01")}, text, "back\\\\slash\\nnl\\rcr\\b\\f\\v\x01\n"},
		{[][]byte{[]byte("a,b"), nil, []byte(""), []byte(`q"q`), []byte("x\ny"), []byte("plain")}, csv, "\"a,b\",,\"\",\"q\"\"q\",\"x\ny\",plain\n"},
		{[][]byte{[]byte(`\.`)}, csv, "\"\\.\"\n"},
		{[][]byte{[]byte(`\.`), []byte("x")}, csv, "\\.,x\n"},
		{[][]byte{[]byte("日本")}, text, "日本\n"},
	}
	for _, c := range cases {
		if got := string(AppendCopyRow(nil, c.vals, c.opts)); got != c.want {
			t.Errorf("AppendCopyRow(%q) = %q, want %q", c.vals, got, c.want)
		}
	}
}

func TestCopyRoundTrip(t *testing.T) {
	vals := [][]byte{[]byte(""), nil, []byte(`\N`), []byte("a\tb\\c\nd\re"), []byte(`"quoted", yes`), []byte("ünï"), []byte(`\.`), []byte("\x7f\x01")}
	for _, format := range []string{"text", "csv"} {
		opts := DefaultCopyOptions(format)
		var data []byte
		for _, v := range vals {
			data = AppendCopyRow(data, [][]byte{v, []byte("x")}, opts)
			data = AppendCopyRow(data, [][]byte{v}, DefaultCopyOptions(format))
		}
		r := NewCopyReader(bytes.NewReader(data), opts)
		for i, v := range vals {
			for k, want := range [][][]byte{{v, []byte("x")}, {v}} {
				got, _, err := r.Next()
				if err != nil {
					t.Fatalf("%s row %d/%d: %v", format, i, k, err)
				}
				if !reflect.DeepEqual(got, want) && !(len(got) == len(want) && bytesEqualNull(got, want)) {
					t.Fatalf("%s row %d/%d: got %q, want %q", format, i, k, got, want)
				}
			}
		}
		if _, _, err := r.Next(); err != io.EOF {
			t.Fatalf("%s: want EOF, got %v", format, err)
		}
	}
}

func bytesEqualNull(a, b [][]byte) bool {
	for i := range a {
		if (a[i] == nil) != (b[i] == nil) || !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestCopyReaderRaw(t *testing.T) {
	r := NewCopyReader(strings.NewReader("1\ta\n2\tb\r\n"), DefaultCopyOptions("text"))
	_, raw, _ := r.Next()
	if string(raw) != "1\ta\n" {
		t.Fatalf("raw = %q", raw)
	}
	_, raw, _ = r.Next()
	if string(raw) != "2\tb\r\n" {
		t.Fatalf("raw = %q", raw)
	}
}
