-- +goose Up
-- A crossing-day's figures as a whole: the version that concurrent edits are
-- checked against, and whether a supervisor has verified them.
CREATE TABLE crossing_days (
    crossing_id bigint NOT NULL REFERENCES crossings(id) ON DELETE RESTRICT,
    day         date NOT NULL,
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    verified_at timestamptz,
    verified_by bigint REFERENCES users(id) ON DELETE RESTRICT,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint REFERENCES users(id) ON DELETE RESTRICT,
    PRIMARY KEY (crossing_id, day),
    CHECK (verified_by IS NULL OR verified_at IS NOT NULL)
);
INSERT INTO crossing_days (crossing_id, day, version, verified_at, updated_at)
    SELECT crossing_id, day, 1, CASE WHEN bool_and(verified) THEN max(updated_at) END, max(updated_at)
    FROM daily_figures GROUP BY crossing_id, day;
ALTER TABLE daily_figures DROP COLUMN verified;

-- Above this many loaded trucks a day in one direction, a supervisor must confirm.
CREATE TABLE plausibility_limits (
    crossing_id bigint NOT NULL REFERENCES crossings(id) ON DELETE CASCADE,
    direction   text NOT NULL CHECK (direction IN ('to_afghanistan', 'to_pakistan')),
    max_trucks  integer NOT NULL CHECK (max_trucks > 0),
    updated_at  timestamptz NOT NULL DEFAULT now(),
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
ALTER TABLE daily_figures ADD COLUMN verified boolean NOT NULL DEFAULT false;
UPDATE daily_figures f SET verified = true FROM crossing_days d
    WHERE d.crossing_id = f.crossing_id AND d.day = f.day AND d.verified_at IS NOT NULL;
DROP TABLE crossing_days;
