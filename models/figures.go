package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Regime is the customs regime a load crosses under.
type Regime string

// The trade regimes.
const (
	RegimeBilateral Regime = "bilateral"
	RegimeTransit   Regime = "transit"
)

// DailyFigure is the count of trucks of one cargo category that crossed in
// one direction under one regime on one local day at a crossing.
type DailyFigure struct {
	ID         int64
	CrossingID int64
	Day        Date
	Direction  Direction
	CategoryID int64
	Regime     Regime
	Trucks     int
	Tonnes     *float64
	ValueUSD   *float64 `gorm:"column:value_usd"`
	Verified   bool
	EnteredBy  *int64
	Source     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DayTotals is a crossing's loaded trucks on one day, by direction. Empty
// trucks returning are never counted as loaded.
type DayTotals struct {
	CrossingID    int64
	Day           Date
	ToAfghanistan int
	ToPakistan    int
	LastUpdated   time.Time
}

// Total is the loaded trucks in both directions.
func (t DayTotals) Total() int { return t.ToAfghanistan + t.ToPakistan }

// LatestDayTotals returns, for each crossing that has figures, the loaded
// trucks of its most recent reported day.
func LatestDayTotals(ctx context.Context, db *gorm.DB, crossingIDs []int64) (map[int64]DayTotals, error) {
	totals := make(map[int64]DayTotals, len(crossingIDs))
	if len(crossingIDs) == 0 {
		return totals, nil
	}
	type row struct {
		CrossingID  int64
		Day         Date
		Direction   Direction
		Trucks      int
		LastUpdated string
	}
	var rows []row
	err := db.WithContext(ctx).Raw(`
		SELECT f.crossing_id, f.day, f.direction, SUM(f.trucks) AS trucks, MAX(f.updated_at) AS last_updated
		FROM daily_figures f
		JOIN cargo_categories c ON c.id = f.category_id AND c.loaded
		WHERE f.crossing_id IN ?
		  AND f.day = (SELECT MAX(f2.day) FROM daily_figures f2 WHERE f2.crossing_id = f.crossing_id)
		GROUP BY f.crossing_id, f.day, f.direction`, crossingIDs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read latest daily totals: %w", err)
	}
	for _, r := range rows {
		t := totals[r.CrossingID]
		t.CrossingID, t.Day = r.CrossingID, r.Day
		switch r.Direction {
		case ToAfghanistan:
			t.ToAfghanistan = r.Trucks
		case ToPakistan:
			t.ToPakistan = r.Trucks
		}
		if updated, err := parseTimestamp(r.LastUpdated); err == nil && updated.After(t.LastUpdated) {
			t.LastUpdated = updated
		}
		totals[r.CrossingID] = t
	}
	return totals, nil
}

// parseTimestamp reads an aggregate timestamp, which the drivers return as
// text (SQLite) or in PostgreSQL's text form when scanned into a string.
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999-07"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable timestamp %q", s)
}
