package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The statuses of an episode's estimate.
const (
	ImpactOK               = "ok"
	ImpactInsufficientData = "insufficient_data"
)

// closureEpisodeRow is a row of closure_episodes.
type closureEpisodeRow struct {
	CrossingID        int64
	Start, End        Date
	Days              int
	Ongoing           bool
	Reason            *string
	Status            string
	BaselineDaysUsed  int
	Estimate          *SeriesTotals // nil when the data are insufficient
	CustomsRevenueUSD float64
	ModelVersion      string
	AssumptionsHash   string // of the snapshot stored in impact_assumptions
}

// closureDayRow is a row of closure_days.
type closureDayRow struct {
	CrossingID        int64
	Day, EpisodeStart Date
	Share             float64
	Reported          bool
	CustomsRevenueUSD float64
}

// impactDayRow is a row of impact_days.
type impactDayRow struct {
	CrossingID   int64
	Day          Date
	Direction    Direction
	CategoryID   int64
	EpisodeStart Date
	Actual       float64
	Baseline     Range3
	ImpactTerms
}

// store replaces the stored results the plans recomputed and returns the
// rows written.
func (r *impactRun) store(ctx context.Context, plans []*crossingPlan, results map[int64]crossingResult) (int, error) {
	everything := len(results) == len(plans)
	for _, res := range results {
		everything = everything && res.full
	}
	tables := []string{"impact_days", "closure_days"}
	if everything {
		for _, t := range append(tables, "closure_episodes") {
			if err := r.exec(ctx, "DELETE FROM "+t); err != nil {
				return 0, err
			}
		}
	} else {
		for id, res := range results {
			if res.full {
				for _, t := range append(tables, "closure_episodes") {
					if err := r.exec(ctx, "DELETE FROM "+t+" WHERE crossing_id = ?", id); err != nil {
						return 0, err
					}
				}
				continue
			}
			if res.span.From.IsZero() {
				continue
			}
			for _, t := range tables {
				if err := r.exec(ctx, "DELETE FROM "+t+" WHERE crossing_id = ? AND day BETWEEN ? AND ?", id, res.span.From, res.span.To); err != nil {
					return 0, err
				}
			}
			if err := r.exec(ctx, "DELETE FROM closure_episodes WHERE crossing_id = ? AND start_date <= ? AND end_date >= ?",
				id, res.span.To, res.span.From); err != nil {
				return 0, err
			}
		}
	}
	var episodes []closureEpisodeRow
	var days []closureDayRow
	var impacts []impactDayRow
	for _, p := range plans { // in crossing order, for a deterministic write
		for _, e := range results[p.c.id].episodes {
			episodes = append(episodes, e.episode)
			days = append(days, e.days...)
			impacts = append(impacts, e.impacts...)
		}
	}
	// Each set of assumptions once, kept for good.
	for _, p := range plans {
		if _, ok := results[p.c.id]; !ok {
			continue
		}
		if err := r.exec(ctx, "INSERT INTO impact_assumptions (hash, assumptions) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING",
			p.hash, p.snapshot); err != nil {
			return 0, err
		}
	}
	if err := r.insertEpisodes(ctx, episodes); err != nil {
		return 0, err
	}
	if err := r.insertClosureDays(ctx, days); err != nil {
		return 0, err
	}
	if err := r.insertImpactDays(ctx, impacts); err != nil {
		return 0, err
	}

	return len(episodes) + len(days) + len(impacts), nil
}

func (r *impactRun) exec(ctx context.Context, query string, args ...any) error {
	if _, err := r.tx.Statement.ConnPool.ExecContext(ctx, placeholders(r.dialect, query), args...); err != nil {
		return fmt.Errorf("%s: %w", strings.SplitN(query, " WHERE", 2)[0], err)
	}
	return nil
}

// bulkColumn is a column of a bulk insert: its name, its PostgreSQL type
// and its value in row i.
type bulkColumn struct {
	name, pgType string
	value        func(i int) any
}

func optional(e *SeriesTotals, f func(*SeriesTotals) float64) *float64 {
	if e == nil {
		return nil
	}
	v := f(e)
	return &v
}

