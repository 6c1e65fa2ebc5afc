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
	Reported      bool      // figures exist for the day
	LastUpdated   time.Time // the latest entry or change of the day's figures
	Source        string    // where that latest entry came from
}

// Total is the loaded trucks in both directions.
func (t DayTotals) Total() int { return t.ToAfghanistan + t.ToPakistan }

// DailyLoadedTotals returns, for each crossing, the loaded trucks by
// direction on each day of r that has figures, and the latest time any of
// those figures was entered or changed.
func DailyLoadedTotals(ctx context.Context, db *gorm.DB, crossingIDs []int64, r DateRange) (map[int64]map[Date]DayTotals, error) {
	totals := make(map[int64]map[Date]DayTotals, len(crossingIDs))
	if len(crossingIDs) == 0 {
		return totals, nil
	}
	type row struct {
		CrossingID  int64
		Day         Date
		Direction   Direction
		Trucks      int
		LastUpdated string
		Source      string
	}
	var rows []row
	err := db.WithContext(ctx).Raw(`
		SELECT f.crossing_id, f.day, f.direction, SUM(f.trucks) AS trucks, MAX(f.updated_at) AS last_updated, MAX(f.source) AS source
		FROM daily_figures f
		JOIN cargo_categories c ON c.id = f.category_id AND c.loaded
		WHERE f.crossing_id IN ? AND f.day BETWEEN ? AND ?
		GROUP BY f.crossing_id, f.day, f.direction`, crossingIDs, r.From, r.To).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read daily totals %s to %s: %w", r.From, r.To, err)
	}
	for _, rw := range rows {
		days := totals[rw.CrossingID]
		if days == nil {
			days = map[Date]DayTotals{}
			totals[rw.CrossingID] = days
		}
		t := days[rw.Day]
		t.CrossingID, t.Day = rw.CrossingID, rw.Day
		switch rw.Direction {
		case ToAfghanistan:
			t.ToAfghanistan = rw.Trucks
		case ToPakistan:
			t.ToPakistan = rw.Trucks
		}
		if updated, err := parseTimestamp(rw.LastUpdated); err == nil && updated.After(t.LastUpdated) {
			t.LastUpdated, t.Source = updated, rw.Source
		}
		days[rw.Day] = t
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
