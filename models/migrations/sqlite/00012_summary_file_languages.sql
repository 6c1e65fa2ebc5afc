-- +goose Up
-- The PDF and XLSX of a weekly summary are stored in each language the site
-- speaks; the CSV and JSON, written for machines, once (lang ''). Files
-- published before were English only. The language joins the primary key,
-- which SQLite changes only by building the table anew.
CREATE TABLE weekly_summary_files_new (
    summary_id integer NOT NULL REFERENCES weekly_summaries(id) ON DELETE RESTRICT,
    crossing   text NOT NULL,
    format     text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'json')),
    lang       text NOT NULL CHECK ((format IN ('csv', 'json')) = (lang = '')),
    content    blob NOT NULL,
    sha256     text NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (summary_id, crossing, format, lang)
);
INSERT INTO weekly_summary_files_new (summary_id, crossing, format, lang, content, sha256)
    SELECT summary_id, crossing, format, CASE WHEN format IN ('pdf', 'xlsx') THEN 'en' ELSE '' END, content, sha256
    FROM weekly_summary_files;
DROP TABLE weekly_summary_files;
ALTER TABLE weekly_summary_files_new RENAME TO weekly_summary_files;

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
CREATE TABLE weekly_summary_files_old (
    summary_id integer NOT NULL REFERENCES weekly_summaries(id) ON DELETE RESTRICT,
    crossing   text NOT NULL,
    format     text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'json')),
    content    blob NOT NULL,
    sha256     text NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (summary_id, crossing, format)
);
INSERT INTO weekly_summary_files_old (summary_id, crossing, format, content, sha256)
    SELECT summary_id, crossing, format, content, sha256 FROM weekly_summary_files WHERE lang IN ('', 'en');
DROP TABLE weekly_summary_files;
ALTER TABLE weekly_summary_files_old RENAME TO weekly_summary_files;
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
