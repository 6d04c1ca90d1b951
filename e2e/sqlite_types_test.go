package e2e

import (
	"context"
	"testing"

	"github.com/dotdo/vitess/gatetest"
)

// TestSQLiteTypes: SQLite shards compute with PostgreSQL's types: each
// case's statements answer as on PostgreSQL, and what the gate cannot do
// as PostgreSQL does is refused with 0A000.
func TestSQLiteTypes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  string   // extra gate config
		same    []string // answered as PostgreSQL answers
		refused []string // 0A000
	}{
		// FloatCompare: an integer or numeric compared with a float is
		// converted to float8 first, as in Postgres (9007199254740993 equals
		// 9007199254740992::float8); VALUES column types and COALESCE scales match.
		{name: "FloatCompare",
			same: []string{
				"CREATE TABLE u (id bigint PRIMARY KEY, tenant_id bigint, balance numeric(12,2), price numeric(10,2), f float8, r float4)",
				"INSERT INTO u VALUES (1, 9007199254740993, 0.00, 34.20, 9007199254740992, 1.5), (2, 5, 10.50, 34.2, 0.1, 2.5), (3, 7, NULL, NULL, NULL, NULL), (4, 5, 10.50, 1.05, 5, 5)",
				"SELECT count(*) FROM u WHERE tenant_id = 9007199254740992::float8",
				"SELECT count(*) FROM u WHERE tenant_id IN (5::numeric, 7, 9007199254740992::float8)",
				"SELECT count(*) FROM u WHERE tenant_id IS NOT DISTINCT FROM 9007199254740992::float8",
				"SELECT count(*) FROM u WHERE tenant_id < 9007199254740992::float8",
				"SELECT count(*) FROM u WHERE tenant_id NOT IN (9007199254740992::float8)",
				"SELECT count(*) FROM u WHERE tenant_id = f",
				"SELECT count(*) FROM u WHERE tenant_id BETWEEN 9007199254740992::float8 AND 9007199254740992::float8",
				"SELECT count(*) FROM u WHERE tenant_id NOT BETWEEN 9007199254740992::float8 AND 9007199254740992::float8",
				"SELECT balance = 10.5::float8, price = 34.2::float8, price < f, tenant_id = r FROM u",
				"SELECT tenant_id + 0.5::float8, greatest(tenant_id, 1::float8) FROM u",
				"SELECT * FROM (VALUES (NULL, 'null'), (99, 'none'), (9007199254740993, 'big')) AS v1(k, label)",
				"SELECT sum(v1.k), max(v1.k), min(v1.k), avg(v1.k) FROM (VALUES (NULL, 'null'), (99, 'none'), (9007199254740993, 'big')) AS v1(k, label)",
				"SELECT v2.k, count(*) FROM (VALUES (NULL, 'null'), (99, 'none'), (9007199254740993, 'big')) AS v2(k, label) GROUP BY v2.k",
				"SELECT coalesce(price, 0), coalesce(balance, 0), coalesce(0, balance) FROM u",
				"SELECT CASE WHEN id > 1 THEN balance ELSE 0 END, greatest(balance, 0), least(balance, 0), nullif(balance, 0) FROM u",
			},
		},
		// DateArith: date ± integer is a date, date - date an integer;
		// what else Postgres computes with dates (intervals, timestamps) is 0A000.
		{name: "DateArith",
			same: []string{
				"CREATE TABLE d (id bigint PRIMARY KEY, created date, i int, s smallint, b bigint)",
				"INSERT INTO d VALUES (1, '2024-02-28', 3, 2, 1), (2, '2023-12-31', -400, 1, 2), (3, NULL, NULL, NULL, NULL)",
				"SELECT created + 1, created - 1, 1 + created, created - created, created - '2020-01-01'::date, created - '0001-01-01'::date, created + i, created - s FROM d",
				"UPDATE d SET created = created + 1 WHERE id = 1",
				"SELECT id, created FROM d",
				"SELECT id FROM d WHERE created < created + 1",
				"SELECT created + b FROM d",
				"SELECT created * 2 FROM d",
			},
			refused: []string{
				"SELECT created + interval '1 day' FROM d",
				"SELECT created - now() FROM d",
				"SELECT created + NULL FROM d",
			},
		},
		// DistinctAggs: sum/avg(DISTINCT x) exact, with Postgres's types
		// and scales (on one shard: the planner refuses them across shards).
		{name: "DistinctAggs",
			config: "keyspaces:\n  main:\n    sharded: true\n    tables:\n      a:\n        vindex: {type: hash, columns: [tenant_id]}\n",
			same: []string{
				"CREATE TABLE a (id bigint PRIMARY KEY, tenant_id bigint, balance numeric(12,2), i int, f float8)",
				"INSERT INTO a VALUES (1, 9007199254740993, 0.00, 3, 0.5), (2, 9007199254740993, 10.50, 3, 0.5), (3, 7, 10.50, 4, 1), (4, 7, NULL, NULL, NULL), (5, 7, 1.25, 4, 2), (6, 7, 10.50, 3, 1)",
				"SELECT avg(DISTINCT balance), sum(DISTINCT balance) FROM a WHERE tenant_id = 7",
				"SELECT tenant_id, sum(DISTINCT balance) FROM a WHERE tenant_id = 7 GROUP BY tenant_id",
				"SELECT sum(DISTINCT i), avg(DISTINCT i), count(DISTINCT i), max(DISTINCT i), min(DISTINCT balance) FROM a WHERE tenant_id = 7",
				"SELECT sum(DISTINCT tenant_id), avg(DISTINCT tenant_id), sum(DISTINCT f), avg(DISTINCT f) FROM a WHERE tenant_id = 7",
				"SELECT sum(DISTINCT balance * 2), avg(DISTINCT balance + 1) FROM a WHERE tenant_id = 7",
			},
		},
		// WideNumbers: -x of a float keeps the sign of zero, and a
		// numeric constant with more digits than a REAL keeps is exact (an integral
		// one within int8) or refused.
		{name: "WideNumbers",
			same: []string{
				"CREATE TABLE w (id bigint PRIMARY KEY, weight float8, n numeric(10,2), i int)",
				"INSERT INTO w VALUES (1, 0, 0, 0), (2, -0.0, 1.5, 3), (9007199254740993, 2.5, NULL, NULL)",
				"SELECT id, -weight, -n, -i, -(-weight), weight * -1, -0.0::float8 FROM w",
				"SELECT 9007199254740993.0, 9007199254740993.0 + 1, -9007199254740993.00, 12345678901234567 * 1.0",
				"SELECT id FROM w WHERE id = 9007199254740993.0",
				"SELECT id FROM w WHERE id IN (9007199254740992.0, 9007199254740993.0)",
				"SELECT count(*) FROM w WHERE id < 9007199254740993.0",
				"SELECT CASE WHEN id > 1 THEN 9007199254740993.0 END FROM w",
				"SELECT id FROM w WHERE weight = 9007199254740993.0",
				"SELECT id FROM w WHERE id < 99999999999999999999 AND id > -99999999999999999999 AND id <> 9223372036854775808",
				"SELECT id FROM w WHERE -9223372036854775809 < id AND id NOT IN (9223372036854775808, -9223372036854775809)",
				"SELECT count(*) FROM w WHERE id = -9223372036854775809",
			},
			refused: []string{
				"SELECT 9223372036854775808",
				"SELECT id FROM w WHERE id < 1234567890123456.5",
				"INSERT INTO w VALUES (10, '-0', 0, 0)",
				"UPDATE w SET weight = -weight WHERE id = 1",
			},
		},
		// ExactExtremes: min/max over an exact numeric product keep
		// every digit (found by the hunter: max(balance * score)).
		{name: "ExactExtremes",
			same: []string{
				"CREATE TABLE m (id bigint PRIMARY KEY, tenant_id bigint, balance numeric(15,2), score bigint)",
				"INSERT INTO m VALUES (1, 1, 2945793727651.42, 9000), (2, 1, 10.50, 3), (3, 2, NULL, 4), (4, 2, -2945793727651.42, 9000)",
				"SELECT max(balance * score), min(balance * score), max(balance * 1.005), min(9007199254740993.0 + id) FROM m",
				"SELECT tenant_id, max(balance * score), min(balance * score) FROM m GROUP BY tenant_id",
				"SELECT max(balance * score) FROM m WHERE id = 1",
				// comparisons and ORDER BY of exact results past 15 digits
				"INSERT INTO m VALUES (5, 3, 2945793727651.43, 9000), (6, 3, 2945793727651.41, 9000)",
				"SELECT id FROM m WHERE balance * score > 26512143548862780.00 ORDER BY id",
				"SELECT id FROM m WHERE balance * score = 26512143548862870.00",
				"SELECT id FROM m WHERE balance * score = 26512143548862870 OR balance * score < -26512143548862779",
				"SELECT id, balance * score FROM m WHERE tenant_id <> 2 ORDER BY balance * score DESC, id",
				"SELECT id, balance * score AS p FROM m ORDER BY p, id",
				"INSERT INTO m VALUES (7, 4, 2945793727651.42, 9000), (8, 4, 2945793727651.43, 9000)",
				"SELECT balance * score, count(*) FROM m GROUP BY balance * score ORDER BY 1",
				"SELECT balance * score AS p, count(*) FROM m GROUP BY p ORDER BY p",
				"SELECT DISTINCT balance * score FROM m",
				"SELECT id FROM m WHERE balance * score BETWEEN 26512143548862780.00 AND 26512143548862780.00",
				"SELECT id FROM m WHERE balance * score BETWEEN 26512143548862870 AND 26512143548862870 ORDER BY id",
				"SELECT id FROM m WHERE balance * score NOT BETWEEN 26512143548862869 AND 26512143548862870 ORDER BY id",
				"SELECT id FROM m WHERE balance * score IN (26512143548862870, 1, NULL) ORDER BY id",
				"SELECT id FROM m WHERE balance * score NOT IN (26512143548862870, 26512143548862780) ORDER BY id",
				// numeric(p,s) refuses what needs more than p-s integer digits
				"CREATE TABLE pc (id bigint PRIMARY KEY, n numeric(5,2))",
				"INSERT INTO pc VALUES (1, 12345.6)",
				"INSERT INTO pc VALUES (2, 999.994), (3, -999.99), (4, 7)",
				"INSERT INTO pc VALUES (5, 999.995)",
				"INSERT INTO pc VALUES (6, 1000)",
				"UPDATE pc SET n = n * 10 WHERE id = 4",
				"UPDATE pc SET n = n * 100 WHERE id = 4",
				"SELECT id, n, 123.456::numeric(5,2), (-7)::numeric(3,1) FROM pc",
				"SELECT 12345.6::numeric(5,2)",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := gatetest.StartEngine(t, "sqlite", 2, tc.config)
			sameAsPostgres(t, g, tc.same)
			for _, s := range tc.refused {
				if _, _, err := gatetest.QueryText(context.Background(), g.Connect(t), s); gatetest.SQLState(err) != "0A000" {
					t.Errorf("%s: %v", s, err)
				}
			}
		})
	}
}
