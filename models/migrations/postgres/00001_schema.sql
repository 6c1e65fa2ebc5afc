-- +goose Up
CREATE TABLE crossings (
    id            bigserial PRIMARY KEY,
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name          text NOT NULL CHECK (name <> ''),
    afghan_side   text NOT NULL DEFAULT '',
    province      text NOT NULL DEFAULT '',
    latitude      double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    time_zone     text NOT NULL DEFAULT 'Asia/Karachi',
    hours         text NOT NULL DEFAULT '',
    records_from  date NOT NULL,
    sort_order    integer NOT NULL DEFAULT 0,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cargo_categories (
    id                       bigserial PRIMARY KEY,
    code                     text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name                     text NOT NULL CHECK (name <> ''),
    usual_direction          text NOT NULL CHECK (usual_direction IN ('both', 'to_afghanistan', 'to_pakistan')),
    loaded                   boolean NOT NULL DEFAULT true,
    perishable               boolean NOT NULL DEFAULT false,
    humanitarian             boolean NOT NULL DEFAULT false,
    value_per_truck_usd      numeric(14,2) NOT NULL CHECK (value_per_truck_usd >= 0),
    shelf_life_days          integer CHECK (shelf_life_days > 0),
    daily_spoilage_rate      double precision NOT NULL DEFAULT 0 CHECK (daily_spoilage_rate BETWEEN 0 AND 1),
    holding_cost_usd_per_day numeric(10,2) NOT NULL CHECK (holding_cost_usd_per_day >= 0),
    assumption_source        text NOT NULL DEFAULT '',
    sort_order               integer NOT NULL DEFAULT 0,
    updated_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_crossings (
    user_id     bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    crossing_id bigint NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, crossing_id)
);

CREATE TABLE status_changes (
    id           bigserial PRIMARY KEY,
    crossing_id  bigint NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    state        text NOT NULL CHECK (state IN ('open', 'closed', 'restricted')),
    scope        text CHECK (scope IN ('cargo_closed', 'pedestrians_only', 'humanitarian_only', 'reduced_hours', 'other')),
    reason       text CHECK (reason IN ('security', 'political', 'protest', 'documentation', 'maintenance', 'weather', 'holiday', 'other')),
    note         text NOT NULL DEFAULT '',
    effective_at timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  bigint REFERENCES users(id) ON DELETE RESTRICT,
    source       text NOT NULL CHECK (source IN ('form', 'api', 'import', 'demo', 'seed')),
    UNIQUE (crossing_id, effective_at),
    CHECK ((state = 'restricted') = (scope IS NOT NULL)),
    CHECK (state = 'open' OR reason IS NOT NULL)
);
CREATE INDEX status_changes_crossing_effective ON status_changes (crossing_id, effective_at DESC);

CREATE TABLE daily_figures (
    id          bigserial PRIMARY KEY,
    crossing_id bigint NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    day         date NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('to_afghanistan', 'to_pakistan')),
    category_id bigint NOT NULL REFERENCES cargo_categories(id) ON DELETE RESTRICT,
    regime      text NOT NULL DEFAULT 'bilateral' CHECK (regime IN ('bilateral', 'transit')),
    trucks      integer NOT NULL CHECK (trucks >= 0),
    tonnes      numeric(12,1) CHECK (tonnes >= 0),
    value_usd   numeric(16,2) CHECK (value_usd >= 0),
    verified    boolean NOT NULL DEFAULT false,
    entered_by  bigint REFERENCES users(id) ON DELETE RESTRICT,
    source      text NOT NULL CHECK (source IN ('form', 'api', 'import', 'demo')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (crossing_id, day, direction, category_id, regime)
);
CREATE INDEX daily_figures_day ON daily_figures (day);

-- The audit log is append-only: the database itself refuses to change or remove a row.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     bigint REFERENCES users(id) ON DELETE RESTRICT,
    actor       text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE job_runs (
    id           bigserial PRIMARY KEY,
    job          text NOT NULL,
    period       text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error        text NOT NULL DEFAULT '',
    rows_written integer NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
    UNIQUE (job, period)
);

-- Server-side sessions, in the shape the session manager stores them.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE job_runs;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE daily_figures;
DROP TABLE status_changes;
DROP TABLE user_crossings;
DROP TABLE users;
DROP TABLE cargo_categories;
DROP TABLE crossings;
