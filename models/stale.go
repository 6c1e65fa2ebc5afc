package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// StaleMark is what the stale-data job found when it last looked at a
// crossing: whether the status in effect was recorded longer ago than the
// allowed time, and whether the figures of the crossing's previous local
// day are missing.
type StaleMark struct {
	CrossingID       int64 `gorm:"primaryKey;autoIncrement:false"`
	ComputedAt       time.Time
	StatusOverdue    bool
	StatusRecordedAt *time.Time // when the status in effect was recorded; nil if none ever was
	FiguresOverdue   bool
	FiguresDay       Date // the crossing's previous local day when checked
}

// Overdue reports whether anything is overdue at the crossing.
func (m StaleMark) Overdue() bool { return m.StatusOverdue || m.FiguresOverdue }

// MarkStaleCrossings replaces the stale marks of every active crossing as
// of now: its status is overdue when the change in effect was recorded
// more than staleAfter ago (or none ever was), its figures when its previous
// local day, on or after the day its records start, has none. It returns the
// number of marks written; call it inside a transaction.
func MarkStaleCrossings(ctx context.Context, tx *gorm.DB, now time.Time, staleAfter time.Duration) (int, error) {
	tx = tx.WithContext(ctx)
	crossings, err := ActiveCrossings(ctx, tx)
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(crossings))
	for i, c := range crossings {
		ids[i] = c.ID
	}
	statuses, err := LatestStatusChanges(ctx, tx, ids, now)
	if err != nil {
		return 0, err
	}
	marks := make([]StaleMark, 0, len(crossings))
	for _, c := range crossings {
		m := StaleMark{CrossingID: c.ID, ComputedAt: now.UTC(), FiguresDay: DateOf(now, c.Location()).AddDays(-1), StatusOverdue: true}
		if s, ok := statuses[c.ID]; ok {
			recorded := s.RecordedAt
			m.StatusRecordedAt, m.StatusOverdue = &recorded, now.Sub(recorded) > staleAfter
		}
		if !m.FiguresDay.Before(c.RecordsFrom) {
			var found []int64
			err := tx.Model(&DailyFigure{}).Where("crossing_id = ? AND day = ?", c.ID, m.FiguresDay).Limit(1).Pluck("id", &found).Error
			if err != nil {
				return 0, fmt.Errorf("look for the figures of %s on %s: %w", c.Slug, m.FiguresDay, err)
			}
			m.FiguresOverdue = len(found) == 0
		}
		marks = append(marks, m)
	}
	if err := tx.Exec("DELETE FROM stale_marks").Error; err != nil {
		return 0, fmt.Errorf("clear the stale marks: %w", err)
	}
	if len(marks) > 0 {
		if err := tx.Create(&marks).Error; err != nil {
			return 0, fmt.Errorf("write the stale marks: %w", err)
		}
	}
	return len(marks), nil
}

// StaleMarks returns the latest stale mark of each crossing, by crossing ID.
func StaleMarks(ctx context.Context, db *gorm.DB) (map[int64]StaleMark, error) {
	var marks []StaleMark
	if err := db.WithContext(ctx).Find(&marks).Error; err != nil {
		return nil, fmt.Errorf("read the stale marks: %w", err)
	}
	byCrossing := make(map[int64]StaleMark, len(marks))
	for _, m := range marks {
		byCrossing[m.CrossingID] = m
	}
	return byCrossing, nil
}
