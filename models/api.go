package models

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"
)

// slugPattern is the shape the schema allows a crossing's slug.
var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// PublicCrossingBySlug finds a crossing shown to the public; an unknown or
// inactive crossing is ErrNotFound, so that nothing public reveals a
// crossing an administrator has taken down.
func PublicCrossingBySlug(ctx context.Context, db *gorm.DB, slug string) (Crossing, error) {
	if !slugPattern.MatchString(slug) {
		// Not a slug the schema allows: no query, which PostgreSQL would
		// refuse outright for a NUL byte or invalid UTF-8.
		return Crossing{}, fmt.Errorf("crossing %q: %w", slug, ErrNotFound)
	}
	c, err := CrossingBySlug(ctx, db, slug)
	if err != nil {
		return Crossing{}, err
	}
	if !c.Active {
		return Crossing{}, fmt.Errorf("crossing %q is inactive: %w", slug, ErrNotFound)
	}
	return c, nil
}

// RecentStatusChanges returns the last limit status changes of the crossings
// that took effect at or before now, newest first. Changes recorded in
// advance stay out until they take effect.
func RecentStatusChanges(ctx context.Context, db *gorm.DB, crossingIDs []int64, now time.Time, limit int) ([]StatusChange, error) {
	if len(crossingIDs) == 0 || limit <= 0 {
		return nil, nil
	}
	var changes []StatusChange
	err := db.WithContext(ctx).
		Where("crossing_id IN ? AND effective_at <= ?", crossingIDs, now.UTC()).
		Order("effective_at DESC, id DESC").Limit(limit).Find(&changes).Error
	if err != nil {
		return nil, fmt.Errorf("read recent status changes: %w", err)
	}
	return changes, nil
}
