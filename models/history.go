package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MaxRangeDays is the longest date range one request may ask for.
const MaxRangeDays = 366

// DateRange is an inclusive range of local days.
type DateRange struct {
	From, To Date
}

// Days is the number of days in the range, both ends included.
func (r DateRange) Days() int { return r.To.DaysSince(r.From) + 1 }

// Validate refuses a reversed range or one longer than MaxRangeDays.
func (r DateRange) Validate() error {
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return fmt.Errorf("a date range needs both from and to")
	case r.To.Before(r.From):
		return fmt.Errorf("from (%s) is after to (%s)", r.From, r.To)
	case r.Days() > MaxRangeDays:
		return fmt.Errorf("the range %s to %s is %d days; ask for at most %d days at a time", r.From, r.To, r.Days(), MaxRangeDays)
	}
	return nil
}

// StatusHistory returns a crossing's status changes that took effect in
// [from, to), oldest first, preceded by the change in effect at from (so
// that the status over the whole interval is known).
func StatusHistory(ctx context.Context, db *gorm.DB, crossingID int64, from, to time.Time) ([]StatusChange, error) {
	var before []StatusChange
	err := db.WithContext(ctx).Where("crossing_id = ? AND effective_at < ?", crossingID, from.UTC()).
		Order("effective_at DESC").Limit(1).Find(&before).Error
	if err != nil {
		return nil, fmt.Errorf("read status before %s: %w", from.Format(time.RFC3339), err)
	}
	var during []StatusChange
	err = db.WithContext(ctx).Where("crossing_id = ? AND effective_at >= ? AND effective_at < ?", crossingID, from.UTC(), to.UTC()).
		Order("effective_at").Find(&during).Error
	if err != nil {
		return nil, fmt.Errorf("read status history: %w", err)
	}
	return append(before, during...), nil
}

// FigureRow is a stored daily figure with its category's code, as the
// pages, the API and the downloads show it.
type FigureRow struct {
	Day          Date
	Direction    Direction
	CategoryCode string
	Loaded       bool
	Regime       Regime
	Trucks       int
	Tonnes       *float64
	ValueUSD     *float64 `gorm:"column:value_usd"`
	Verified     bool
	UpdatedAt    time.Time
}

// FiguresInRange returns a crossing's figures for the days of r, ordered by
// day, direction and category order.
func FiguresInRange(ctx context.Context, db *gorm.DB, crossingID int64, r DateRange) ([]FigureRow, error) {
	var rows []FigureRow
	err := db.WithContext(ctx).Table("daily_figures f").
		Select("f.day, f.direction, c.code AS category_code, c.loaded, f.regime, f.trucks, f.tonnes, f.value_usd, "+
			"d.verified_at IS NOT NULL AS verified, f.updated_at").
		Joins("JOIN cargo_categories c ON c.id = f.category_id").
		Joins("LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day").
		Where("f.crossing_id = ? AND f.day BETWEEN ? AND ?", crossingID, r.From, r.To).
		Order("f.day, f.direction, c.sort_order, f.regime").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
	}
	return rows, nil
}
