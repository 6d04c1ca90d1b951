CREATE TABLE tenants (id bigint PRIMARY KEY, name text, plan text, score integer, created date);
CREATE TABLE users (id bigint NOT NULL, tenant_id bigint NOT NULL, name text, email text, age integer, balance numeric(12,2), rating double precision, active boolean, PRIMARY KEY (id, tenant_id));
CREATE TABLE orders (id bigint NOT NULL, tenant_id bigint NOT NULL, user_id bigint, amount numeric(10,2), qty integer, status text, PRIMARY KEY (id, tenant_id));
CREATE TABLE items (id bigint PRIMARY KEY, tenant_id bigint, sku text, price numeric(10,2), weight double precision);
CREATE TABLE payments (id bigint NOT NULL, tenant_id bigint NOT NULL, amount numeric(12,2), method text, PRIMARY KEY (id, tenant_id));
CREATE TABLE plans (code text PRIMARY KEY, label text, price numeric(8,2), seats integer);
CREATE TABLE regions (id integer PRIMARY KEY, name text, tenant_id bigint)
