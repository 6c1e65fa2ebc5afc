package models

import (
	"context"
	"database/sql"
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
	ValueUSD     *float64
	Verified     bool
}

// FiguresInRange returns a crossing's figures for the days of r, ordered by
// day, direction and category order. The rows are scanned by hand: a year
// is about 20,000 rows, and scanning them through GORM's reflection took as
// long as PostgreSQL took to read them. The numeric columns arrive as
// doubles, which is what FigureRow holds, instead of as text to parse.
func FiguresInRange(ctx context.Context, db *gorm.DB, crossingID int64, r DateRange) ([]FigureRow, error) {
	result, err := db.WithContext(ctx).Raw(`SELECT f.day, f.direction, c.code, c.loaded, f.regime, f.trucks,
		CAST(f.tonnes AS double precision), CAST(f.value_usd AS double precision),
		d.verified_at IS NOT NULL
		FROM daily_figures f
		JOIN cargo_categories c ON c.id = f.category_id
		LEFT JOIN crossing_days d ON d.crossing_id = f.crossing_id AND d.day = f.day
		WHERE f.crossing_id = ? AND f.day BETWEEN ? AND ?
		ORDER BY f.day, f.direction, c.sort_order, f.regime`, crossingID, r.From, r.To).Rows()
	if err != nil {
		return nil, fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
	}
	defer func() { _ = result.Close() }()
	var rows []FigureRow
	// The codes repeat on every row: read them as bytes and keep one string
	// of each, rather than three new strings a row.
	codes := map[string]string{}
	code := func(b sql.RawBytes) string {
		if s, ok := codes[string(b)]; ok {
			return s
		}
		s := string(b)
		codes[s] = s
		return s
	}
	// The optional numbers point into blocks of floats, not one allocation each.
	var block []float64
	optional := func(v sql.NullFloat64) *float64 {
		if !v.Valid {
			return nil
		}
		if len(block) == cap(block) {
			block = make([]float64, 0, 1024)
		}
		block = append(block, v.Float64)
		return &block[len(block)-1]
	}
	var direction, category, regime sql.RawBytes
	var tonnes, value sql.NullFloat64
	for result.Next() {
		var f FigureRow
		if err := result.Scan(&f.Day, &direction, &category, &f.Loaded, &regime, &f.Trucks, &tonnes, &value, &f.Verified); err != nil {
			return nil, fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
		}
		f.Direction, f.CategoryCode, f.Regime = Direction(code(direction)), code(category), Regime(code(regime))
		f.Tonnes, f.ValueUSD = optional(tonnes), optional(value)
		rows = append(rows, f)
	}
	if err := result.Err(); err != nil {
		return nil, fmt.Errorf("read figures %s to %s: %w", r.From, r.To, err)
	}
	return rows, nil
}
