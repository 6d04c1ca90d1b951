package sqltypes

// WithFormatsOf returns w, a stream that wraps in, so that it still reports
// in's result formats when in is Encoded (rows already in the client's
// formats): one wrapper instead of an Encoded twin of every Rows wrapper.
func WithFormatsOf(w, in Rows) Rows {
	if e, ok := in.(Encoded); ok {
		return WithFormats(w, e.Formats())
	}
	return w
}

// WithFormats marks r as Encoded: its values are already in the client's
// result formats (a shard's rows passed on as the shard sent them).
func WithFormats(r Rows, formats []int16) Rows {
	return &encodedRows{Rows: r, formats: formats}
}

type encodedRows struct {
	Rows
	formats []int16
}

func (e *encodedRows) Formats() []int16 { return e.formats }
