// Package dialect translates Postgres SQL into SQLite SQL for the embedded
// SQLite shards, and turns what SQLite gives back (values, declared column
// types, errors) into what a Postgres client expects.
//
// Translation is driven by the pg_query (Postgres 17) parse tree: Translate
// parses the statement, walks the nodes with a catalog of the shard's tables
// and prints SQLite SQL with its own printer, computing the Postgres result
// columns (names, OIDs, typmods) and the types of the $n parameters on the
// way. Anything the printer does not know how to express exactly is refused
// with SQLSTATE 0A000 ("... not supported on SQLite shards: ...").
//
// # Storage decisions
//
// Columns are declared in SQLite with a name that keeps the Postgres type
// recoverable by ColumnType while giving SQLite the right column affinity:
//
//	smallint, bigint, numeric(p,s), varchar(n), char(n), text, boolean,
//	float4, float8                         -> the Postgres name itself
//	integer                                -> int4 (a column declared exactly
//	                                          "INTEGER PRIMARY KEY" would become
//	                                          SQLite's rowid alias, which fills
//	                                          NULLs with a new id instead of
//	                                          refusing them)
//	double precision / real                -> float8 / float4 (REAL affinity)
//	timestamp, timestamptz, date, time,
//	json, jsonb, uuid                      -> <name>_text (TEXT affinity, so a
//	                                          value never turns into a number)
//	bytea                                  -> bytea_blob (BLOB affinity)
//	serial, bigserial, smallserial,
//	GENERATED ... AS IDENTITY              -> int4/bigint/smallint NOT NULL (the
//	                                          gate fills values from its own
//	                                          sequences; no AUTOINCREMENT)
//
// Booleans are stored as 0/1, timestamps as UTC-free canonical text
// "YYYY-MM-DD HH:MM:SS[.ffffff]" with trailing fraction zeros trimmed (this
// text sorts in time order), timestamptz the same in UTC (the gate's TimeZone
// is UTC; "+00" is added on output), dates as "YYYY-MM-DD", bytea as BLOB.
// Literals compared with or assigned to a typed column are converted to that
// stored form at translation time; parameters are converted by BindArg.
//
// now()/CURRENT_TIMESTAMP become the statement time at millisecond
// precision (SQLite's clock), with trailing zeros trimmed; Postgres uses the
// transaction start time with microseconds. CURRENT_DATE is date('now').
// Assignments (INSERT ... VALUES, UPDATE SET, column DEFAULT) convert
// between the date/time types as Postgres's assignment casts do (a
// timestamp or timestamptz into a date column keeps the date, a date into a
// timestamp column gets 00:00:00) and round numeric values to a numeric(p,s)
// column's scale.
//
// # Expressions
//
// Integer + - * / and unary minus are wrapped in pg_i2/pg_i4/pg_i8, which
// raise 22003 when the result leaves the type's range (SQLite computes in 64
// bits and turns an int64 overflow into a REAL). substr is pg_substr:
// SQLite counts a negative start from the end of the string.
//
// LIKE is case-sensitive in Postgres and case-insensitive in SQLite: a LIKE
// with a literal pattern becomes GLOB with the pattern converted; any other
// LIKE, and every ILIKE, calls the SQL functions pg_like/pg_ilike that this
// package registers with modernc.org/sqlite (init). upper, lower and ILIKE
// change the case of ASCII letters only, as Postgres does in the C locale
// (upper('Zoë') is 'ZOë'). Division and modulo call
// pg_nz on the divisor so that a zero divisor raises 22012 as Postgres does
// instead of SQLite's NULL. greatest/least ignore NULLs as Postgres does.
// ORDER BY always carries explicit NULLS FIRST/LAST with Postgres's
// defaults. FOR UPDATE/FOR SHARE are dropped: SQLite serialises writers.
//
// Refused (0A000): numeric columns without a typmod or with more than 15
// digits (a REAL would change their values or display scale), DISTINCT ON, window functions, aggregate FILTER/ORDER BY,
// recursive CTEs, NATURAL joins, LATERAL, arrays, row comparisons, numeric
// modulo, text rendering of float/numeric/bool
// values inside SQL (||, concat, ::text), UPDATE ... FROM, DELETE ... USING,
// ON CONFLICT ON CONSTRAINT, DROP ... CASCADE, TRUNCATE ... RESTART
// IDENTITY/CASCADE, multi-command ALTER TABLE, interval and unknown types,
// unknown functions, and every statement kind not listed below.
//
// # Statements
//
// SELECT/VALUES, INSERT, UPDATE, DELETE, CREATE TABLE, DROP TABLE,
// ALTER TABLE (one ADD COLUMN / DROP COLUMN / RENAME COLUMN / RENAME TO),
// CREATE INDEX, DROP INDEX and TRUNCATE (as DELETE FROM, tag
// "TRUNCATE TABLE") are translated. SET, RESET, SHOW, DISCARD and the
// transaction statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...) are the
// engine's business: Translate returns KindOther with an empty SQL and the
// command tag. DROP TABLE ... CASCADE is refused (SQLite cannot drop
// dependent objects). An empty statement gives KindOther with empty SQL and
// empty tag.
//
// # Errors
//
// MapError maps SQLite result codes to SQLSTATEs: UNIQUE/PRIMARY KEY 23505
// (constraint named the Postgres way, t_pkey or t_col_key), NOT NULL 23502,
// FOREIGN KEY 23503, CHECK 23514, no such table 42P01, no such column 42703,
// syntax error 42601, already exists 42P07, SQLITE_BUSY/SQLITE_LOCKED 55P03
// (lock_not_available: the shard could not get its lock within the busy
// timeout), BUSY_SNAPSHOT 40001, interrupt 57014, anything else XX000.
//
// # Numeric values
//
// SQLite keeps numeric values as INTEGER or REAL. A Postgres numeric value
// carries its display scale; the translator tracks it statically instead:
// a column's typmod scale, a literal's written scale, max of the operands'
// for + and -, their sum for *, the argument's for unary minus, abs, min,
// max and sum, n for round(x, n), 0 for integers. Translation.Scales holds
// it per result column (RowDescription still carries typmod -1 for computed
// columns) and Translation.Render prints a numeric with exactly that many
// decimals (rounded half away from zero, as Postgres rounds). A numeric
// whose scale is not known (coalesce over different scales, float casts,
// parameters) renders the stored value, a REAL with 15 significant digits
// (what Postgres's float8 -> numeric cast gives). Numeric + - * / are
// decimal: pg_nadd/pg_nsub/pg_nmul/pg_ndiv (numeric.go) compute them with
// sqltypes.Decimal from the operands and their display scales and return
// the result's text, which the outermost SELECT returns as is (like the
// exact aggregates below); a comparison or a subquery sees it CAST to a
// number. Division needs both display scales (its result scale is
// select_div_scale's) and is refused when one is not known. Rounding
// (round(), casts and assignments to numeric(p,s)) is decimal: pg_round
// reads a REAL as its 15-digit decimal first.
//
// sum over bigint and numeric and avg over integers and numeric are exact:
// they call the aggregates pg_sum/pg_avg, which add sqltypes.Decimal values
// and return the numeric's text (avg with Postgres's division scale, e.g.
// 1.5000000000000000). The outermost SELECT returns that TEXT as is (sorting
// on it by its number); anywhere else it is CAST to a number so that SQLite
// compares it as one. sum over smallint/integer is SQLite's integer sum
// (bigint), sum and avg over floats SQLite's.
package dialect
