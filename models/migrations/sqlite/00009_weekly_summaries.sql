-- +goose Up
-- Weekly summaries: each week's published revisions, immutable once written,
-- so that a figure cited from revision N can always be found as it was.
CREATE TABLE weekly_summaries (
    id                    integer PRIMARY KEY AUTOINCREMENT,
    week                  text NOT NULL CHECK (week GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'),
    revision              integer NOT NULL CHECK (revision >= 1),
    week_start            text NOT NULL CHECK (week_start GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    data                  text NOT NULL,
    content_hash          text NOT NULL,
    changes               text NOT NULL DEFAULT '[]',
    model_version         text NOT NULL,
    generated_at          datetime NOT NULL,
    has_data              boolean NOT NULL,
    trucks_to_afghanistan integer NOT NULL CHECK (trucks_to_afghanistan >= 0),
    trucks_to_pakistan    integer NOT NULL CHECK (trucks_to_pakistan >= 0),
    hours_closed          real NOT NULL CHECK (hours_closed >= 0),
    UNIQUE (week, revision)
);
CREATE INDEX weekly_summaries_start ON weekly_summaries (week_start DESC, revision DESC);

-- Each rendered file of a revision: for all crossings (crossing '') or one.
CREATE TABLE weekly_summary_files (
    summary_id integer NOT NULL REFERENCES weekly_summaries(id) ON DELETE RESTRICT,
    crossing   text NOT NULL,
    format     text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'json')),
    content    blob NOT NULL,
    sha256     text NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (summary_id, crossing, format)
);

-- +goose StatementBegin
CREATE TRIGGER weekly_summaries_no_update BEFORE UPDATE ON weekly_summaries
BEGIN
    SELECT RAISE(ABORT, 'a published weekly summary never changes; publish a new revision');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER weekly_summaries_no_delete BEFORE DELETE ON weekly_summaries
BEGIN
    SELECT RAISE(ABORT, 'a published weekly summary never changes; publish a new revision');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER weekly_summary_files_no_update BEFORE UPDATE ON weekly_summary_files
BEGIN
    SELECT RAISE(ABORT, 'a published weekly summary never changes; publish a new revision');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER weekly_summary_files_no_delete BEFORE DELETE ON weekly_summary_files
BEGIN
    SELECT RAISE(ABORT, 'a published weekly summary never changes; publish a new revision');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER weekly_summary_files_no_delete;
DROP TRIGGER weekly_summary_files_no_update;
DROP TRIGGER weekly_summaries_no_delete;
DROP TRIGGER weekly_summaries_no_update;
DROP TABLE weekly_summary_files;
DROP TABLE weekly_summaries;
