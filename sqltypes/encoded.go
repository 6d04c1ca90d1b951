package sqltypes

// WithFormatsOf returns w, a stream that wraps in, so that it still reports
// in's result formats when in is Encoded (rows already in the client's
// formats): one wrapper instead of an Encoded twin of every Rows wrapper.
func WithFormatsOf(w, in Rows) Rows {
	if e, ok := in.(Encoded); ok {
		return &encodedRows{Rows: w, formats: e.Formats()}
	}
	return w
}

type encodedRows struct {
	Rows
	formats []int16
}

func (e *encodedRows) Formats() []int16 { return e.formats }
