package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// BoardEntry is what the status board shows of one crossing.
type BoardEntry struct {
	Crossing    Crossing
	Status      *StatusChange // the change in effect now; nil if none was ever recorded
	Latest      *DayTotals    // the most recent reported day; nil if none
	LastUpdated time.Time     // the latest status record or figure entry; zero if none
}

// Board reads each active crossing's current status and latest day's
// loaded trucks, as of the instant now.
func Board(ctx context.Context, db *gorm.DB, now time.Time) ([]BoardEntry, error) {
	crossings, err := ActiveCrossings(ctx, db)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(crossings))
	for i, c := range crossings {
		ids[i] = c.ID
	}
	statuses, err := LatestStatusChanges(ctx, db, ids, now)
	if err != nil {
		return nil, err
	}
	totals, err := LatestDayTotals(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	entries := make([]BoardEntry, len(crossings))
	for i, c := range crossings {
		e := BoardEntry{Crossing: c}
		if s, ok := statuses[c.ID]; ok {
			e.Status = &s
			e.LastUpdated = s.RecordedAt
		}
		if t, ok := totals[c.ID]; ok {
			e.Latest = &t
			if t.LastUpdated.After(e.LastUpdated) {
				e.LastUpdated = t.LastUpdated
			}
		}
		entries[i] = e
	}
	return entries, nil
}

// HoldsNoRecords reports whether the database has neither figures nor
// status changes: a fresh install, apart from its reference data.
func HoldsNoRecords(ctx context.Context, db *gorm.DB) (bool, error) {
	var figures, changes int64
	if err := db.WithContext(ctx).Model(&DailyFigure{}).Limit(1).Count(&figures).Error; err != nil {
		return false, err
	}
	if err := db.WithContext(ctx).Model(&StatusChange{}).Limit(1).Count(&changes).Error; err != nil {
		return false, err
	}
	return figures == 0 && changes == 0, nil
}
