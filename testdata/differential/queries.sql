# One query per line. "ordered:" compares row order too (the ORDER BY is
# total); "refuse:" expects SQLSTATE 0A000; other lines compare multisets.
# Point and IN routing
SELECT * FROM customers WHERE id = 17
SELECT * FROM customers WHERE id = -3
SELECT * FROM customers WHERE id = 999999
SELECT id, name FROM customers WHERE id IN (1, 2, 3, 500, 999, -1)
SELECT * FROM orders WHERE customer_id = 42
SELECT count(*) FROM orders WHERE customer_id = 42
SELECT sum(amount), avg(qty), min(status), max(note) FROM orders WHERE customer_id IN (5, 6, 7)
SELECT * FROM customers WHERE id = 17 AND active
SELECT name FROM customers WHERE id IN (10, 20) AND score > 0
# Scatter without merge
SELECT * FROM customers
SELECT id, name, country FROM customers WHERE score > 50
SELECT id FROM customers WHERE name LIKE 'A%'
SELECT id FROM customers WHERE name IS NULL
SELECT id, balance FROM customers WHERE balance < 0
SELECT id, rating FROM customers WHERE rating BETWEEN 1.5 AND 2.5
SELECT id FROM orders WHERE status = 'shipped' AND qty >= 3
SELECT id, amount * qty FROM orders WHERE amount IS NOT NULL
SELECT id, upper(name), length(name) FROM customers WHERE country = 'DE'
SELECT id, coalesce(note, 'none') FROM orders WHERE customer_id > 900
SELECT id, CASE WHEN score > 50 THEN 'high' WHEN score > 0 THEN 'low' ELSE 'neg' END FROM customers
# ORDER BY merges
ordered: SELECT id, name FROM customers ORDER BY id
ordered: SELECT id, name FROM customers ORDER BY id DESC
ordered: SELECT id, score FROM customers ORDER BY score, id
ordered: SELECT id, score FROM customers ORDER BY score DESC, id
ordered: SELECT id, score FROM customers ORDER BY score NULLS FIRST, id
ordered: SELECT id, score FROM customers ORDER BY score DESC NULLS LAST, id DESC
ordered: SELECT id, name FROM customers ORDER BY name, id
ordered: SELECT id, name FROM customers ORDER BY name DESC NULLS LAST, id
ordered: SELECT id, balance FROM customers ORDER BY balance, id
ordered: SELECT id, rating FROM customers ORDER BY rating DESC, id
ordered: SELECT id, created FROM customers ORDER BY created, id
ordered: SELECT id, active FROM customers ORDER BY active, id
ordered: SELECT name, id FROM customers ORDER BY 2
ordered: SELECT id AS k, name FROM customers ORDER BY k DESC
ordered: SELECT id FROM customers ORDER BY score, name, id
ordered: SELECT id, country FROM customers ORDER BY country NULLS FIRST, score DESC, id
ordered: SELECT * FROM orders ORDER BY amount DESC NULLS LAST, id
ordered: SELECT * FROM customers ORDER BY id
# LIMIT / OFFSET
ordered: SELECT id, name FROM customers ORDER BY id LIMIT 10
ordered: SELECT id, name FROM customers ORDER BY id LIMIT 10 OFFSET 5
ordered: SELECT id, name FROM customers ORDER BY id DESC LIMIT 7 OFFSET 100
ordered: SELECT id FROM customers ORDER BY score DESC, id LIMIT 3
ordered: SELECT id FROM customers ORDER BY id OFFSET 995
ordered: SELECT id FROM customers ORDER BY id LIMIT 0
ordered: SELECT id, amount FROM orders ORDER BY amount, id LIMIT 25 OFFSET 25
ordered: SELECT id FROM customers WHERE id IN (3, 1, 2, 7) ORDER BY id LIMIT 2
ordered: SELECT id FROM orders ORDER BY id FETCH FIRST 5 ROWS ONLY
# Aggregates without GROUP BY
SELECT count(*) FROM customers
SELECT count(*) FROM orders
SELECT count(score) FROM customers
SELECT count(name), count(country) FROM customers
SELECT sum(score) FROM customers
SELECT sum(id) FROM customers
SELECT sum(balance) FROM customers
SELECT sum(qty), sum(amount) FROM orders
SELECT min(id), max(id) FROM customers
SELECT min(name), max(name) FROM customers
SELECT min(balance), max(balance), min(created), max(created) FROM customers
SELECT min(score), max(score), min(rating), max(rating) FROM customers
SELECT avg(score) FROM customers
SELECT avg(id) FROM customers
SELECT avg(balance) FROM customers
SELECT avg(amount), avg(qty) FROM orders
SELECT count(*), sum(score), avg(score), min(score), max(score) FROM customers WHERE country = 'FR'
SELECT count(*), sum(score), avg(score) FROM customers WHERE score > 100000
SELECT max(id) AS top, min(id) AS bottom FROM orders
SELECT count(*) FROM customers WHERE active
SELECT count(*) FROM customers WHERE NOT active
SELECT count(*) FROM customers WHERE active IS NULL
# GROUP BY
SELECT country, count(*) FROM customers GROUP BY country
SELECT country, count(*), sum(score), avg(score), min(score), max(score) FROM customers GROUP BY country
SELECT country, sum(balance), avg(balance) FROM customers GROUP BY country
SELECT active, count(*) FROM customers GROUP BY active
SELECT country, active, count(*) FROM customers GROUP BY country, active
SELECT status, count(*), sum(amount), avg(amount) FROM orders GROUP BY status
SELECT status, sum(qty), max(amount), min(note) FROM orders GROUP BY 1
SELECT qty, count(*) FROM orders GROUP BY qty
ordered: SELECT country, count(*) FROM customers GROUP BY country ORDER BY country NULLS FIRST
ordered: SELECT country, count(*) AS n FROM customers GROUP BY country ORDER BY n DESC, country
ordered: SELECT country, count(*) FROM customers GROUP BY country ORDER BY 2 DESC, 1 LIMIT 3
ordered: SELECT status, sum(amount) FROM orders GROUP BY status ORDER BY sum(amount) DESC NULLS LAST, status
ordered: SELECT country, avg(score) FROM customers GROUP BY country ORDER BY avg(score), country
ordered: SELECT country, max(score) FROM customers GROUP BY country ORDER BY min(score), country
ordered: SELECT qty, count(*) FROM orders GROUP BY qty ORDER BY qty DESC NULLS LAST LIMIT 4 OFFSET 1
SELECT customer_id, count(*), sum(amount) FROM orders GROUP BY customer_id
ordered: SELECT customer_id, count(*) FROM orders GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 5
SELECT customer_id, count(DISTINCT status) FROM orders GROUP BY customer_id
SELECT lower(country), count(*) FROM customers GROUP BY lower(country)
SELECT score > 50, count(*) FROM customers GROUP BY score > 50
# HAVING
SELECT country, count(*) FROM customers GROUP BY country HAVING count(*) > 150
SELECT country, sum(score) FROM customers GROUP BY country HAVING sum(score) < 10000 AND count(*) >= 1
SELECT status, avg(amount) FROM orders GROUP BY status HAVING avg(amount) > 50
SELECT qty, count(*) FROM orders GROUP BY qty HAVING qty IS NULL OR count(*) < 300
SELECT country FROM customers GROUP BY country HAVING max(score) >= 99
SELECT customer_id FROM orders GROUP BY customer_id HAVING count(*) > 4
# DISTINCT
SELECT DISTINCT country FROM customers
SELECT DISTINCT status FROM orders
SELECT DISTINCT qty, status FROM orders
SELECT DISTINCT active FROM customers
ordered: SELECT DISTINCT country FROM customers ORDER BY country NULLS FIRST
ordered: SELECT DISTINCT score FROM customers ORDER BY score DESC NULLS LAST LIMIT 5
SELECT DISTINCT id, country FROM customers WHERE score > 90
SELECT DISTINCT balance FROM customers WHERE balance > 900
SELECT DISTINCT country, count(*) FROM customers GROUP BY country
# Joins pushed down (co-located on the vindex, or with reference tables)
SELECT c.id, c.name, o.id, o.amount FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = 42
SELECT c.id, o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.qty > 8
SELECT c.id, count(o.id) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id
ordered: SELECT c.id, count(o.id), sum(o.amount) FROM customers c JOIN orders o ON c.id = o.customer_id GROUP BY c.id ORDER BY sum(o.amount) DESC NULLS LAST, c.id LIMIT 10
SELECT c.country, count(*) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.country
SELECT c.id, k.name FROM customers c JOIN countries k ON k.code = c.country WHERE c.score > 80
SELECT k.region, count(*) FROM customers c JOIN countries k ON k.code = c.country GROUP BY k.region
SELECT * FROM countries
ordered: SELECT code, name FROM countries ORDER BY code
SELECT region, count(*) FROM countries GROUP BY region
SELECT c.id FROM customers c, orders o WHERE c.id = o.customer_id AND o.status = 'new' AND c.active
SELECT c.id, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL
SELECT id FROM customers WHERE country IN (SELECT code FROM countries WHERE region = 'EU')
refuse: SELECT o.id FROM orders o JOIN customers c USING (id) WHERE o.customer_id = 7
# Parameters-free expressions and literals
SELECT 1
SELECT 1 + 2 AS three, 'x' AS s
SELECT count(*) FROM customers WHERE created >= '2020-06-01'
SELECT count(*) FROM customers WHERE name ILIKE '%ä%'
SELECT id, name FROM customers WHERE name = 'Zoë'
# Refusals
refuse: SELECT count(DISTINCT country) FROM customers
refuse: SELECT c.id FROM customers c JOIN orders o ON o.id = c.id
refuse: SELECT id, rank() OVER (ORDER BY score) FROM customers
refuse: SELECT DISTINCT ON (country) id FROM customers
refuse: SELECT string_agg(name, ',') FROM customers
refuse: SELECT sum(score) * 2 FROM customers
refuse: SELECT id FROM customers WHERE id IN (SELECT customer_id FROM orders)
refuse: SELECT id FROM customers UNION SELECT id FROM orders
refuse: SELECT country, count(*) FROM customers GROUP BY ROLLUP (country)
refuse: SELECT bool_and(active) FROM customers
# Parameters ($n), after " ;; " as a JSON array
SELECT * FROM customers WHERE id = $1 ;; [17]
SELECT name FROM customers WHERE id = $1 ;; ["-3"]
SELECT id, name FROM customers WHERE id IN ($1, $2, $3) ;; [5, 500, 999]
SELECT * FROM orders WHERE customer_id = $1 AND qty > $2 ;; [42, 2]
ordered: SELECT id, name FROM customers WHERE score > $1 ORDER BY id LIMIT $2 ;; [10, 5]
ordered: SELECT id FROM customers ORDER BY id DESC LIMIT $1 OFFSET $2 ;; [4, 10]
SELECT count(*), sum(amount) FROM orders WHERE status = $1 ;; ["paid"]
SELECT country, count(*) FROM customers WHERE score BETWEEN $1 AND $2 GROUP BY country ;; [-10, 10]
SELECT country, avg(balance) FROM customers WHERE active = $1 GROUP BY country HAVING count(*) > 3 ;; [true]
SELECT id FROM customers WHERE name = $1 ;; ["Zoë3"]
SELECT c.id, o.amount FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.id = $1 ;; [77]
SELECT id FROM customers WHERE id = $1 ;; [null]
SELECT max(amount) FROM orders WHERE customer_id IN ($1, $2) ;; [1, 2]
ordered: SELECT id, created FROM customers WHERE created > $1 ORDER BY created, id LIMIT 5 ;; ["2023-06-01"]
# Range vindex (events by ts: -40 < 1000 <= 40-80 < 2000 <= 80-c0 < 3000 <= c0-)
SELECT * FROM events WHERE ts = 1500
SELECT * FROM events WHERE ts = 999
SELECT * FROM events WHERE ts = 1000
SELECT * FROM events WHERE ts BETWEEN 900 AND 2100
ordered: SELECT ts, kind FROM events WHERE ts >= 1000 AND ts < 2000 ORDER BY ts
SELECT count(*), sum(val) FROM events WHERE ts < 1000
SELECT count(*), avg(val) FROM events WHERE ts > 3000
SELECT count(*) FROM events WHERE ts >= 3000
SELECT kind, count(*) FROM events WHERE ts >= 500 AND ts <= 2500 GROUP BY kind
SELECT * FROM events WHERE 2000 <= ts AND ts < 2050
SELECT * FROM events WHERE ts < -50
SELECT * FROM events WHERE ts > 4000
SELECT * FROM events WHERE ts IN (5, 1005, 2005, 3005, 12)
SELECT * FROM events WHERE ts BETWEEN $1 AND $2 ;; [100, 1100]
SELECT * FROM events WHERE ts > 10 AND ts > 2990 AND ts < 3010
SELECT * FROM events WHERE ts >= 1000 AND ts < 1000
SELECT * FROM events WHERE ts < $1 AND kind = 'buy' ;; [1200]
ordered: SELECT kind, max(ts), min(val) FROM events WHERE ts BETWEEN 1990 AND 3010 GROUP BY kind ORDER BY kind
ordered: SELECT ts FROM events WHERE ts > 2500 ORDER BY ts DESC LIMIT 7
# Lookup vindexes (accounts.email unique, orders.status non-unique)
SELECT * FROM accounts WHERE email = 'a17@x.io'
SELECT * FROM accounts WHERE email = 'nobody@x.io'
SELECT id FROM accounts WHERE email IN ('a1@x.io', 'a2@x.io', 'a599@x.io', 'nobody@x.io')
SELECT * FROM accounts WHERE email = $1 ;; ["a33@x.io"]
SELECT count(*) FROM accounts WHERE email = 'a5@x.io'
SELECT * FROM accounts WHERE region = 'EU' AND email = 'a8@x.io'
SELECT * FROM accounts WHERE email IS NULL
SELECT region, count(*), sum(amount) FROM accounts GROUP BY region
SELECT * FROM orders WHERE status = 'paid' AND qty > 8
SELECT count(*), sum(amount) FROM orders WHERE status IN ('new', 'returned')
SELECT status, count(*) FROM orders WHERE status = 'Shipped' GROUP BY status
SELECT count(*) FROM orders WHERE status = 'lost'
ordered: SELECT id, amount FROM orders WHERE status = $1 ORDER BY id LIMIT 5 ;; ["shipped"]
SELECT * FROM orders WHERE status = 'paid' AND customer_id = 42
# Range vindexes on a date and a timestamp (shards split at 2024-01-01, 2024-07-01, 2025-01-01)
SELECT * FROM visits WHERE day = '2024-03-05'
SELECT * FROM visits WHERE day = '2023-12-31'
SELECT id, day FROM visits WHERE day BETWEEN '2024-06-15' AND '2024-07-15'
SELECT count(*), sum(amount) FROM visits WHERE day >= '2025-01-01'
SELECT count(*) FROM visits WHERE day < '2024-01-01'
SELECT count(*) FROM visits WHERE day > '2024-06-30' AND day <= '2024-07-01'
ordered: SELECT day, count(*) FROM visits WHERE day >= '2024-12-20' AND day < '2025-01-10' GROUP BY day ORDER BY day
SELECT * FROM visits WHERE day = $1 ;; ["2024-05-05"]
SELECT * FROM visits WHERE day IN ('2024-01-01', '2024-07-01', '2025-01-01')
refuse: SELECT * FROM visits WHERE day = 'Jan 5 2024'
SELECT * FROM pings WHERE at >= '2024-06-30 12:00:00' AND at < '2024-07-01 12:00:00'
SELECT count(*), max(at), min(v) FROM pings WHERE at < '2024-01-01'
SELECT count(*) FROM pings WHERE at BETWEEN '2024-12-31 23:00' AND '2025-01-01 01:00'
ordered: SELECT at, v FROM pings WHERE at >= '2025-03-01' ORDER BY at LIMIT 5
# Soundness (issue 11). Outer joins whose preserved side is not sharded are refused.
refuse: SELECT c.code, count(cu.id) FROM countries c LEFT JOIN customers cu ON cu.country = c.code GROUP BY c.code
refuse: SELECT v.k, cu.name FROM (VALUES (1), (4), (999), (5000)) v(k) LEFT JOIN customers cu ON cu.id = v.k
refuse: SELECT g, cu.id FROM generate_series(-5, 12) g LEFT JOIN customers cu ON cu.id = g
refuse: SELECT cu.id, c.code FROM customers cu RIGHT JOIN countries c ON cu.country = c.code
refuse: SELECT count(*) FROM countries c FULL JOIN customers cu ON cu.country = c.code
refuse: SELECT count(*) FROM customers cu FULL JOIN countries c ON cu.country = c.code
SELECT cu.id, c.name FROM customers cu LEFT JOIN countries c ON c.code = cu.country
SELECT c.name, cu.id FROM countries c RIGHT JOIN customers cu ON c.code = cu.country
SELECT cu.id, c.name FROM countries c JOIN customers cu ON c.code = cu.country WHERE cu.score > 90
# Grouping by the nullable side's vindex column puts the NULL group on several shards
SELECT o.customer_id, count(*) FROM customers cu LEFT JOIN orders o ON o.customer_id = cu.id GROUP BY o.customer_id
SELECT DISTINCT o.customer_id FROM customers cu LEFT JOIN orders o ON o.customer_id = cu.id
SELECT cu.id, count(*) FROM orders o FULL JOIN customers cu ON o.customer_id = cu.id GROUP BY cu.id
SELECT cu.id, count(o.id) FROM customers cu LEFT JOIN orders o ON o.customer_id = cu.id GROUP BY cu.id
SELECT count(*), count(o.id) FROM customers cu FULL JOIN orders o ON o.customer_id = cu.id
# A LEFT JOIN tied to two tables on its left that are not co-located
refuse: SELECT count(*) FROM customers a JOIN orders o ON o.qty = a.score LEFT JOIN customers b ON o.customer_id = b.id AND b.id = a.id
SELECT count(*) FROM customers a JOIN orders o ON o.customer_id = a.id LEFT JOIN customers b ON o.customer_id = b.id AND b.id = a.id
SELECT count(*) FROM customers a JOIN orders o ON true LEFT JOIN customers b ON b.id = o.customer_id WHERE a.id = o.customer_id
# GROUP BY names an input column before an output alias; ORDER BY the other way round
SELECT score / 10 AS score, count(*) FROM customers GROUP BY score
SELECT score / 10 AS score, count(*) FROM customers GROUP BY score HAVING score > 50
SELECT score / 10 AS s, count(*) FROM customers GROUP BY s
SELECT upper(country) AS country, count(*) FROM customers GROUP BY country
SELECT customer_id / 100 AS customer_id, count(*) FROM orders GROUP BY customer_id
SELECT score % 7 AS k, count(*) FROM customers GROUP BY 1
# Casts on vindex values prune only on what Postgres compares
SELECT id FROM customers WHERE id IN (2.5::int, 3.7::int)
SELECT id FROM customers WHERE id = 3.7::int
SELECT id FROM customers WHERE id = '7'::int8
SELECT id FROM customers WHERE id = 17::numeric
SELECT id FROM customers WHERE id = 9007199254740992::float8
SELECT count(*) FROM orders WHERE customer_id = 42.4::int
# A CTE named like the table it reads
refuse: WITH customers AS (SELECT * FROM customers WHERE id = 5) SELECT count(*) FROM customers
WITH c AS (SELECT code FROM countries) SELECT count(*) FROM c
# Zero columns; col = NULL matches no row but aggregates still return theirs
SELECT FROM customers WHERE score > 78
SELECT FROM customers WHERE id = 5
SELECT avg(id) FROM customers WHERE id = NULL
SELECT count(*), max(name) FROM customers WHERE id = NULL
SELECT id FROM customers WHERE id IN (NULL, 5)
SELECT count(*) FROM customers WHERE id = 1.5
# HAVING with constants the gate must read as the column's type, or leave to the shards
SELECT v, max(at) FROM pings GROUP BY v HAVING max(at) > '2024-12-01'
SELECT country, count(*) FROM customers GROUP BY country HAVING count(*) > 2.5::int
# Result column names and types
SELECT 1 FROM customers WHERE id < 5
SELECT 2.50 FROM customers WHERE id < 5
SELECT c.id, v.w FROM customers c CROSS JOIN (VALUES ('FR', 3)) AS v(code, w) WHERE c.id < 5
SELECT true FROM customers WHERE id < 3
SELECT id FROM customers WHERE id = true::int
SELECT id FROM customers WHERE id = $1::float8 ;; [17]
SELECT id FROM customers WHERE id = $1::int8 ;; [17]
SELECT id FROM customers WHERE id IN ($1::int, 3) ;; [5]
SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = 2.5::int
SELECT cu.id, o.id FROM customers cu LEFT JOIN orders o ON o.customer_id = cu.id WHERE cu.id IN (3, 4, 5)
SELECT count(*) FROM customers cu LEFT JOIN orders o ON o.customer_id = cu.id WHERE o.customer_id = 42
refuse: SELECT o.customer_id, count(*) FROM customers cu LEFT JOIN orders o USING (id) GROUP BY o.customer_id
SELECT 1, count(*) FROM customers
SELECT country, 'x', count(*) FROM customers GROUP BY country
# String and number literals read as PostgreSQL 15 reads them (E'\v' is v)
SELECT id, E'a\vb', E'a\\vb', E'\t\x41\101\u00e9', length(E'a\vb') FROM customers WHERE id = 17
# Result column names (FigureColname) and types of constants and expressions
SELECT true, false, 1, 2.50, 'x', 'x'::text, 1::int8, CAST(2 AS integer), NULL, 1 + 2, -id, (SELECT 1), EXISTS (SELECT 1) FROM customers WHERE id = 17
SELECT CASE WHEN id = 17 THEN 'x' ELSE name END, CASE WHEN id = 17 THEN 'x' ELSE 'y'::text END, CASE WHEN id > 0 THEN name END, CASE id WHEN 17 THEN name ELSE coalesce(name, 'z') END FROM customers WHERE id IN (17, 18)
SELECT coalesce(name, 'n'), nullif(score, 0), greatest(score, 1), least(score, 1), upper(name), name::varchar(3), score::bigint, score IS NULL, active IS TRUE, name LIKE 'A%', NOT active FROM customers WHERE id IN (1, 2, 3)
SELECT c.name, v.code, v.w, v.code || c.country FROM customers c CROSS JOIN (VALUES ('FR', 3)) AS v(code, w) WHERE c.id = 5
# Built-ins whose SQLite form differs from Postgres: substr positions, ASCII-only case mapping (LC_CTYPE C), LIKE case, byte order of text
SELECT id, substr(name, -1, 3), substr(name, -1), substr(name, 0, 2), substr(name, 2), substr(name, 3, 1), substring(name, 2, 2) FROM customers WHERE id < 40
SELECT id, upper(name), lower(name), name ILIKE 'ä%', name ILIKE 'z%', name LIKE 'Z%', name LIKE 'z%', name LIKE '%ë%', name ILIKE '%B_B%', name ILIKE 'É%' FROM customers WHERE id < 80
SELECT id, score / 7, score % 7, -score, score * 21474836, score / -1 FROM customers WHERE id < 40
ordered: SELECT name, id FROM customers WHERE name IS NOT NULL ORDER BY name, id
SELECT min(name), max(name), min(note), max(note) FROM customers, orders WHERE orders.customer_id = customers.id
SELECT count(*) FROM customers WHERE name < 'Zoë' AND name > 'B'
SELECT id, name || NULL, concat(name, NULL, 'x'), length(name), name || '-' || id FROM customers WHERE id < 20
# Exact numeric arithmetic: PostgreSQL's result types and display scales, division by select_div_scale
SELECT ts, coalesce(91.00, 7.00) * (ts * 9007199254740), ts * 1.5, ts + 0.1, -(ts * 1.25), ts / 7.0, 1.0 / ts FROM events WHERE ts > 4000
SELECT id, amount * qty, amount / 3, amount / qty, amount - 0.005, amount + amount * 2 FROM orders WHERE customer_id < 30 AND qty <> 0
SELECT id, balance * balance, balance * -1.5, balance / 0.07, balance - score FROM customers WHERE id < 100
SELECT customer_id, sum(amount * qty), sum(amount / 7), avg(amount * 1.5) FROM orders GROUP BY customer_id
ordered: SELECT id, amount * qty FROM orders WHERE qty > 0 AND amount IS NOT NULL ORDER BY amount * qty DESC, id LIMIT 10
SELECT count(*) FROM orders WHERE amount * qty > 500 AND amount / 2 < 90
SELECT 2.50, 1.0 / 3, 7.00 / 2, 0.1 + 0.2, 1e3 * 2, 10 / 4.0 FROM countries WHERE code = 'DE'
SELECT 1::int, '1'::numeric(5,2), CAST(name AS varchar(3)), name IS NULL, (id = 1) IS TRUE, NOT (id = 1), pg_catalog.upper(name), id IN (1), id BETWEEN 1 AND 2, name COLLATE "C", +id, -1.5, 'a'::varchar, 1::float8, '2024-01-01'::date, CASE WHEN true THEN 1 ELSE CASE WHEN false THEN 2 ELSE score END END, CASE WHEN true THEN name ELSE nullif(name, 'x') END FROM customers WHERE id = 17
SELECT c.id, v.* FROM customers c CROSS JOIN (VALUES ('FR', 3, 2.5, true, NULL, 1), ('DE', 4, 1, false, 1.5, 3000000000)) AS v(code, w, x, b, n, big) WHERE c.id = 5
SELECT 1, 2.50, true, 'x', NULL, 1.5e3, 3000000000, -1, 'x'::text || 'y', 2.5::float4, 1::smallint FROM countries WHERE code = 'FR'
# Numerics whose display scale varies by row: COALESCE/CASE/GREATEST/LEAST over different scales
SELECT id, coalesce(amount, 0), CASE WHEN qty > 5 THEN amount ELSE 1 END, greatest(amount, 100), least(amount, 50.5, 20.25), coalesce(amount, 0) * 2, coalesce(NULL, amount, '3.000') FROM orders WHERE customer_id < 60
ordered: SELECT id, coalesce(balance, 0) FROM customers ORDER BY coalesce(balance, 0) DESC, id LIMIT 20
SELECT count(*) FROM customers WHERE coalesce(balance, 0) > 100
SELECT CASE WHEN id = 18 THEN 1 ELSE (SELECT 2) END FROM customers WHERE id < 20
# -x of a float keeps the sign of zero; numeric constants beyond a REAL's 15 digits
SELECT id, -rating, -(rating * 0), -score, -balance FROM customers WHERE id < 40
SELECT 9007199254740993.0, 9007199254740993.0 + 1, -9007199254740993.00 FROM countries WHERE code = 'FR'
SELECT count(*) FROM customers WHERE id < 9007199254740993.0
