// Package router maps rows to shards: keyspaces and their vschema, vindexes
// that turn a column value into a keyspace id, and key ranges that assign
// keyspace ids to shards.
//
// Shards of a sharded keyspace are named by the key range they own, using
// Vitess's convention: two hex bounds separated by '-', the range is
// half-open [start, end), and an empty side is unbounded ("-80", "80-c0",
// "c0-", and "-" for the whole space). Keyspace ids are 8-byte strings and
// are compared with bounds as byte strings, a shorter string being padded
// with zero bytes, so "40" and "4000" denote the same bound.
//
// A Vindex maps a column value to a keyspace id. The "hash" vindex is
// bit-compatible with Vitess: integers are DES-encrypted under an all-zero
// key, strings and byte strings are hashed with xxHash64. The "null" vindex
// sends every row to the first shard. NewVindex builds vindexes by type name
// from a registry that RegisterVindex extends.
package router
