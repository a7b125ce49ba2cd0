-- A sample target database: a small shop's application schema with deterministic rows, for the demo and
-- the tests. Not a portal migration: load it into a database that QueryGate queries, e.g.
--
--     createdb customer_db && psql -v ON_ERROR_STOP=1 -d customer_db -f Migrations/target_db_schema.sql
--
-- Idempotent: tables are created if missing and rows inserted only once.
BEGIN;

CREATE TABLE IF NOT EXISTS customers (
    id         BIGINT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    full_name  TEXT NOT NULL,
    country    TEXT NOT NULL,
    -- NULL means the customer never opted in; kept distinct from an empty string on purpose.
    phone      TEXT,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id          BIGINT PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    price       NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    tags        TEXT[] NOT NULL DEFAULT '{}',
    attributes  JSONB NOT NULL DEFAULT '{}'::jsonb,
    in_stock    BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE IF NOT EXISTS orders (
    id          BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    status      TEXT NOT NULL CHECK (status IN ('placed', 'paid', 'shipped', 'delivered', 'refunded')),
    placed_at   TIMESTAMPTZ NOT NULL,
    note        TEXT
);
CREATE INDEX IF NOT EXISTS orders_customer_idx ON orders (customer_id);

CREATE TABLE IF NOT EXISTS order_items (
    order_id   BIGINT NOT NULL REFERENCES orders (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(10, 2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- 200 customers, 40 products, 1,000 orders of 1 to 3 items. Every value is a function of the row number,
-- so tests can compute what a query must return.
INSERT INTO customers (id, email, full_name, country, phone, created_at)
SELECT n,
       'customer' || n || '@example.com',
       (ARRAY['Ada', 'Grace', 'Linus', 'Barbara', 'Edsger', 'Frances', 'Ken', 'Radia'])[1 + n % 8]
           || ' ' || (ARRAY['Lovelace', 'Hopper', 'Torvalds', 'Liskov', 'Dijkstra', 'Allen', 'Thompson', 'Perlman'])[1 + (n / 8) % 8],
       (ARRAY['DE', 'FR', 'US', 'JP', 'BR'])[1 + n % 5],
       CASE WHEN n % 4 = 0 THEN NULL WHEN n % 4 = 1 THEN '' ELSE '+49 30 ' || lpad(n::text, 6, '0') END,
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + n * INTERVAL '1 day'
FROM generate_series(1, 200) AS n
ON CONFLICT DO NOTHING;

INSERT INTO products (id, sku, name, price, tags, attributes, in_stock)
SELECT n,
       'SKU-' || lpad(n::text, 4, '0'),
       (ARRAY['Widget', 'Gadget', 'Sprocket', 'Gizmo'])[1 + n % 4] || ' ' || n,
       (n * 3.25)::numeric(10, 2),
       ARRAY[(ARRAY['hardware', 'tools', 'garden', 'office'])[1 + n % 4]],
       jsonb_build_object('weight_g', n * 10, 'color', (ARRAY['red', 'green', 'blue'])[1 + n % 3]),
       n % 7 <> 0
FROM generate_series(1, 40) AS n
ON CONFLICT DO NOTHING;

INSERT INTO orders (id, customer_id, status, placed_at, note)
SELECT n,
       1 + (n * 7) % 200,
       (ARRAY['placed', 'paid', 'shipped', 'delivered', 'refunded'])[1 + n % 5],
       TIMESTAMPTZ '2024-06-01 09:00:00+00' + n * INTERVAL '2 hours',
       CASE WHEN n % 10 = 0 THEN 'gift wrap' END
FROM generate_series(1, 1000) AS n
ON CONFLICT DO NOTHING;

INSERT INTO order_items (order_id, product_id, quantity, unit_price)
SELECT o, 1 + (o * k * 13) % 40, 1 + (o + k) % 3, ((1 + (o * k * 13) % 40) * 3.25)::numeric(10, 2)
FROM generate_series(1, 1000) AS o, generate_series(1, 3) AS k
WHERE k <= 1 + o % 3
ON CONFLICT DO NOTHING;

COMMIT;
