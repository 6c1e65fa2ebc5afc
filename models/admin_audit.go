package models

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// AuditFilter chooses audit records; an empty field does not filter.
// Crossing, when set, keeps the records of that crossing: the crossing
// itself, its plausibility limits, its days' figures and verifications,
// and its status changes (imports span crossings and are not among them).
// From and To bound the time, [From, To). Before pages: only records with
// a smaller ID, so each page continues where the last one ended however
// many records arrive meanwhile.
type AuditFilter struct {
	Entity, Action, Actor, RequestID string
	Crossing                         *Crossing
	From, To                         time.Time
	Before                           int64
}

// AuditPageSize is how many records one page of the audit log shows.
const AuditPageSize = 50

// AuditLog returns up to AuditPageSize records that match f, newest first,
// and whether older ones match too.
func AuditLog(ctx context.Context, db *gorm.DB, f AuditFilter) ([]AuditEntry, bool, error) {
	db = db.WithContext(ctx)
	var changes []string
	if f.Crossing != nil {
		var ids []int64
		if err := db.Model(&StatusChange{}).Where("crossing_id = ?", f.Crossing.ID).Pluck("id", &ids).Error; err != nil {
			return nil, false, fmt.Errorf("read the status changes of %s: %w", f.Crossing.Slug, err)
		}
		for _, id := range ids {
			changes = append(changes, strconv.FormatInt(id, 10))
		}
	}
	var entries []AuditEntry
	if err := auditQuery(db, f, changes).Find(&entries).Error; err != nil {
		return nil, false, fmt.Errorf("read the audit log: %w", err)
	}
	if len(entries) > AuditPageSize {
		return entries[:AuditPageSize], true, nil
	}
	return entries, false, nil
}

// auditQuery selects a page of the records that match f, one more than a
// page so that the caller knows whether more follow; changes are the IDs
// of the status changes of f.Crossing. Each way a record can belong to a
// crossing is a condition that an index answers, so that a crossing with
// few records is found without reading the whole log.
func auditQuery(db *gorm.DB, f AuditFilter, changes []string) *gorm.DB {
	q := db.Model(&AuditEntry{})
	for column, value := range map[string]string{"entity": f.Entity, "action": f.Action, "actor": f.Actor, "request_id": f.RequestID} {
		if value != "" {
			q = q.Where(column+" = ?", value)
		}
	}
	if c := f.Crossing; c != nil {
		// Days and limits are "slug/…"; the slug's alphabet has no
		// wildcard of LIKE or GLOB. SQLite's LIKE ignores case and so
		// cannot use an index; its GLOB can.
		match := "entity_id LIKE ?"
		prefix := c.Slug + "/%"
		if Dialect(db) == DialectSQLite {
			match, prefix = "entity_id GLOB ?", c.Slug+"/*"
		}
		cond := "(entity = ? AND entity_id = ?) OR (entity IN ? AND " + match + ")"
		args := []any{"crossing", c.Slug, []string{"crossing_day", "plausibility_limit"}, prefix}
		if len(changes) > 0 {
			cond += " OR (entity = ? AND entity_id IN ?)"
			args = append(args, "status_change", changes)
		}
		q = q.Where("("+cond+")", args...)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	return q.Order("id DESC").Limit(AuditPageSize + 1)
}
