CREATE TABLE customers (id bigint PRIMARY KEY, name text, country text, score integer, balance numeric(12,2), rating double precision, active boolean, created date);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, amount numeric(10,2), qty integer, status text, note varchar(40));
CREATE TABLE countries (code text PRIMARY KEY, name text, region text);
CREATE TABLE events (ts bigint PRIMARY KEY, kind text, val integer);
CREATE TABLE accounts (id bigint PRIMARY KEY, email text, region text, amount numeric(10,2));
CREATE TABLE visits (id bigint PRIMARY KEY, day date NOT NULL, amount integer);
CREATE TABLE pings (at timestamp PRIMARY KEY, v integer);
