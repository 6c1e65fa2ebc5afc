package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// RangeFigure is one stored daily figure of a range export, with its crossing.
type RangeFigure struct {
	Crossing string
	FigureRow
}

// EachFigureInRange calls each with every stored figure of the crossings
// over r, ordered by day, crossing, direction and category, as the rows are
// read: a year of every crossing is never held in memory at once.
func EachFigureInRange(ctx context.Context, db *gorm.DB, crossingIDs []int64, r DateRange, each func(RangeFigure) error) error {
	if len(crossingIDs) == 0 {
		return nil
	}
	rows, err := db.WithContext(ctx).Raw(`SELECT x.slug, f.day, f.direction, c.code, c.loaded, f.regime, f.trucks,
		CAST(f.tonnes AS double precision), CAST(f.value_usd AS double precision), d.verified_at IS NOT NULL
		FROM daily_figures f
		JOIN crossings x ON x.id = f.crossing_id
		JOIN cargo_categories c ON c.id = f.category_id
		LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
		WHERE f.crossing_id IN ? AND f.day BETWEEN ? AND ?
		ORDER BY f.day, x.sort_order, f.direction, c.sort_order, f.regime`, crossingIDs, r.From, r.To).Rows()
	if err != nil {
		return fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var f RangeFigure
		if err := rows.Scan(&f.Crossing, &f.Day, &f.Direction, &f.CategoryCode, &f.Loaded, &f.Regime, &f.Trucks,
			&f.Tonnes, &f.ValueUSD, &f.Verified); err != nil {
			return fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
		}
		if err := each(f); err != nil {
			return err
		}
	}
	return rows.Err()
}
