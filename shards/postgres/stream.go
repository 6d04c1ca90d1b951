package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/dotdo/vitess/sqltypes"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// run starts sql on b (held by the caller) and returns its rows; done is
// called once when the statement has finished on the connection (at once
// for a statement whose answer is already complete, else at the stream's
// end or Close), with the command tag and the error as pgx reported it.
//
// begin, when set, is a transaction's deferred BEGIN: it goes to the
// server in the same write as the statement when the statement takes the
// extended protocol (one round trip for both), else on its own first.
func run(ctx context.Context, b *pgBackend, begin, sql string, bnd *sqltypes.Bound, raw bool, done func(tag string, err error)) (sqltypes.Rows, error) {
	if begin != "" && (isCopyStdio(sql) || simpleProtocol(bnd, raw)) {
		if err := sendBegin(ctx, b, begin); err != nil {
			done("", err)
			return nil, pgError(ctx, err)
		}
		begin = ""
	}
	if isCopyStdio(sql) {
		// pgconn's query readers do not speak the COPY sub-protocol: COPY
		// FROM STDIN would wait for data forever and COPY TO STDOUT would
		// drop its rows.
		done("", nil)
		return nil, sqltypes.Unsupported("COPY FROM STDIN / TO STDOUT cannot run as a shard query")
	}
	for attempt := 0; ; attempt++ {
		st, err := start(ctx, b, begin, sql, bnd, raw)
		begin = "" // sent by start, whatever came of it
		if err != nil && isStalePlan(err) {
			b.dropStatement(ctx, sql)
			// Outside a transaction nothing ran: prepare again and retry.
			if attempt == 0 && b.conn.PgConn().TxStatus() == 'I' {
				continue
			}
		}
		if err != nil {
			done("", err)
			return nil, pgError(ctx, err)
		}
		if st.ended {
			done(st.tag, nil)
		} else {
			st.done = done
		}
		if raw {
			return sqltypes.WithFormats(st, bnd.ResultFormats), nil // values as the server sent them
		}
		return st, nil
	}
}

// start sends the statement and reads up to its first row, so that errors
// raised before any row come back from Query itself.
func start(ctx context.Context, b *pgBackend, begin, sql string, bnd *sqltypes.Bound, raw bool) (*pgStream, error) {
	var src rowSource
	var fields []pgconn.FieldDescription
	var sd *pgconn.StatementDescription
	if err := b.oneReading(); err != nil {
		if begin != "" {
			return nil, errors.Join(err, sendBegin(ctx, b, begin))
		}
		return nil, err
	}
	pc := b.conn.PgConn()
	switch {
	case simpleProtocol(bnd, raw):
		// The client's text with the simple protocol, as Postgres would
		// run it (error positions, statements that cannot be prepared).
		mrr := pc.Exec(ctx, sql)
		s := &simpleSource{mrr: mrr}
		if mrr.NextResult() {
			s.rr = mrr.ResultReader()
			fields = s.rr.FieldDescriptions()
		}
		src = s
	default:
		var oids []uint32
		if raw {
			// The client encoded its values for these types; prepare
			// with them so the server reads them alike.
			oids = bnd.ParamOIDs
		}
		var err error
		sd, err = b.statement(ctx, sql, oids)
		if err != nil {
			if begin != "" {
				// The transaction still starts, as it would have before
				// the statement's Parse failed.
				if berr := sendBegin(ctx, b, begin); berr != nil {
					return nil, berr
				}
			}
			return nil, err
		}
		n := len(sd.ParamOIDs)
		if raw {
			vals, formats := bnd.Raw, bnd.ParamFormats
			// Values past the statement's highest $n are not bound.
			if len(vals) > n {
				vals = vals[:n]
				if len(formats) > n {
					formats = formats[:n]
				}
			}
			rs, err := execStatement(ctx, pc, begin, sd, vals, formats, bnd.ResultFormats)
			if err != nil {
				return nil, err
			}
			fields, src = rs.fields(), rs
		} else {
			args := bnd.ArgsOf()
			if len(args) > n {
				args = args[:n]
			}
			if len(args) < n {
				return nil, sqltypes.Errorf(sqltypes.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(args), sd.Name, n)
			}
			var eqb pgx.ExtendedQueryBuilder
			if err := eqb.Build(b.conn.TypeMap(), sd, args); err != nil {
				return nil, sqltypes.Errorf(sqltypes.InvalidTextRepresentation, "%v", err)
			}
			rs, err := execStatement(ctx, pc, begin, sd, eqb.ParamValues, eqb.ParamFormats, textResults)
			if err != nil {
				return nil, err
			}
			fields, src = rs.fields(), rs
		}
	}
	if sd != nil && sd.Fields == nil {
		fields = nil // NoData; the result reader gives an empty slice
	}
	st := &pgStream{ctx: ctx, b: b, sql: sql, src: src, fields: pgFields(fields)}
	if vals, ok := src.next(); ok {
		st.pending = copyRow(vals)
		return st, nil
	}
	tag, err := src.close()
	if err != nil {
		return nil, err
	}
	st.ended, st.tag = true, tag
	return st, nil
}

