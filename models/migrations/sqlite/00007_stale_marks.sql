-- +goose Up
-- What the stale-data job found when it last looked at each crossing: whether
-- its status has gone unconfirmed for too long, and whether the figures of
-- its previous local day are missing. The job replaces every row each run.
CREATE TABLE stale_marks (
    crossing_id        integer PRIMARY KEY REFERENCES crossings(id) ON DELETE CASCADE,
    computed_at        datetime NOT NULL,
    status_overdue     boolean NOT NULL,
    status_recorded_at datetime,
    figures_overdue    boolean NOT NULL,
    figures_day        text NOT NULL CHECK (figures_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')
);

-- +goose Down
DROP TABLE stale_marks;
