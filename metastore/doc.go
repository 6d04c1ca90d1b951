// Package metastore is the gate's metadata store, a SQLite file or a
// Postgres database several gates share: table registrations (it is the
// vschema's router.Registry), sequence blocks and the Sequences that hand
// out ids from them, and the decision log of multi-shard commits.
package metastore
