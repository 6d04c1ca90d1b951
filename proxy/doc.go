// Package proxy is the Postgres wire server of the gate: it accepts client
// connections (psql, pgx, any libpq-style driver), runs the startup and
// authentication exchange (trust, cleartext password, SCRAM-SHA-256),
// and speaks the simple and extended query protocols, handing every
// statement to a Session that the caller's SessionFactory opens.
//
// The package keeps the wire apart from the gate's logic: message encoding
// and decoding is pgproto3's, value conversion between the text format the
// gate works in and the binary format a client may ask for lives in
// codec.go, and errors become ErrorResponse messages in one place
// (errors.go). Everything the server knows about SQL is behind the Session
// and Statement interfaces in executor.go, which package vtgate implements;
// proxy imports nothing of the gate but sqltypes.
//
// Rows flow through as Postgres text-format bytes; a column the client asked
// for in binary is converted on the way out, and a type the server cannot
// convert is refused with 0A000 at Bind rather than sent in the wrong format.
package proxy
