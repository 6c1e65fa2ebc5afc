-- +goose Up
-- The PDF and XLSX of a weekly summary are stored in each language the site
-- speaks; the CSV and JSON, written for machines, once (lang ''). Files
-- published before were English only.
ALTER TABLE weekly_summary_files ADD COLUMN lang text NOT NULL DEFAULT '';
-- Published files never change; this one relabelling says what they were.
ALTER TABLE weekly_summary_files DISABLE TRIGGER weekly_summary_files_no_update;
UPDATE weekly_summary_files SET lang = 'en' WHERE format IN ('pdf', 'xlsx');
ALTER TABLE weekly_summary_files ENABLE TRIGGER weekly_summary_files_no_update;
ALTER TABLE weekly_summary_files ALTER COLUMN lang DROP DEFAULT;
ALTER TABLE weekly_summary_files ADD CONSTRAINT weekly_summary_files_lang
    CHECK ((format IN ('csv', 'json')) = (lang = ''));
ALTER TABLE weekly_summary_files DROP CONSTRAINT weekly_summary_files_pkey;
ALTER TABLE weekly_summary_files ADD PRIMARY KEY (summary_id, crossing, format, lang);

-- +goose Down
ALTER TABLE weekly_summary_files DISABLE TRIGGER weekly_summary_files_no_update;
DELETE FROM weekly_summary_files WHERE lang NOT IN ('', 'en');
ALTER TABLE weekly_summary_files ENABLE TRIGGER weekly_summary_files_no_update;
ALTER TABLE weekly_summary_files DROP CONSTRAINT weekly_summary_files_pkey;
ALTER TABLE weekly_summary_files DROP CONSTRAINT weekly_summary_files_lang;
ALTER TABLE weekly_summary_files DROP COLUMN lang;
ALTER TABLE weekly_summary_files ADD PRIMARY KEY (summary_id, crossing, format);
