-- +goose Up
-- Weekly summaries: each week's published revisions, immutable once written,
-- so that a figure cited from revision N can always be found as it was.
CREATE TABLE weekly_summaries (
    id                    bigserial PRIMARY KEY,
    week                  text NOT NULL CHECK (week ~ '^[0-9]{4}-W[0-9]{2}$'),
    revision              integer NOT NULL CHECK (revision >= 1),
    week_start            date NOT NULL,
    data                  text NOT NULL,
    content_hash          text NOT NULL,
    changes               text NOT NULL DEFAULT '[]',
    model_version         text NOT NULL,
    generated_at          timestamptz NOT NULL,
    has_data              boolean NOT NULL,
    trucks_to_afghanistan integer NOT NULL CHECK (trucks_to_afghanistan >= 0),
    trucks_to_pakistan    integer NOT NULL CHECK (trucks_to_pakistan >= 0),
    hours_closed          double precision NOT NULL CHECK (hours_closed >= 0),
    UNIQUE (week, revision)
);
CREATE INDEX weekly_summaries_start ON weekly_summaries (week_start DESC, revision DESC);

-- Each rendered file of a revision: for all crossings (crossing '') or one.
CREATE TABLE weekly_summary_files (
    summary_id bigint NOT NULL REFERENCES weekly_summaries(id) ON DELETE RESTRICT,
    crossing   text NOT NULL,
    format     text NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf', 'json')),
    content    bytea NOT NULL,
    sha256     text NOT NULL CHECK (length(sha256) = 64),
    PRIMARY KEY (summary_id, crossing, format)
);

-- +goose StatementBegin
CREATE FUNCTION weekly_summaries_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published weekly summary never changes; publish a new revision';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER weekly_summaries_no_update BEFORE UPDATE OR DELETE ON weekly_summaries
    FOR EACH ROW EXECUTE FUNCTION weekly_summaries_immutable();
CREATE TRIGGER weekly_summary_files_no_update BEFORE UPDATE OR DELETE ON weekly_summary_files
    FOR EACH ROW EXECUTE FUNCTION weekly_summaries_immutable();

-- +goose Down
DROP TABLE weekly_summary_files;
DROP TABLE weekly_summaries;
DROP FUNCTION weekly_summaries_immutable();
