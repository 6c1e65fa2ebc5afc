package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Bounds of what an administrator types for a crossing.
const (
	MaxCrossingName = 100 // a name, the Afghan side's name, a province
	MaxSortOrder    = 10_000
	maxTimeZoneName = 64
)

// EarliestRecordsFrom is the first day a crossing's records may begin:
// nothing older than the two countries' border is a record of it.
var EarliestRecordsFrom = NewDate(1947, time.August, 14)

// CrossingInput is a crossing as an administrator enters it. The slug is
// given only when the crossing is created: URLs, API clients and the audit
// log name the crossing by it, so it never changes afterwards.
type CrossingInput struct {
	Slug        string
	Name        string
	AfghanSide  string
	Province    string
	Latitude    float64
	Longitude   float64
	TimeZone    string
	Hours       string
	RecordsFrom Date
	SortOrder   int
	Active      bool
}

// crossingValues is what the audit log records of a crossing.
type crossingValues struct {
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	AfghanSide  string  `json:"afghan_side"`
	Province    string  `json:"province"`
	Latitude    float64 `json:"latitude"`
	Longitude   float64 `json:"longitude"`
	TimeZone    string  `json:"time_zone"`
	Hours       string  `json:"hours"`
	RecordsFrom string  `json:"records_from"`
	SortOrder   int     `json:"sort_order"`
	Active      bool    `json:"active"`
}

func crossingValuesOf(c Crossing) crossingValues {
	return crossingValues{Slug: c.Slug, Name: c.Name, AfghanSide: c.AfghanSide, Province: c.Province,
		Latitude: c.Latitude, Longitude: c.Longitude, TimeZone: c.TimeZone, Hours: c.Hours,
		RecordsFrom: c.RecordsFrom.String(), SortOrder: c.SortOrder, Active: c.Active}
}

// crossingColumns are the columns an administrator edits; a write names
// them, so that columns added by other features keep their own values.
var crossingColumns = []string{"name", "afghan_side", "province", "latitude", "longitude", "time_zone",
	"hours", "records_from", "sort_order", "active"}

// Crossings lists every crossing, inactive ones too, in display order.
func Crossings(ctx context.Context, db *gorm.DB) ([]Crossing, error) {
	var crossings []Crossing
	if err := db.WithContext(ctx).Order("sort_order, name").Find(&crossings).Error; err != nil {
		return nil, fmt.Errorf("list all crossings: %w", err)
	}
	return crossings, nil
}

// CrossingByID finds one crossing, or returns ErrNotFound.
func CrossingByID(ctx context.Context, db *gorm.DB, id int64) (Crossing, error) {
	var c Crossing
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return Crossing{}, notFoundOr(err, "crossing %d", id)
	}
	return c, nil
}

// checkCrossing checks a crossing as typed; creating also checks the slug.
func checkCrossing(in CrossingInput, creating bool) []FieldError {
	var errs []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	if creating && !slugPattern.MatchString(in.Slug) {
		add(&FieldError{Field: "slug", Code: "slug_rule"})
	}
	add(checkName("name", in.Name, true))
	add(checkName("afghan_side", in.AfghanSide, false))
	add(checkName("province", in.Province, false))
	add(checkRange("latitude", in.Latitude, -90, 90))
	add(checkRange("longitude", in.Longitude, -180, 180))
	add(checkTimeZone(in.TimeZone))
	add(checkText("hours", in.Hours))
	switch {
	case in.RecordsFrom.IsZero():
		add(&FieldError{Field: "records_from", Code: "required"})
	case in.RecordsFrom.Before(EarliestRecordsFrom):
		add(&FieldError{Field: "records_from", Code: "too_early", Params: map[string]any{"Min": EarliestRecordsFrom.String()}})
	}
	add(checkRange("sort_order", float64(in.SortOrder), 0, MaxSortOrder))
	return errs
}

// checkName refuses a missing required name, or one that is too long or
// holds control characters (line breaks too: a name is one line).
func checkName(field, s string, required bool) *FieldError {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			return &FieldError{Field: field, Code: "required"}
		}
	case strings.ContainsAny(s, "\r\n\t"):
		return &FieldError{Field: field, Code: "invalid_text"}
	case utf8.RuneCountInString(s) > MaxCrossingName:
		return &FieldError{Field: field, Code: "too_long", Params: map[string]any{"Max": MaxCrossingName}}
	}
	return checkText(field, s)
}

