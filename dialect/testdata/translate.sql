-- one statement per line; regenerate with: go test ./dialect/ -update
SELECT * FROM users
SELECT id, name AS n, 1, 2.5, 'x', true, NULL, 9999999999 FROM users
SELECT u.*, o.amount FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = $1
SELECT * FROM users JOIN orders USING (id)
SELECT id::int, age::text, '5'::int, balance::float8, 3::numeric(5,1) FROM users
SELECT count(*), count(DISTINCT age), sum(age), sum(id), sum(balance), avg(age), avg(score), min(created), max(email) FROM users
SELECT age + id, age * 2, score / 2, age / 2, balance + 1, -age FROM users
SELECT name FROM users WHERE name LIKE 'a%_\%*' AND email ILIKE $1 AND name NOT LIKE $2
SELECT name FROM users WHERE age IN ($1, $2) AND active = $3 AND created > $4 LIMIT $5 OFFSET $6
SELECT name FROM users ORDER BY age DESC, name ASC NULLS FIRST, 1
SELECT age, count(*) FROM users GROUP BY age HAVING count(*) > 1
SELECT DISTINCT age FROM users
SELECT (SELECT max(amount) FROM orders o WHERE o.user_id = u.id) AS top, EXISTS (SELECT 1 FROM orders) FROM users u
SELECT greatest(age, 3), least(score, 1.5), coalesce(name, 'x'), nullif(age, 0) FROM users
SELECT CASE age WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN active THEN 1 ELSE 0 END FROM users
SELECT now(), current_timestamp, current_date
SELECT id FROM users UNION SELECT id FROM orders INTERSECT SELECT 1 ORDER BY 1
WITH big AS (SELECT * FROM orders WHERE amount > 10) SELECT user_id, amount FROM big
SELECT x FROM (SELECT id AS x FROM users) s WHERE x > 1
SELECT created = '2024-01-01 10:00:00+02', active = 'yes', balance = '12.345' FROM users
SELECT id FROM users WHERE active IS NOT TRUE AND age IS DISTINCT FROM 3 AND age BETWEEN 1 AND 10
SELECT id FROM users FOR UPDATE
INSERT INTO users (id, name, balance, active) VALUES (1, 'a', 12.345, 't'), ($1, $2, $3, $4)
INSERT INTO users VALUES (DEFAULT, 'a')
INSERT INTO orders (id, user_id, amount) SELECT id, id, 1 FROM users ON CONFLICT (id) DO UPDATE SET amount = excluded.amount WHERE orders.amount < excluded.amount RETURNING *
INSERT INTO orders (id) VALUES (1) ON CONFLICT DO NOTHING
UPDATE users SET name = $1, age = age + 1 WHERE id = $2 RETURNING id, name
DELETE FROM orders o WHERE o.amount < $1
CREATE TABLE t (id serial PRIMARY KEY, a varchar(10) NOT NULL DEFAULT 'x', b numeric(10,2) CHECK (b > 0), c boolean DEFAULT false, d timestamptz DEFAULT now(), e bigint GENERATED ALWAYS AS IDENTITY, f double precision, g real, h uuid, i json, j date DEFAULT current_date, UNIQUE (a, b), CONSTRAINT fk FOREIGN KEY (e) REFERENCES users (id) ON DELETE CASCADE)
CREATE TABLE IF NOT EXISTS t2 (a int, b text, PRIMARY KEY (a, b))
DROP TABLE IF EXISTS t
DROP TABLE t CASCADE
ALTER TABLE users ADD COLUMN nick text DEFAULT 'n'
ALTER TABLE users DROP COLUMN nick
ALTER TABLE users RENAME COLUMN name TO full_name
ALTER TABLE users RENAME TO people
CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users (email DESC) WHERE active
CREATE INDEX ON orders (user_id, day)
DROP INDEX IF EXISTS users_email
TRUNCATE users
BEGIN
SET search_path = public
SHOW TimeZone
-- refusals and errors
SELECT DISTINCT ON (age) age FROM users
SELECT row_number() OVER () FROM users
SELECT md5(name) FROM users
SELECT balance / 2 FROM users
SELECT score::int FROM users
SELECT name || score FROM users
SELECT x FROM users
SELECT * FROM nope
SELECT id FROM users JOIN orders ON true
SELECT name FROM users WHERE age = 'abc'
SELECT name FROM users WHERE name = 1
UPDATE users SET name = o.id FROM orders o
WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r
CREATE TABLE x (a interval)
SELECT 1; SELECT 2
WITH a AS (SELECT id FROM users) SELECT * FROM (SELECT id FROM a) s
-- numeric columns SQLite's REAL would change
CREATE TABLE x (a numeric)
CREATE TABLE x (a numeric(20,2))
CREATE TABLE x (a numeric(15,2), b numeric(15))
-- quoted names with upper-case letters are stored encoded
CREATE TABLE "MixedCase" ("Id" int PRIMARY KEY, "A^b" text, lower_ok int)
CREATE INDEX "Idx" ON "MixedCase" ("A^b")
-- exact numeric and integer range checks
SELECT balance * age, balance / 3, -(balance * 2), abs(age), substr(name, -1, 2) FROM users
SELECT CASE WHEN active THEN name ELSE email END, CASE WHEN active THEN 'x' END, true FROM users
SELECT DISTINCT balance * 2 FROM users
SELECT DISTINCT balance / 2 FROM users
SELECT * FROM (VALUES (2.50), (1)) v(x)
SELECT * FROM (VALUES (2.5), (1), (3000000000)) v(x)
SELECT * FROM (VALUES (1), ('a'::text)) v(x)
SELECT balance FROM users UNION SELECT 0
SELECT balance FROM users UNION ALL SELECT 1.25
SELECT age FROM users UNION SELECT 2
