-- +goose Up
-- Every committed change to what the public pages show is announced on the
-- borderflow_changes channel, whichever replica, import or job made it, so
-- that every replica drops its rendered pages. One notification a statement:
-- PostgreSQL folds identical ones within a transaction into one.
-- +goose StatementBegin
CREATE FUNCTION borderflow_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('borderflow_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER status_changes_notify AFTER INSERT OR UPDATE OR DELETE ON status_changes
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();
CREATE TRIGGER daily_figures_notify AFTER INSERT OR UPDATE OR DELETE ON daily_figures
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();
CREATE TRIGGER crossing_days_notify AFTER INSERT OR UPDATE OR DELETE ON crossing_days
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();
CREATE TRIGGER crossings_notify AFTER INSERT OR UPDATE OR DELETE ON crossings
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();
CREATE TRIGGER cargo_categories_notify AFTER INSERT OR UPDATE OR DELETE ON cargo_categories
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();

-- +goose Down
DROP TRIGGER cargo_categories_notify ON cargo_categories;
DROP TRIGGER crossings_notify ON crossings;
DROP TRIGGER crossing_days_notify ON crossing_days;
DROP TRIGGER daily_figures_notify ON daily_figures;
DROP TRIGGER status_changes_notify ON status_changes;
DROP FUNCTION borderflow_notify_change();