func (r *impactRun) insertEpisodes(ctx context.Context, rows []closureEpisodeRow) error {
	est := func(f func(*SeriesTotals) float64) func(int) any {
		return func(i int) any { return optional(rows[i].Estimate, f) }
	}
	return r.insertBulk(ctx, "closure_episodes", len(rows), []bulkColumn{
		{"crossing_id", "bigint", func(i int) any { return rows[i].CrossingID }},
		{"start_date", "date", func(i int) any { return rows[i].Start }},
		{"end_date", "date", func(i int) any { return rows[i].End }},
		{"days", "integer", func(i int) any { return int64(rows[i].Days) }},
		{"ongoing", "boolean", func(i int) any { return rows[i].Ongoing }},
		{"reason", "text", func(i int) any { return rows[i].Reason }},
		{"status", "text", func(i int) any { return rows[i].Status }},
		{"baseline_days_used", "integer", func(i int) any { return int64(rows[i].BaselineDaysUsed) }},
		{"trucks_foregone_low", "float8", est(func(e *SeriesTotals) float64 { return e.Foregone.Low })},
		{"trucks_foregone_central", "float8", est(func(e *SeriesTotals) float64 { return e.Foregone.Central })},
		{"trucks_foregone_high", "float8", est(func(e *SeriesTotals) float64 { return e.Foregone.High })},
		{"trade_value_foregone_low_usd", "float8", est(func(e *SeriesTotals) float64 { return e.Value.Low })},
		{"trade_value_foregone_central_usd", "float8", est(func(e *SeriesTotals) float64 { return e.Value.Central })},
		{"trade_value_foregone_high_usd", "float8", est(func(e *SeriesTotals) float64 { return e.Value.High })},
		{"trucks_waiting", "float8", est(func(e *SeriesTotals) float64 { return e.Waiting })},
		{"holding_cost_usd", "float8", est(func(e *SeriesTotals) float64 { return e.Holding })},
		{"spoilage_usd", "float8", est(func(e *SeriesTotals) float64 { return e.Spoilage })},
		{"humanitarian_trucks_foregone", "float8", est(func(e *SeriesTotals) float64 { return e.Humanitarian })},
		{"customs_revenue_foregone_usd", "float8", func(i int) any { return rows[i].CustomsRevenueUSD }},
		{"trucks_recovered", "float8", est(func(e *SeriesTotals) float64 { return e.Recovered })},
		{"net_trucks_foregone", "float8", est(func(e *SeriesTotals) float64 { return e.NetTrucks })},
		{"net_trade_value_foregone_usd", "float8", est(func(e *SeriesTotals) float64 { return e.NetValue })},
		{"model_version", "text", func(i int) any { return rows[i].ModelVersion }},
		{"assumptions_hash", "text", func(i int) any { return rows[i].AssumptionsHash }},
	})
}

func (r *impactRun) insertClosureDays(ctx context.Context, rows []closureDayRow) error {
	return r.insertBulk(ctx, "closure_days", len(rows), []bulkColumn{
		{"crossing_id", "bigint", func(i int) any { return rows[i].CrossingID }},
		{"day", "date", func(i int) any { return rows[i].Day }},
		{"episode_start", "date", func(i int) any { return rows[i].EpisodeStart }},
		{"closure_share", "float8", func(i int) any { return rows[i].Share }},
		{"reported", "boolean", func(i int) any { return rows[i].Reported }},
		{"customs_revenue_foregone_usd", "float8", func(i int) any { return rows[i].CustomsRevenueUSD }},
	})
}