// checkRange refuses a number outside [lowest, highest].
func checkRange(field string, v, lowest, highest float64) *FieldError {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < lowest || v > highest {
		return &FieldError{Field: field, Code: "out_of_range", Params: map[string]any{"Min": bound(lowest), "Max": bound(highest)}}
	}
	return nil
}

// bound is a limit as a message shows it: a whole number as an integer
// (formatted with digit grouping), else as it is.
func bound(v float64) any {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return int64(v)
	}
	return v
}

// checkTimeZone accepts an IANA zone name that this system knows, such as
// Asia/Karachi; "Local" and "" are not names of a place.
func checkTimeZone(name string) *FieldError {
	if name == "" {
		return &FieldError{Field: "time_zone", Code: "required"}
	}
	if _, err := time.LoadLocation(name); err != nil || name == "Local" || len(name) > maxTimeZoneName {
		return &FieldError{Field: "time_zone", Code: "unknown_time_zone", Params: map[string]any{"Value": name}}
	}
	return nil
}

// CreateCrossing validates and stores a new crossing with its audit
// record. A slug already in use is a *ValidationError on "slug".
func CreateCrossing(ctx context.Context, db *gorm.DB, in CrossingInput, actor Actor) (Crossing, error) {
	in = trimCrossing(in)
	if ve := newValidationError(checkCrossing(in, true)); ve != nil {
		return Crossing{}, ve
	}
	c := crossingFrom(Crossing{Slug: in.Slug}, in)
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Select(append([]string{"slug"}, crossingColumns...)).Create(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ValidationError{Fields: []FieldError{{Field: "slug", Code: "slug_taken", Params: map[string]any{"Value": in.Slug}}}}
			}
			return fmt.Errorf("create crossing %q: %w", in.Slug, err)
		}
		return actor.audit(tx, "create", "crossing", c.Slug, nil, crossingValuesOf(c))
	})
	if err != nil {
		return Crossing{}, err
	}
	return c, nil
}

// UpdateCrossing validates and stores an administrator's changes to a
// crossing, with its audit record; in.Slug is ignored. Moving the first
// day of records after a day that has figures is refused, as those figures
// would become ones the rules forbid. Nothing is written when nothing changed.
func UpdateCrossing(ctx context.Context, db *gorm.DB, id int64, in CrossingInput, actor Actor) (Crossing, error) {
	in = trimCrossing(in)
	if ve := newValidationError(checkCrossing(in, false)); ve != nil {
		return Crossing{}, ve
	}
	var c Crossing
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := forUpdate(tx).Where("id = ?", id).Take(&c).Error; err != nil {
			return notFoundOr(err, "crossing %d", id)
		}
		before := crossingValuesOf(c)
		if in.RecordsFrom.After(c.RecordsFrom) {
			var first []Date
			err := tx.Model(&DailyFigure{}).Where("crossing_id = ? AND day < ?", id, in.RecordsFrom).
				Order("day").Limit(1).Pluck("day", &first).Error
			if err != nil {
				return fmt.Errorf("find the first figures of %s: %w", c.Slug, err)
			}
			if len(first) == 1 {
				return &ValidationError{Fields: []FieldError{{Field: "records_from", Code: "records_after_figures",
					Params: map[string]any{"First": first[0].String()}}}}
			}
		}
		c = crossingFrom(c, in)
		after := crossingValuesOf(c)
		if after == before {
			return nil
		}
		if err := tx.Model(&Crossing{}).Where("id = ?", id).Select(crossingColumns).Updates(&c).Error; err != nil {
			return fmt.Errorf("update crossing %s: %w", c.Slug, err)
		}
		return actor.audit(tx, "update", "crossing", c.Slug, before, after)
	})
	if err != nil {
		return Crossing{}, err
	}
	return c, nil
}

// trimCrossing drops the spaces around what was typed in one-line fields.
func trimCrossing(in CrossingInput) CrossingInput {
	for _, s := range []*string{&in.Slug, &in.Name, &in.AfghanSide, &in.Province, &in.TimeZone} {
		*s = strings.TrimSpace(*s)
	}
	return in
}

// crossingFrom is c with the editable fields of in.
func crossingFrom(c Crossing, in CrossingInput) Crossing {
	c.Name, c.AfghanSide, c.Province = in.Name, in.AfghanSide, in.Province
	c.Latitude, c.Longitude, c.TimeZone, c.Hours = in.Latitude, in.Longitude, in.TimeZone, in.Hours
	c.RecordsFrom, c.SortOrder, c.Active = in.RecordsFrom, in.SortOrder, in.Active
	return c
}
