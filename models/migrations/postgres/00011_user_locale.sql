-- +goose Up
-- The language a staff user chose from the menu; signing in brings it back.
ALTER TABLE users ADD COLUMN locale text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN locale;
