package sqltypes

import (
	"bufio"
	"bytes"
	"io"
)

// CopyOptions are the options of a COPY in text or CSV format.
type CopyOptions struct {
	Format    string // "text", "csv" or "binary" (binary: see copybinary.go)
	Delimiter byte
	Null      string
	Header    bool
	// HeaderMatch (HEADER MATCH) checks the header line against Columns.
	HeaderMatch bool
	Columns     []string
	Quote       byte
	Escape      byte
	// ForceQuote quotes these columns' non-NULL values (CSV, COPY TO);
	// ForceQuoteAll quotes every column's.
	ForceQuote    []bool
	ForceQuoteAll bool
}

// DefaultCopyOptions returns Postgres's defaults for a format ("text" or
// "csv").
func DefaultCopyOptions(format string) CopyOptions {
	if format == "csv" {
		return CopyOptions{Format: "csv", Delimiter: ',', Null: "", Quote: '"', Escape: '"'}
	}
	return CopyOptions{Format: "text", Delimiter: '\t', Null: `\N`}
}

// IsDefaultText reports plain text format with the default delimiter and
// NULL string and no header: rows in it can be forwarded as they are.
func (o CopyOptions) IsDefaultText() bool {
	return o.Format == "text" && o.Delimiter == '\t' && o.Null == `\N` && !o.Header
}

func badCopy(format string, args ...any) error { return Errorf(BadCopyFileFormat, format, args...) }

// CopyReader reads the rows of COPY FROM data in text or CSV format.
type CopyReader struct {
	r      *bufio.Reader
	opts   CopyOptions
	line   int
	done   bool
	header bool // the header line is still to skip
	raw    []byte
	field  []byte
	fields [][]byte
	starts []int
	nulls  []bool
	// MaxRow bounds a row's bytes (0: maxCopyRow); a line longer than
	// that is refused as it is read.
	MaxRow int64
}

// NewCopyReader returns a reader of COPY data in opts' format.
func NewCopyReader(r io.Reader, opts CopyOptions) *CopyReader {
	return &CopyReader{r: bufio.NewReaderSize(r, 64<<10), opts: opts, header: opts.Header}
}

// Line is the number of the last line read (for error messages).
func (c *CopyReader) Line() int { return c.line }

// Next returns the fields of the next row (nil for NULL) and the row's raw
// bytes including its line end. Both are valid until the next call. It
// returns io.EOF after the last row or at the end-of-data marker (\.).
func (c *CopyReader) Next() (fields [][]byte, raw []byte, err error) {
	for {
		fields, raw, err = c.next()
		if err != nil {
			return nil, nil, err
		}
		if !c.header {
			return fields, raw, nil
		}
		c.header = false
		if c.opts.HeaderMatch {
			if err := c.matchHeader(fields); err != nil {
				return nil, nil, err
			}
		}
	}
}

func (c *CopyReader) matchHeader(fields [][]byte) error {
	if len(fields) != len(c.opts.Columns) {
		return badCopy("wrong number of fields in header line: got %d, expected %d", len(fields), len(c.opts.Columns))
	}
	for i, f := range fields {
		if f == nil {
			return badCopy("column name mismatch in header line field %d: got null value (\"%s\"), expected \"%s\"", i+1, c.opts.Null, c.opts.Columns[i])
		}
		if string(f) != c.opts.Columns[i] {
			return badCopy("column name mismatch in header line field %d: got \"%s\", expected \"%s\"", i+1, f, c.opts.Columns[i])
		}
	}
	return nil
}

// readLine appends the next physical line (with its '\n') to c.raw.
func (c *CopyReader) readLine() (bool, error) {
	start := len(c.raw)
	for {
		chunk, err := c.r.ReadSlice('\n')
		if limit := copyRowLimit(c.MaxRow); int64(len(c.raw)+len(chunk)) > limit {
			return false, ErrOutOfMemory("a COPY row", limit)
		}
		c.raw = append(c.raw, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(c.raw) == start {
				return false, nil
			}
			c.line++
			return true, nil
		}
		if err != nil {
			return false, err
		}
		c.line++
		return true, nil
	}
}

func (c *CopyReader) next() ([][]byte, []byte, error) {
	if c.done {
		return nil, nil, io.EOF
	}
	c.raw = c.raw[:0]
	ok, err := c.readLine()
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		c.done = true
		return nil, nil, io.EOF
	}
	if isEndMarker(c.raw) {
		c.done = true
		return nil, nil, io.EOF
	}
	if c.opts.Format == "csv" {
		return c.parseCSV()
	}
	return c.parseText()
}

