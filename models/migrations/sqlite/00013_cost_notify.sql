-- +goose Up
-- PostgreSQL announces a new closure cost to other replicas (see the
-- postgres migration of the same number); the embedded database has one
-- process, whose scheduler drops its own rendered pages after a job writes,
-- so there is nothing to do here.
SELECT 1;

-- +goose Down
SELECT 1;
