-- Point, IN and scatter routes
SELECT * FROM users WHERE id = 2
SELECT * FROM users WHERE id = $1
SELECT name FROM users WHERE id IN (1, 2, 3)
SELECT name FROM users WHERE tenant_id = 7
SELECT * FROM countries
SELECT 1
-- Merges
SELECT id, name FROM users ORDER BY name DESC, id LIMIT 10 OFFSET 5
SELECT id FROM users ORDER BY score NULLS FIRST
SELECT id FROM users ORDER BY id LIMIT $1 OFFSET $2
SELECT DISTINCT tenant_id FROM users
SELECT count(*), sum(score), avg(score), min(name), max(name) FROM users
SELECT tenant_id, count(*), avg(id) FROM users GROUP BY tenant_id ORDER BY 2 DESC LIMIT 10
SELECT tenant_id FROM users GROUP BY tenant_id HAVING count(*) > 1 AND max(score) < 10
SELECT id, count(*) FROM users GROUP BY id
-- Joins
SELECT u.name, o.amount FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = 5
SELECT u.name, c.name FROM users u JOIN countries c ON c.code = u.name
SELECT u.id FROM users u JOIN orders o ON o.id = u.id
-- Outer joins: the preserved side must be sharded and tied on vindex columns
SELECT u.id, o.amount FROM users u LEFT JOIN orders o ON o.user_id = u.id
SELECT o.user_id, count(*) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY o.user_id
SELECT u.id, count(*) FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id
SELECT c.code, u.id FROM countries c LEFT JOIN users u ON u.name = c.code
SELECT v.k, u.name FROM (VALUES (1), (4)) v(k) LEFT JOIN users u ON u.id = v.k
SELECT count(*) FROM users u FULL JOIN orders o ON o.user_id = u.id
SELECT count(*) FROM users u JOIN orders o ON o.amount = u.score LEFT JOIN users u2 ON u2.id = o.user_id AND u2.id = u.id
-- Names and values
SELECT score / 10 AS score, count(*) FROM users GROUP BY score
SELECT * FROM users WHERE id IN (2.5::int, 3)
SELECT * FROM users WHERE id = '7'::int8
SELECT count(*) FROM users WHERE id = NULL
WITH users AS (SELECT * FROM users WHERE id = 5) SELECT count(*) FROM users
-- Writes
INSERT INTO users (tenant_id, name) VALUES (1, 'a'), (2, 'b')
INSERT INTO users (id, name) VALUES ($1, $2)
INSERT INTO countries (code, name) VALUES ('DE', 'Germany')
UPDATE users SET name = 'x' WHERE id = 3
UPDATE users SET id = 4 WHERE id = 3
DELETE FROM users WHERE score < 0
UPDATE countries SET name = 'y'
CREATE TABLE t1 (id bigint PRIMARY KEY, v text)
CREATE TABLE t2 (v text)
-- Refusals
SELECT count(DISTINCT name) FROM users
SELECT id, rank() OVER (ORDER BY id) FROM users
SELECT * FROM users WHERE id IN (SELECT user_id FROM orders)
SELECT nosuch FROM missing
-- COPY
COPY users (tenant_id, name) FROM STDIN
COPY (SELECT id, name FROM users ORDER BY id) TO STDOUT WITH (FORMAT csv)
-- vindex types: range (integer bounds prune), consistent_hash, lookups
SELECT * FROM events WHERE ts = 150
SELECT * FROM events WHERE ts >= 100 AND ts < 200
SELECT * FROM events WHERE ts BETWEEN $1 AND $2
SELECT count(*) FROM events WHERE 250 < ts
SELECT * FROM events WHERE ts < 200.5
SELECT * FROM ring WHERE k = 7
SELECT * FROM members WHERE name = 'ann'
SELECT * FROM members WHERE name IN ('ann', 'bob') ORDER BY id
SELECT * FROM events WHERE kind = 'click'
SELECT * FROM members WHERE id = 3 AND name = 'ann'
INSERT INTO members (id, name) VALUES (1, 'ann'), (2, 'bob')
UPDATE members SET name = $1 WHERE id = $2
UPDATE members SET score = 1 WHERE name = 'ann'
DELETE FROM members WHERE name = 'ann'
DELETE FROM events WHERE ts > 250
-- another keyspace's tables
SELECT * FROM lookup.members_name WHERE name = 'ann'
