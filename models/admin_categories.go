package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Plausible bounds of a category's valuation assumptions. The dearest
// load DOMAIN.md knows is a truck of medicines at about $40,000, so a
// million dollars a truck leaves room for any real load while catching a
// value typed in cents or with extra zeros; container demurrage runs to
// $200 a day, so $10,000 a day is far beyond any holding charge; no
// perishable cargo keeps for more than a year at the border.
const (
	MaxValuePerTruckUSD = 1_000_000
	MaxHoldingCostUSD   = 10_000
	MaxShelfLifeDays    = 365
	MoneyDecimals       = 2 // numeric(14,2) and numeric(10,2)
)

// categoryCodePattern is the shape the schema allows a category's code.
var categoryCodePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// UsualDirections are the values of a category's usual direction.
var UsualDirections = []string{"both", string(ToAfghanistan), string(ToPakistan)}

// CategoryInput is a cargo category with its valuation assumptions as an
// administrator enters them. The code is given only on creation: figures,
// imports and API clients name the category by it.
type CategoryInput struct {
	Code                 string
	Name                 string
	UsualDirection       string
	Loaded               bool
	Perishable           bool
	Humanitarian         bool
	ValuePerTruckUSD     float64
	HoldingCostUSDPerDay float64
	ShelfLifeDays        *int
	DailySpoilageRate    float64
	AssumptionSource     string
	SortOrder            int
}

// categoryValues is what the audit log records of a category.
type categoryValues struct {
	Code                 string  `json:"code"`
	Name                 string  `json:"name"`
	UsualDirection       string  `json:"usual_direction"`
	Loaded               bool    `json:"loaded"`
	Perishable           bool    `json:"perishable"`
	Humanitarian         bool    `json:"humanitarian"`
	ValuePerTruckUSD     float64 `json:"value_per_truck_usd"`
	HoldingCostUSDPerDay float64 `json:"holding_cost_usd_per_day"`
	ShelfLifeDays        *int    `json:"shelf_life_days"`
	DailySpoilageRate    float64 `json:"daily_spoilage_rate"`
	AssumptionSource     string  `json:"assumption_source"`
	SortOrder            int     `json:"sort_order"`
}

func categoryValuesOf(c CargoCategory) categoryValues {
	return categoryValues{Code: c.Code, Name: c.Name, UsualDirection: c.UsualDirection, Loaded: c.Loaded,
		Perishable: c.Perishable, Humanitarian: c.Humanitarian, ValuePerTruckUSD: c.ValuePerTruckUSD,
		HoldingCostUSDPerDay: c.HoldingCostUSDPerDay, ShelfLifeDays: c.ShelfLifeDays,
		DailySpoilageRate: c.DailySpoilageRate, AssumptionSource: c.AssumptionSource, SortOrder: c.SortOrder}
}

// equal compares two records field by field (the shelf life by value).
func (v categoryValues) equal(w categoryValues) bool {
	vs, ws := v.ShelfLifeDays, w.ShelfLifeDays
	if (vs == nil) != (ws == nil) || (vs != nil && *vs != *ws) {
		return false
	}
	v.ShelfLifeDays, w.ShelfLifeDays = nil, nil
	return v == w
}

// categoryColumns are the columns an administrator edits; writes name
// them, so that columns added by other features keep their own values.
var categoryColumns = []string{"name", "usual_direction", "loaded", "perishable", "humanitarian",
	"value_per_truck_usd", "holding_cost_usd_per_day", "shelf_life_days", "daily_spoilage_rate",
	"assumption_source", "sort_order", "updated_at"}

// CargoCategoryByID finds one category, or returns ErrNotFound.
func CargoCategoryByID(ctx context.Context, db *gorm.DB, id int64) (CargoCategory, error) {
	var c CargoCategory
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		return CargoCategory{}, notFoundOr(err, "cargo category %d", id)
	}
	return c, nil
}

