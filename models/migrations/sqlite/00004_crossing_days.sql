-- +goose Up
-- A crossing-day's figures as a whole: the version that concurrent edits are
-- checked against, and whether a supervisor has verified them.
CREATE TABLE crossing_days (
    crossing_id integer NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    day         text NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    verified_at datetime,
    verified_by integer REFERENCES users(id) ON DELETE RESTRICT,
    updated_at  datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    updated_by  integer REFERENCES users(id) ON DELETE RESTRICT,
    PRIMARY KEY (crossing_id, day),
    CHECK (verified_by IS NULL OR verified_at IS NOT NULL)
);
INSERT INTO crossing_days (crossing_id, day, version, verified_at, updated_at)
    SELECT crossing_id, day, 1, CASE WHEN min(verified) = 1 THEN max(updated_at) END, max(updated_at)
    FROM daily_figures GROUP BY crossing_id, day;
ALTER TABLE daily_figures DROP COLUMN verified;

-- Above this many loaded trucks a day in one direction, a supervisor must confirm.
CREATE TABLE plausibility_limits (
    crossing_id integer NOT NULL REFERENCES crossings(id) ON DELETE CASCADE,
    direction   text NOT NULL CHECK (direction IN ('to_afghanistan', 'to_pakistan')),
    max_trucks  integer NOT NULL CHECK (max_trucks > 0),
    updated_at  datetime NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    PRIMARY KEY (crossing_id, direction)
);
-- Torkham peaks at about 1,600 trucks a day loaded and empty (UrduPoint 2019)
-- and 363 to Afghanistan on one busy day (Business Recorder 2021); Chaman
-- carries under half of that.
INSERT INTO plausibility_limits (crossing_id, direction, max_trucks)
    SELECT id, d.direction, CASE slug WHEN 'torkham' THEN 1000 ELSE 500 END
    FROM crossings CROSS JOIN (SELECT 'to_afghanistan' AS direction UNION ALL SELECT 'to_pakistan') AS d;

-- +goose Down
DROP TABLE plausibility_limits;
ALTER TABLE daily_figures ADD COLUMN verified boolean NOT NULL DEFAULT 0;
UPDATE daily_figures SET verified = 1 WHERE EXISTS (SELECT 1 FROM crossing_days d
    WHERE d.crossing_id = daily_figures.crossing_id AND d.day = daily_figures.day AND d.verified_at IS NOT NULL);
DROP TABLE crossing_days;
