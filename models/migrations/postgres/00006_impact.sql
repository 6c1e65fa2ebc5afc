-- +goose Up
-- The closure cost model: the assumptions it adds to the categories' (see
-- docs/ASSUMPTIONS.md) and the results it stores. docs/METHODOLOGY.md gives
-- the method.

-- Customs revenue a crossing brings in on an open day, in US dollars. A
-- crossing without a row is taken to bring in nothing until an
-- administrator says otherwise.
CREATE TABLE crossing_assumptions (
    crossing_id                 bigint PRIMARY KEY REFERENCES crossings(id) ON DELETE CASCADE,
    customs_revenue_per_day_usd double precision NOT NULL CHECK (customs_revenue_per_day_usd >= 0),
    source                      text NOT NULL DEFAULT '',
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

-- The exchange rates the defaults were converted at: units of a currency to the dollar.
CREATE TABLE exchange_rates (
    currency      text PRIMARY KEY CHECK (currency ~ '^[A-Z]{3}$'),
    units_per_usd double precision NOT NULL CHECK (units_per_usd > 0),
    source        text NOT NULL DEFAULT '',
    as_of         date NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO exchange_rates (currency, units_per_usd, source, as_of) VALUES
    ('PKR', 280, 'State Bank of Pakistan interbank rate, rounded; the rate behind the truck holding charge', '2025-10-31'),
    ('AFN', 70, 'Da Afghanistan Bank rate, rounded', '2025-10-31');

-- Torkham: customs collect about Rs 50M a day (customs, Oct 2025) at Rs 280
-- to the dollar. Chaman: no published figure; taken in proportion to its
-- trade, 45% of Torkham's (Rs 22.5M a day).
INSERT INTO crossing_assumptions (crossing_id, customs_revenue_per_day_usd, source)
    SELECT id, 178571.43, 'Rs 50M a day (Pakistan Customs, Oct 2025) at Rs 280 to the dollar'
    FROM crossings WHERE slug = 'torkham';
INSERT INTO crossing_assumptions (crossing_id, customs_revenue_per_day_usd, source)
    SELECT id, 80357.14, 'assumed 45% of Torkham''s Rs 50M a day, in proportion to trade: Rs 22.5M at Rs 280 to the dollar'
    FROM crossings WHERE slug = 'chaman';

-- The assumptions estimates were computed with, as JSON (model version,
-- exchange rates, the crossing's customs revenue, every category's
-- valuation), once per distinct set: kept for good, so that a number
-- published from an earlier set can still be reproduced.
CREATE TABLE impact_assumptions (
    hash        text PRIMARY KEY,
    assumptions text NOT NULL
);

-- One row per closure episode: a run of consecutive days on which cargo
-- could not cross for part of the day or all of it. The estimates are null
-- when status is insufficient_data.
CREATE TABLE closure_episodes (
    crossing_id                      bigint NOT NULL REFERENCES crossings(id) ON DELETE CASCADE,
    start_date                       date NOT NULL,
    end_date                         date NOT NULL CHECK (end_date >= start_date),
    days                             integer NOT NULL CHECK (days >= 1),
    ongoing                          boolean NOT NULL,
    reason                           text,
    status                           text NOT NULL CHECK (status IN ('ok', 'insufficient_data')),
    baseline_days_used               integer NOT NULL CHECK (baseline_days_used BETWEEN 0 AND 28),
    trucks_foregone_low              double precision,
    trucks_foregone_central          double precision,
    trucks_foregone_high             double precision,
    trade_value_foregone_low_usd     double precision,
    trade_value_foregone_central_usd double precision,
    trade_value_foregone_high_usd    double precision,
    trucks_waiting                   double precision,
    holding_cost_usd                 double precision,
    spoilage_usd                     double precision,
    humanitarian_trucks_foregone     double precision,
    customs_revenue_foregone_usd     double precision NOT NULL,
    trucks_recovered                 double precision,
    net_trucks_foregone              double precision,
    net_trade_value_foregone_usd     double precision,
    model_version                    text NOT NULL,
    assumptions_hash                 text NOT NULL REFERENCES impact_assumptions(hash),
    PRIMARY KEY (crossing_id, start_date)
);

-- Each day of an episode, for the crossing as a whole. The days and the
-- episodes are only ever replaced together, in one transaction, so no
-- foreign key ties them: checking one for each of the tens of thousands of
-- rows a full recompute deletes and writes would double its time.
CREATE TABLE closure_days (
    crossing_id                  bigint NOT NULL,
    day                          date NOT NULL,
    episode_start                date NOT NULL,
    closure_share                double precision NOT NULL CHECK (closure_share > 0 AND closure_share <= 1),
    reported                     boolean NOT NULL,
    customs_revenue_foregone_usd double precision NOT NULL,
    PRIMARY KEY (crossing_id, day)
);

-- Each day of an episode by direction and cargo category (loaded only).
-- No foreign key to cargo_categories either, for the same reason: a
-- category in use by daily_figures cannot be deleted anyway.
CREATE TABLE impact_days (
    crossing_id                      bigint NOT NULL,
    day                              date NOT NULL,
    direction                        text NOT NULL CHECK (direction IN ('to_afghanistan', 'to_pakistan')),
    category_id                      bigint NOT NULL,
    episode_start                    date NOT NULL,
    trucks_actual                    double precision NOT NULL,
    trucks_baseline_low              double precision NOT NULL,
    trucks_baseline_central          double precision NOT NULL,
    trucks_baseline_high             double precision NOT NULL,
    trucks_foregone_low              double precision NOT NULL,
    trucks_foregone_central          double precision NOT NULL,
    trucks_foregone_high             double precision NOT NULL,
    trade_value_foregone_low_usd     double precision NOT NULL,
    trade_value_foregone_central_usd double precision NOT NULL,
    trade_value_foregone_high_usd    double precision NOT NULL,
    trucks_waiting                   double precision NOT NULL,
    holding_cost_usd                 double precision NOT NULL,
    spoilage_usd                     double precision NOT NULL,
    humanitarian_trucks_foregone     double precision NOT NULL,
    PRIMARY KEY (crossing_id, day, direction, category_id)
);

-- The incremental run finds the figures changed since its last run.
CREATE INDEX daily_figures_updated_at ON daily_figures (updated_at);

-- +goose Down
DROP INDEX daily_figures_updated_at;
DROP TABLE impact_days;
DROP TABLE closure_days;
DROP TABLE closure_episodes;
DROP TABLE impact_assumptions;
DROP TABLE exchange_rates;
DROP TABLE crossing_assumptions;