var textResults = []int16{pgx.TextFormatCode}

func allText(formats []int16) bool {
	for _, f := range formats {
		if f != pgx.TextFormatCode {
			return false
		}
	}
	return true
}

// isStalePlan reports the server's refusal to run a prepared statement whose
// result columns changed (ALTER TABLE, a different search_path).
func isStalePlan(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == sqltypes.FeatureNotSupported && strings.Contains(pgErr.Message, "cached plan must not change result type")
}

// rowSource is one statement's result as pgx reads it.
type rowSource interface {
	// next returns the next row's values (valid until the next call).
	next() ([][]byte, bool)
	// close reads the rest and returns the command tag or the error.
	close() (string, error)
}

// simpleSource is a simple-protocol query: the rows of its first result;
// further results (several statements in one string) are read to the end,
// and the tag is the last one's.
type simpleSource struct {
	mrr *pgconn.MultiResultReader
	rr  *pgconn.ResultReader
}

func (s *simpleSource) next() ([][]byte, bool) {
	if s.rr != nil && s.rr.NextRow() {
		return s.rr.Values(), true
	}
	return nil, false
}

func (s *simpleSource) close() (string, error) {
	var tag pgconn.CommandTag
	var err error
	if s.rr != nil {
		tag, err = s.rr.Close()
	}
	for err == nil && s.mrr.NextResult() {
		t, e := s.mrr.ResultReader().Close()
		if e != nil {
			err = e
		} else {
			tag = t
		}
	}
	if e := s.mrr.Close(); e != nil && err == nil {
		err = e
	}
	if err != nil {
		return "", err
	}
	return tag.String(), nil
}

// pgStream is a statement's rows; values are copied out of pgx's buffers.
type pgStream struct {
	ctx     context.Context
	b       *pgBackend
	sql     string
	src     rowSource
	fields  []sqltypes.Field
	pending sqltypes.Row
	ended   bool
	tag     string
	err     error
	done    func(tag string, err error)
}

func (s *pgStream) Fields() []sqltypes.Field { return s.fields }

func (s *pgStream) Next(ctx context.Context) (sqltypes.Row, error) {
	if s.pending != nil {
		r := s.pending
		s.pending = nil
		return r, nil
	}
	if s.ended {
		if s.err != nil {
			return nil, s.err
		}
		return nil, sqltypes.EOF
	}
	if vals, ok := s.src.next(); ok {
		return copyRow(vals), nil
	}
	s.finish()
	if s.err != nil {
		return nil, s.err
	}
	return nil, sqltypes.EOF
}

func (s *pgStream) Tag() string { return s.tag }

// Close reads what is left of the result (the connection must reach
// ReadyForQuery before another statement) and frees the connection.
func (s *pgStream) Close() {
	s.pending = nil
	if !s.ended {
		s.finish()
	}
}

func (s *pgStream) finish() {
	tag, err := s.src.close()
	s.ended, s.tag = true, tag
	if err != nil {
		if isStalePlan(err) {
			s.b.dropStatement(s.ctx, s.sql)
		}
		s.err = pgError(s.ctx, err)
	}
	if d := s.done; d != nil {
		s.done = nil
		d(tag, err)
	}
}

// copyRow copies a row's values into one allocation (nil stays NULL).
func copyRow(vals [][]byte) sqltypes.Row {
	n := 0
	for _, v := range vals {
		n += len(v)
	}
	buf := make([]byte, n)
	row := make(sqltypes.Row, len(vals))
	for i, v := range vals {
		if v == nil {
			continue
		}
		k := copy(buf, v)
		row[i] = buf[:k:k]
		buf = buf[k:]
	}
	return row
}

func pgFields(fds []pgconn.FieldDescription) []sqltypes.Field {
	if fds == nil {
		return nil // NoData: the statement returns no rows
	}
	out := make([]sqltypes.Field, len(fds))
	for i, f := range fds {
		out[i] = sqltypes.Field{
			Name:         f.Name,
			TableOID:     f.TableOID,
			TableAttrNum: f.TableAttributeNumber,
			OID:          f.DataTypeOID,
			TypeSize:     f.DataTypeSize,
			TypeMod:      f.TypeModifier,
		}
	}
	return out
}

// simpleProtocol reports whether a statement runs with the simple
// protocol: the client's text as Postgres would run it (error positions,
// statements that cannot be prepared).
func simpleProtocol(bnd *sqltypes.Bound, raw bool) bool {
	return raw && bnd.Raw == nil && allText(bnd.ResultFormats) || !raw && len(bnd.ArgsOf()) == 0
}