// isEndMarker reports the line \. that ends COPY data.
func isEndMarker(line []byte) bool {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return string(line) == `\.`
}

// body is the line without its line end.
func lineBody(raw []byte) []byte {
	if n := len(raw); n > 0 && raw[n-1] == '\n' {
		raw = raw[:n-1]
		if n := len(raw); n > 0 && raw[n-1] == '\r' {
			raw = raw[:n-1]
		}
	}
	return raw
}

func (c *CopyReader) parseText() ([][]byte, []byte, error) {
	line := lineBody(c.raw)
	if i := bytes.IndexByte(line, '\r'); i >= 0 {
		return nil, nil, badCopy("literal carriage return found in data")
	}
	d := c.opts.Delimiter
	c.field = c.field[:0]
	c.starts = c.starts[:0]
	c.nulls = c.nulls[:0]
	fieldStart := 0 // raw start of the field, in line
	c.starts = append(c.starts, 0)
	emit := func(end int) {
		c.nulls = append(c.nulls, string(line[fieldStart:end]) == c.opts.Null)
	}
	for i := 0; i < len(line); i++ {
		b := line[i]
		if b == d {
			emit(i)
			c.starts = append(c.starts, len(c.field))
			fieldStart = i + 1
			continue
		}
		if b != '\\' {
			c.field = append(c.field, b)
			continue
		}
		i++
		if i >= len(line) {
			// A backslash at the end of the line: Postgres keeps it.
			c.field = append(c.field, '\\')
			break
		}
		e := line[i]
		if u := textUnescape[e]; u != 0 {
			c.field = append(c.field, u)
			continue
		}
		switch e {
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for k := 0; k < 2 && i+1 < len(line) && line[i+1] >= '0' && line[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(line[i]-'0')
			}
			c.field = append(c.field, byte(v))
		case 'x':
			if i+1 < len(line) && isHex(line[i+1]) {
				i++
				v := hexVal(line[i])
				if i+1 < len(line) && isHex(line[i+1]) {
					i++
					v = v*16 + hexVal(line[i])
				}
				c.field = append(c.field, byte(v))
			} else {
				c.field = append(c.field, 'x')
			}
		default:
			c.field = append(c.field, e)
		}
	}
	emit(len(line))
	return c.sliceFields(), c.raw, nil
}

// sliceFields cuts the decoded bytes at the field starts; NULL fields are nil.
func (c *CopyReader) sliceFields() [][]byte {
	c.fields = c.fields[:0]
	for k, s := range c.starts {
		end := len(c.field)
		if k+1 < len(c.starts) {
			end = c.starts[k+1]
		}
		if c.nulls[k] {
			c.fields = append(c.fields, nil)
			continue
		}
		c.fields = append(c.fields, c.field[s:end:end])
	}
	return c.fields
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

func hexVal(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'a' && b <= 'f':
		return int(b-'a') + 10
	}
	return int(b-'A') + 10
}

// parseCSV reads a CSV record (a quoted field may span lines) and splits
// it as Postgres's CopyReadAttributesCSV does.
func (c *CopyReader) parseCSV() ([][]byte, []byte, error) {
	if err := c.readCSVRecord(); err != nil {
		return nil, nil, err
	}
	if err := c.splitCSV(lineBody(c.raw)); err != nil {
		return nil, nil, err
	}
	return c.sliceFields(), c.raw, nil
}

// readCSVRecord extends c.raw with lines until no quoted field is open.
func (c *CopyReader) readCSVRecord() error {
	q, esc := c.opts.Quote, c.opts.Escape
	// As in CopyReadLineCSV, an escape equal to the quote is just a toggle.
	lineEsc := int(esc)
	if esc == q {
		lineEsc = -1
	}
	inQuote, lastEsc := false, false
	for pos := 0; ; {
		for ; pos < len(c.raw); pos++ {
			b := c.raw[pos]
			if inQuote && int(b) == lineEsc {
				lastEsc = !lastEsc
			}
			if b == q && !lastEsc {
				inQuote = !inQuote
			}
			if int(b) != lineEsc {
				lastEsc = false
			}
			if !inQuote && b == '\r' && !(pos+2 == len(c.raw) && c.raw[pos+1] == '\n') {
				return badCopy("unquoted carriage return found in data")
			}
		}
		if !inQuote {
			break
		}
		ok, err := c.readLine()
		if err != nil {
			return err
		}
		if !ok {
			return badCopy("unterminated CSV quoted field")
		}
	}
	return nil
}

