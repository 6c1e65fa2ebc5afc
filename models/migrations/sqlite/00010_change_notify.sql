-- +goose Up
-- PostgreSQL announces changes to other replicas (see the postgres
-- migration of the same number); the embedded database has one process,
-- which invalidates its own caches, so there is nothing to do here.
SELECT 1;

-- +goose Down
SELECT 1;
