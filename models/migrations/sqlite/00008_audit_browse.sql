-- +goose Up
-- The audit browser pages newest first by id and filters by actor, action,
-- request ID, time and crossing; each of these would otherwise walk the
-- whole log for a rare value. A crossing's days ("slug/YYYY-MM-DD") are
-- matched with GLOB, which the existing (entity, entity_id) index serves.
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_request ON audit_log (request_id);
CREATE INDEX audit_log_at ON audit_log (at);

-- A sign-in refused by the throttle is recorded too (unchecked, so it says
-- nothing of the password), and counts as a failure while it lasts.
ALTER TABLE login_attempts ADD COLUMN throttled boolean NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE login_attempts DROP COLUMN throttled;
DROP INDEX audit_log_at;
DROP INDEX audit_log_request;
DROP INDEX audit_log_action;
DROP INDEX audit_log_actor;