// splitCSV decodes line's fields into c.field, c.starts and c.nulls.
func (c *CopyReader) splitCSV(line []byte) error {
	q, esc := c.opts.Quote, c.opts.Escape
	d := c.opts.Delimiter
	c.field = c.field[:0]
	c.starts = c.starts[:0]
	c.nulls = c.nulls[:0]
	pos := 0
	for {
		start, rawStart := len(c.field), pos
		sawQuote, foundDelim := false, false
		end := pos
	field:
		for {
			// Not in quotes.
			for {
				end = pos
				if pos >= len(line) {
					break field
				}
				b := line[pos]
				pos++
				if b == d {
					foundDelim = true
					break field
				}
				if b == q {
					sawQuote = true
					break
				}
				c.field = append(c.field, b)
			}
			// In quotes.
			for {
				if pos >= len(line) {
					return badCopy("unterminated CSV quoted field")
				}
				b := line[pos]
				pos++
				if b == esc && pos < len(line) && (line[pos] == esc || line[pos] == q) {
					c.field = append(c.field, line[pos])
					pos++
					continue
				}
				if b == q {
					break
				}
				c.field = append(c.field, b)
			}
		}
		c.starts = append(c.starts, start)
		c.nulls = append(c.nulls, !sawQuote && string(line[rawStart:end]) == c.opts.Null)
		if !foundDelim {
			break
		}
	}
	return nil
}

// AppendCopyRow appends one row in opts' format (text or CSV), with its
// line end.
func AppendCopyRow(buf []byte, vals [][]byte, opts CopyOptions) []byte {
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, opts.Delimiter)
		}
		if v == nil {
			buf = append(buf, opts.Null...)
			continue
		}
		if opts.Format == "csv" {
			force := opts.ForceQuoteAll || (i < len(opts.ForceQuote) && opts.ForceQuote[i])
			buf = appendCSV(buf, v, opts, force, len(vals) == 1)
		} else {
			buf = appendText(buf, v, opts.Delimiter)
		}
	}
	return append(buf, '\n')
}

// AppendCopyHeader appends the header line of COPY TO.
func AppendCopyHeader(buf []byte, names []string, opts CopyOptions) []byte {
	for i, n := range names {
		if i > 0 {
			buf = append(buf, opts.Delimiter)
		}
		if opts.Format == "csv" {
			buf = appendCSV(buf, []byte(n), opts, false, len(names) == 1)
		} else {
			buf = appendText(buf, []byte(n), opts.Delimiter)
		}
	}
	return append(buf, '\n')
}

// textEscape is the letter COPY text format writes after a backslash for
// a control character, 0 for none; textUnescape reads it back.
var textEscape = [0x20]byte{'\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v'}

var textUnescape = func() (u [256]byte) {
	for c, e := range textEscape {
		if e != 0 {
			u[e] = byte(c)
		}
	}
	return u
}()

// appendText escapes a value as Postgres's CopyAttributeOutText does.
func appendText(buf, v []byte, delim byte) []byte {
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		var esc byte
		switch {
		case c < 0x20:
			if esc = textEscape[c]; esc == 0 {
				if c != delim {
					continue
				}
				esc = c
			}
		case c == '\\' || c == delim:
			esc = c
		default:
			continue
		}
		buf = append(buf, v[start:i]...)
		buf = append(buf, '\\', esc)
		start = i + 1
	}
	return append(buf, v[start:]...)
}

// appendCSV quotes a value as Postgres's CopyAttributeOutCSV does: when it
// is the NULL string, the lone \. of a one-column row, or holds the
// delimiter, the quote, CR or LF.
func appendCSV(buf, v []byte, opts CopyOptions, force, single bool) []byte {
	quote := force || string(v) == opts.Null || (single && string(v) == `\.`)
	if !quote {
		for _, c := range v {
			if c == opts.Delimiter || c == opts.Quote || c == '\n' || c == '\r' {
				quote = true
				break
			}
		}
	}
	if !quote {
		return append(buf, v...)
	}
	buf = append(buf, opts.Quote)
	for _, c := range v {
		if c == opts.Quote || c == opts.Escape {
			buf = append(buf, opts.Escape)
		}
		buf = append(buf, c)
	}
	return append(buf, opts.Quote)
}