func (r *impactRun) insertImpactDays(ctx context.Context, rows []impactDayRow) error {
	f := func(get func(impactDayRow) float64) func(int) any {
		return func(i int) any { return get(rows[i]) }
	}
	return r.insertBulk(ctx, "impact_days", len(rows), []bulkColumn{
		{"crossing_id", "bigint", func(i int) any { return rows[i].CrossingID }},
		{"day", "date", func(i int) any { return rows[i].Day }},
		{"direction", "text", func(i int) any { return string(rows[i].Direction) }},
		{"category_id", "bigint", func(i int) any { return rows[i].CategoryID }},
		{"episode_start", "date", func(i int) any { return rows[i].EpisodeStart }},
		{"trucks_actual", "float8", f(func(r impactDayRow) float64 { return r.Actual })},
		{"trucks_baseline_low", "float8", f(func(r impactDayRow) float64 { return r.Baseline.Low })},
		{"trucks_baseline_central", "float8", f(func(r impactDayRow) float64 { return r.Baseline.Central })},
		{"trucks_baseline_high", "float8", f(func(r impactDayRow) float64 { return r.Baseline.High })},
		{"trucks_foregone_low", "float8", f(func(r impactDayRow) float64 { return r.Foregone.Low })},
		{"trucks_foregone_central", "float8", f(func(r impactDayRow) float64 { return r.Foregone.Central })},
		{"trucks_foregone_high", "float8", f(func(r impactDayRow) float64 { return r.Foregone.High })},
		{"trade_value_foregone_low_usd", "float8", f(func(r impactDayRow) float64 { return r.Value.Low })},
		{"trade_value_foregone_central_usd", "float8", f(func(r impactDayRow) float64 { return r.Value.Central })},
		{"trade_value_foregone_high_usd", "float8", f(func(r impactDayRow) float64 { return r.Value.High })},
		{"trucks_waiting", "float8", f(func(r impactDayRow) float64 { return r.Waiting })},
		{"holding_cost_usd", "float8", f(func(r impactDayRow) float64 { return r.Holding })},
		{"spoilage_usd", "float8", f(func(r impactDayRow) float64 { return r.Spoilage })},
		{"humanitarian_trucks_foregone", "float8", f(func(r impactDayRow) float64 { return r.Humanitarian })},
	})
}

// insertBulk writes n rows. On PostgreSQL each column goes as one array
// and unnest turns them back into rows: a few statements however many
// rows. SQLite takes them as multi-row VALUES.
func (r *impactRun) insertBulk(ctx context.Context, table string, n int, cols []bulkColumn) error {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	head := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") "
	batch := 500
	if r.dialect == DialectPostgres {
		batch = 20000
	}
	for from := 0; from < n; from += batch {
		to := min(n, from+batch)
		var query string
		var args []any
		if r.dialect == DialectPostgres {
			casts := make([]string, len(cols))
			for j, c := range cols {
				casts[j] = fmt.Sprintf("$%d::%s[]", j+1, c.pgType)
				args = append(args, pgArray(c, from, to))
			}
			query = head + "SELECT * FROM unnest(" + strings.Join(casts, ", ") + ")"
		} else {
			row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			rows := make([]string, 0, to-from)
			for i := from; i < to; i++ {
				rows = append(rows, row)
				for _, c := range cols {
					args = append(args, c.value(i))
				}
			}
			query = head + "VALUES " + strings.Join(rows, ", ")
		}
		if _, err := r.tx.Statement.ConnPool.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("store %s: %w", table, err)
		}
	}
	return nil
}

// pgArray collects a column's values of rows from..to-1 in a slice of the
// Go type the driver sends as an array of its PostgreSQL type.
func pgArray(c bulkColumn, from, to int) any {
	switch c.pgType {
	case "bigint", "integer":
		out := make([]int64, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, c.value(i).(int64))
		}
		return out
	case "date":
		out := make([]time.Time, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, c.value(i).(Date).t)
		}
		return out
	case "boolean":
		out := make([]bool, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, c.value(i).(bool))
		}
		return out
	case "text":
		if _, plain := c.value(from).(string); plain {
			out := make([]string, 0, to-from)
			for i := from; i < to; i++ {
				out = append(out, c.value(i).(string))
			}
			return out
		}
		out := make([]*string, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, c.value(i).(*string))
		}
		return out
	default: // float8
		if _, plain := c.value(from).(float64); plain {
			out := make([]float64, 0, to-from)
			for i := from; i < to; i++ {
				out = append(out, c.value(i).(float64))
			}
			return out
		}
		out := make([]*float64, 0, to-from)
		for i := from; i < to; i++ {
			out = append(out, c.value(i).(*float64))
		}
		return out
	}
}
