package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// VerifyDay marks a crossing-day's figures verified by the actor, with its
// audit record. version is the version the supervisor looked at: if the
// figures changed since, a *VersionConflict is returned and nothing is
// marked, so that nobody verifies figures they have not seen. A day without
// figures is ErrNotFound; verifying a verified day changes nothing. Only
// supervisors and administrators may verify, which the caller checks.
func VerifyDay(ctx context.Context, db *gorm.DB, actor Actor, crossingID int64, day Date, version int) (CrossingDay, error) {
	var c Crossing
	if err := db.WithContext(ctx).Where("id = ?", crossingID).Take(&c).Error; err != nil {
		return CrossingDay{}, notFoundOr(err, "crossing %d", crossingID)
	}
	var verified CrossingDay
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		current, found, err := lockCrossingDay(tx, crossingID, day)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("figures of %s: %w", CrossingDayEntityID(c, day), ErrNotFound)
		}
		if current.Version != version {
			categories, err := CargoCategories(ctx, tx)
			if err != nil {
				return err
			}
			byID := make(map[int64]CargoCategory, len(categories))
			for _, cat := range categories {
				byID[cat.ID] = cat
			}
			stored, err := dayFigures(tx, crossingID, day)
			if err != nil {
				return err
			}
			return versionConflict(tx, version, current, stored, byID)
		}
		verified = current
		if current.Verified() {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		verified.VerifiedAt, verified.VerifiedBy = &now, actor.UserID
		res := tx.Model(&CrossingDay{}).Where("crossing_id = ? AND day = ? AND version = ?", crossingID, day, version).
			Updates(map[string]any{"verified_at": now, "verified_by": actor.UserID})
		if res.Error != nil {
			return fmt.Errorf("mark %s verified: %w", day, res.Error)
		}
		type verification struct {
			Version  int  `json:"version"`
			Verified bool `json:"verified"`
		}
		return actor.audit(tx, "verify", "crossing_day", CrossingDayEntityID(c, day),
			verification{current.Version, false}, verification{current.Version, true})
	})
	if err != nil {
		var vc *VersionConflict
		if errors.As(err, &vc) || errors.Is(err, ErrNotFound) {
			return CrossingDay{}, err
		}
		return CrossingDay{}, fmt.Errorf("verify %s: %w", CrossingDayEntityID(c, day), err)
	}
	return verified, nil
}
