-- +goose Up
-- The cost of a closure shows on the board and the crossing's page: when
-- the impact job rewrites closure_episodes (with its days, in the same
-- transaction), every replica drops its rendered pages, as for a status
-- change (migration 10).
CREATE TRIGGER closure_episodes_notify AFTER INSERT OR UPDATE OR DELETE ON closure_episodes
    FOR EACH STATEMENT EXECUTE FUNCTION borderflow_notify_change();

-- +goose Down
DROP TRIGGER closure_episodes_notify ON closure_episodes;