// checkCategory checks a category as typed; creating also checks the code.
func checkCategory(in CategoryInput, creating bool) []FieldError {
	var errs []FieldError
	add := func(fe *FieldError) {
		if fe != nil {
			errs = append(errs, *fe)
		}
	}
	if creating && !categoryCodePattern.MatchString(in.Code) {
		add(&FieldError{Field: "code", Code: "code_rule"})
	}
	add(checkName("name", in.Name, true))
	if !slices.Contains(UsualDirections, in.UsualDirection) {
		add(&FieldError{Field: "usual_direction", Code: "unknown_usual_direction", Params: map[string]any{"Value": in.UsualDirection}})
	}
	add(checkMoney("value_per_truck_usd", in.ValuePerTruckUSD, MaxValuePerTruckUSD))
	if !in.Loaded && in.ValuePerTruckUSD > 0 {
		add(&FieldError{Field: "value_per_truck_usd", Code: "empty_no_value"})
	}
	add(checkMoney("holding_cost_usd_per_day", in.HoldingCostUSDPerDay, MaxHoldingCostUSD))
	switch {
	case in.Perishable && in.ShelfLifeDays == nil:
		add(&FieldError{Field: "shelf_life_days", Code: "shelf_life_required"})
	case !in.Perishable && in.ShelfLifeDays != nil:
		add(&FieldError{Field: "shelf_life_days", Code: "only_perishable"})
	case in.ShelfLifeDays != nil:
		add(checkRange("shelf_life_days", float64(*in.ShelfLifeDays), 1, MaxShelfLifeDays))
	}
	switch {
	case math.IsNaN(in.DailySpoilageRate) || in.DailySpoilageRate < 0 || in.DailySpoilageRate > 1:
		add(&FieldError{Field: "daily_spoilage_rate", Code: "not_a_share"})
	case !in.Perishable && in.DailySpoilageRate > 0:
		add(&FieldError{Field: "daily_spoilage_rate", Code: "only_perishable"})
	}
	add(checkText("assumption_source", in.AssumptionSource))
	add(checkRange("sort_order", float64(in.SortOrder), 0, MaxSortOrder))
	return errs
}

// checkMoney refuses a negative or implausibly large amount, or one with
// more decimals than cents.
func checkMoney(field string, v, highest float64) *FieldError {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return &FieldError{Field: field, Code: "not_number"}
	case v < 0:
		return &FieldError{Field: field, Code: "negative"}
	case v > highest:
		return &FieldError{Field: field, Code: "too_large", Params: map[string]any{"Max": int64(highest)}}
	case !hasAtMostDecimals(v, MoneyDecimals):
		return &FieldError{Field: field, Code: "too_many_decimals", Params: map[string]any{"Decimals": MoneyDecimals}}
	}
	return nil
}

// SaveCargoCategory validates and stores a category and its valuation
// assumptions, creating it when id is 0, and writes the audit record in
// the same transaction. It is the one way the assumptions change, so a
// consequence of a change (recomputing estimates) belongs here. Rules
// broken come back as a *ValidationError; a code in use is one on "code".
// Saving what is stored writes nothing.
func SaveCargoCategory(ctx context.Context, db *gorm.DB, id int64, in CategoryInput, actor Actor, now time.Time) (CargoCategory, error) {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	in.AssumptionSource = strings.TrimSpace(in.AssumptionSource)
	if ve := newValidationError(checkCategory(in, id == 0)); ve != nil {
		return CargoCategory{}, ve
	}
	var c CargoCategory
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before *categoryValues
		if id != 0 {
			if err := forUpdate(tx).Where("id = ?", id).Take(&c).Error; err != nil {
				return notFoundOr(err, "cargo category %d", id)
			}
			v := categoryValuesOf(c)
			before = &v
		} else {
			c.Code = in.Code
		}
		c.Name, c.UsualDirection, c.Loaded, c.Perishable, c.Humanitarian = in.Name, in.UsualDirection, in.Loaded, in.Perishable, in.Humanitarian
		c.ValuePerTruckUSD, c.HoldingCostUSDPerDay = roundTo(in.ValuePerTruckUSD, MoneyDecimals), roundTo(in.HoldingCostUSDPerDay, MoneyDecimals)
		c.ShelfLifeDays, c.DailySpoilageRate = in.ShelfLifeDays, in.DailySpoilageRate
		c.AssumptionSource, c.SortOrder, c.UpdatedAt = in.AssumptionSource, in.SortOrder, now.UTC()
		after := categoryValuesOf(c)
		if before != nil && before.equal(after) {
			return nil
		}
		if id == 0 {
			if err := tx.Select(append([]string{"code"}, categoryColumns...)).Create(&c).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return &ValidationError{Fields: []FieldError{{Field: "code", Code: "code_taken", Params: map[string]any{"Value": in.Code}}}}
				}
				return fmt.Errorf("create cargo category %q: %w", in.Code, err)
			}
			return actor.audit(tx, "create", "cargo_category", c.Code, nil, after)
		}
		if err := tx.Model(&CargoCategory{}).Where("id = ?", id).Select(categoryColumns).Updates(&c).Error; err != nil {
			return fmt.Errorf("update cargo category %s: %w", c.Code, err)
		}
		return actor.audit(tx, "update", "cargo_category", c.Code, *before, after)
	})
	if err != nil {
		return CargoCategory{}, err
	}
	return c, nil
}
