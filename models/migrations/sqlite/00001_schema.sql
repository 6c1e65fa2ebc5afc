-- +goose Up
CREATE TABLE crossings (
    id            integer PRIMARY KEY AUTOINCREMENT,
    slug          text NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 40 AND slug NOT GLOB '*[^a-z0-9-]*' AND slug NOT GLOB '-*'),
    name          text NOT NULL CHECK (name <> ''),
    afghan_side   text NOT NULL DEFAULT '',
    province      text NOT NULL DEFAULT '',
    latitude      real NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude     real NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    time_zone     text NOT NULL DEFAULT 'Asia/Karachi',
    hours         text NOT NULL DEFAULT '',
    records_from  text NOT NULL CHECK (records_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    sort_order    integer NOT NULL DEFAULT 0,
    active        boolean NOT NULL DEFAULT 1,
    created_at    datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE cargo_categories (
    id                       integer PRIMARY KEY AUTOINCREMENT,
    code                     text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 40 AND code NOT GLOB '*[^a-z0-9_]*' AND code GLOB '[a-z]*'),
    name                     text NOT NULL CHECK (name <> ''),
    usual_direction          text NOT NULL CHECK (usual_direction IN ('both', 'to_afghanistan', 'to_pakistan')),
    loaded                   boolean NOT NULL DEFAULT 1,
    perishable               boolean NOT NULL DEFAULT 0,
    humanitarian             boolean NOT NULL DEFAULT 0,
    value_per_truck_usd      real NOT NULL CHECK (value_per_truck_usd >= 0),
    shelf_life_days          integer CHECK (shelf_life_days > 0),
    daily_spoilage_rate      real NOT NULL DEFAULT 0 CHECK (daily_spoilage_rate BETWEEN 0 AND 1),
    holding_cost_usd_per_day real NOT NULL CHECK (holding_cost_usd_per_day >= 0),
    assumption_source        text NOT NULL DEFAULT '',
    sort_order               integer NOT NULL DEFAULT 0,
    updated_at               datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE users (
    id            integer PRIMARY KEY AUTOINCREMENT,
    username      text NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 40 AND username NOT GLOB '*[^a-z0-9._-]*' AND username GLOB '[a-z0-9]*'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('officer', 'supervisor', 'admin')),
    disabled      boolean NOT NULL DEFAULT 0,
    created_at    datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at    datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'))
);

CREATE TABLE user_crossings (
    user_id     integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    crossing_id integer NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, crossing_id)
);

CREATE TABLE status_changes (
    id           integer PRIMARY KEY AUTOINCREMENT,
    crossing_id  integer NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    state        text NOT NULL CHECK (state IN ('open', 'closed', 'restricted')),
    scope        text CHECK (scope IN ('cargo_closed', 'pedestrians_only', 'humanitarian_only', 'reduced_hours', 'other')),
    reason       text CHECK (reason IN ('security', 'political', 'protest', 'documentation', 'maintenance', 'weather', 'holiday', 'other')),
    note         text NOT NULL DEFAULT '',
    effective_at datetime NOT NULL,
    recorded_at  datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    recorded_by  integer REFERENCES users(id) ON DELETE RESTRICT,
    source       text NOT NULL CHECK (source IN ('form', 'api', 'import', 'demo', 'seed')),
    UNIQUE (crossing_id, effective_at),
    CHECK ((state = 'restricted') = (scope IS NOT NULL)),
    CHECK (state = 'open' OR reason IS NOT NULL)
);
CREATE INDEX status_changes_crossing_effective ON status_changes (crossing_id, effective_at DESC);

CREATE TABLE daily_figures (
    id          integer PRIMARY KEY AUTOINCREMENT,
    crossing_id integer NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    day         text NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    direction   text NOT NULL CHECK (direction IN ('to_afghanistan', 'to_pakistan')),
    category_id integer NOT NULL REFERENCES cargo_categories(id) ON DELETE RESTRICT,
    regime      text NOT NULL DEFAULT 'bilateral' CHECK (regime IN ('bilateral', 'transit')),
    trucks      integer NOT NULL CHECK (typeof(trucks) = 'integer' AND trucks >= 0),
    tonnes      real CHECK (tonnes >= 0),
    value_usd   real CHECK (value_usd >= 0),
    verified    boolean NOT NULL DEFAULT 0,
    entered_by  integer REFERENCES users(id) ON DELETE RESTRICT,
    source      text NOT NULL CHECK (source IN ('form', 'api', 'import', 'demo')),
    created_at  datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_at  datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    UNIQUE (crossing_id, day, direction, category_id, regime)
);
CREATE INDEX daily_figures_day ON daily_figures (day);

-- The audit log is append-only: the database itself refuses to change or remove a row.
CREATE TABLE audit_log (
    id          integer PRIMARY KEY AUTOINCREMENT,
    at          datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    user_id     integer REFERENCES users(id) ON DELETE RESTRICT,
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
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

CREATE TABLE job_runs (
    id           integer PRIMARY KEY AUTOINCREMENT,
    job          text NOT NULL,
    period       text NOT NULL,
    started_at   datetime NOT NULL,
    finished_at  datetime,
    status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    error        text NOT NULL DEFAULT '',
    rows_written integer NOT NULL DEFAULT 0 CHECK (rows_written >= 0),
    UNIQUE (job, period)
);

-- Server-side sessions, in the shape the session manager stores them.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   blob NOT NULL,
    expiry datetime NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
DROP TABLE job_runs;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE daily_figures;
DROP TABLE status_changes;
DROP TABLE user_crossings;
DROP TABLE users;
DROP TABLE cargo_categories;
DROP TABLE crossings;
