package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// RecentDays is how many days of loaded trucks the board shows per crossing.
const RecentDays = 14

// BoardEntry is what the status board shows of one crossing.
type BoardEntry struct {
	Crossing Crossing
	Status   *StatusChange // the change in effect now; nil if none was ever recorded
	Today    Date          // the crossing's local day at the time the board was read
	// Recent holds the last RecentDays days, oldest first, today last; a day
	// without figures has Reported false.
	Recent      []DayTotals
	Latest      *DayTotals // the most recent reported day among Recent; nil if none
	LastUpdated time.Time  // the latest status record or figure entry; zero if none
	// LastSource says where the latest record came from: form, api, import, demo or seed.
	LastSource string
}

// Day returns the totals of day d if it is among the recent days.
func (e BoardEntry) Day(d Date) (DayTotals, bool) {
	for _, t := range e.Recent {
		if t.Day == d {
			return t, t.Reported
		}
	}
	return DayTotals{}, false
}

// Board reads each active crossing's current status and its recent days'
// loaded trucks, as of the instant now.
func Board(ctx context.Context, db *gorm.DB, now time.Time) ([]BoardEntry, error) {
	crossings, err := ActiveCrossings(ctx, db)
	if err != nil {
		return nil, err
	}
	return boardEntries(ctx, db, crossings, now)
}

// CrossingBoard reads what the board shows of the active crossing slug, as
// of the instant now, without reading the other crossings.
func CrossingBoard(ctx context.Context, db *gorm.DB, slug string, now time.Time) (BoardEntry, error) {
	crossing, err := PublicCrossingBySlug(ctx, db, slug)
	if err != nil {
		return BoardEntry{}, err
	}
	entries, err := boardEntries(ctx, db, []Crossing{crossing}, now)
	if err != nil {
		return BoardEntry{}, err
	}
	return entries[0], nil
}

// boardEntries reads the board's entries of the crossings given, in their order.
func boardEntries(ctx context.Context, db *gorm.DB, crossings []Crossing, now time.Time) ([]BoardEntry, error) {
	ids := make([]int64, len(crossings))
	for i, c := range crossings {
		ids[i] = c.ID
	}
	statuses, err := LatestStatusChanges(ctx, db, ids, now)
	if err != nil {
		return nil, err
	}
	// Crossings may sit in different zones: read a window wide enough for all.
	today := DateOf(now, time.UTC).AddDays(1)
	totals, err := DailyLoadedTotals(ctx, db, ids, DateRange{From: today.AddDays(-RecentDays - 1), To: today})
	if err != nil {
		return nil, err
	}
	entries := make([]BoardEntry, len(crossings))
	for i, c := range crossings {
		e := BoardEntry{Crossing: c, Today: DateOf(now, c.Location())}
		if s, ok := statuses[c.ID]; ok {
			e.Status = &s
			e.LastUpdated, e.LastSource = s.RecordedAt, s.Source
		}
		for d := e.Today.AddDays(1 - RecentDays); !d.After(e.Today); d = d.AddDays(1) {
			t, ok := totals[c.ID][d]
			t.CrossingID, t.Day, t.Reported = c.ID, d, ok
			e.Recent = append(e.Recent, t)
			if ok {
				latest := t
				e.Latest = &latest
				if t.LastUpdated.After(e.LastUpdated) {
					e.LastUpdated, e.LastSource = t.LastUpdated, t.Source
				}
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
