package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CrossingLimits is one crossing with its plausibility limit per
// direction; a direction without a limit is absent from Max.
type CrossingLimits struct {
	Crossing Crossing
	Max      map[Direction]int
}

// PlausibilityLimits lists every crossing, inactive ones too, with its limits.
func PlausibilityLimits(ctx context.Context, db *gorm.DB) ([]CrossingLimits, error) {
	crossings, err := Crossings(ctx, db)
	if err != nil {
		return nil, err
	}
	var limits []PlausibilityLimit
	if err := db.WithContext(ctx).Find(&limits).Error; err != nil {
		return nil, fmt.Errorf("read plausibility limits: %w", err)
	}
	byCrossing := map[int64]map[Direction]int{}
	for _, l := range limits {
		if byCrossing[l.CrossingID] == nil {
			byCrossing[l.CrossingID] = map[Direction]int{}
		}
		byCrossing[l.CrossingID][l.Direction] = l.MaxTrucks
	}
	out := make([]CrossingLimits, len(crossings))
	for i, c := range crossings {
		out[i] = CrossingLimits{Crossing: c, Max: byCrossing[c.ID]}
		if out[i].Max == nil {
			out[i].Max = map[Direction]int{}
		}
	}
	return out, nil
}

// LimitInput is one plausibility limit as an administrator sets it. Field
// names the form's input, for its errors.
type LimitInput struct {
	Field      string
	CrossingID int64
	Direction  Direction
	MaxTrucks  int
}

// limitValues is what the audit log records of a plausibility limit.
type limitValues struct {
	Crossing  string    `json:"crossing"`
	Direction Direction `json:"direction"`
	MaxTrucks int       `json:"max_trucks"`
}

// checkLimit refuses a limit that is not a positive count a crossing
// could see in a day.
func checkLimit(in LimitInput) *FieldError {
	switch {
	case in.Direction != ToAfghanistan && in.Direction != ToPakistan:
		return &FieldError{Field: in.Field, Code: "unknown_direction", Params: map[string]any{"Value": string(in.Direction)}}
	case in.MaxTrucks < 1 || in.MaxTrucks > MaxTrucksPerFigure:
		return &FieldError{Field: in.Field, Code: "out_of_range", Params: map[string]any{"Min": int64(1), "Max": int64(MaxTrucksPerFigure)}}
	}
	return nil
}

// SavePlausibilityLimits stores the limits given in one transaction, with
// an audit record for each that changed; the next save of figures is
// checked against them (LoadFigureRules reads them afresh). Rules broken
// come back together as a *ValidationError and nothing is written. It
// returns how many limits changed.
func SavePlausibilityLimits(ctx context.Context, db *gorm.DB, limits []LimitInput, actor Actor, now time.Time) (int, error) {
	var errs []FieldError
	for _, in := range limits {
		if fe := checkLimit(in); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if ve := newValidationError(errs); ve != nil {
		return 0, ve
	}
	changed := 0
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, in := range limits {
			var c Crossing
			if err := tx.Where("id = ?", in.CrossingID).Take(&c).Error; err != nil {
				return notFoundOr(err, "crossing %d", in.CrossingID)
			}
			var stored []PlausibilityLimit
			if err := forUpdate(tx).Where("crossing_id = ? AND direction = ?", c.ID, in.Direction).Find(&stored).Error; err != nil {
				return fmt.Errorf("read the plausibility limit of %s: %w", c.Slug, err)
			}
			after := limitValues{Crossing: c.Slug, Direction: in.Direction, MaxTrucks: in.MaxTrucks}
			var before any
			action := "create"
			if len(stored) == 1 {
				if stored[0].MaxTrucks == in.MaxTrucks {
					continue
				}
				before, action = limitValues{Crossing: c.Slug, Direction: in.Direction, MaxTrucks: stored[0].MaxTrucks}, "update"
			}
			row := PlausibilityLimit{CrossingID: c.ID, Direction: in.Direction, MaxTrucks: in.MaxTrucks, UpdatedAt: now.UTC()}
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "crossing_id"}, {Name: "direction"}},
				DoUpdates: clause.AssignmentColumns([]string{"max_trucks", "updated_at"}),
			}).Create(&row).Error
			if err != nil {
				return fmt.Errorf("store the plausibility limit of %s %s: %w", c.Slug, in.Direction, err)
			}
			if err := actor.audit(tx, action, "plausibility_limit", LimitEntityID(c, in.Direction), before, after); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

// LimitEntityID names a plausibility limit in the audit log: "slug/direction".
func LimitEntityID(c Crossing, d Direction) string { return c.Slug + "/" + string(d) }
