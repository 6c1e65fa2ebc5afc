package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrNotFound is returned when the thing asked for does not exist.
var ErrNotFound = errors.New("not found")

// Crossing is a border crossing point between Pakistan and Afghanistan.
type Crossing struct {
	ID          int64
	Slug        string
	Name        string
	AfghanSide  string
	Province    string
	Latitude    float64
	Longitude   float64
	TimeZone    string
	Hours       string
	RecordsFrom Date // figures before this day are refused
	SortOrder   int
	Active      bool
	CreatedAt   time.Time
}

// Location returns the crossing's time zone, in which its days are counted.
func (c Crossing) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Direction is the way a truck crosses.
type Direction string

// The two directions.
const (
	ToAfghanistan Direction = "to_afghanistan"
	ToPakistan    Direction = "to_pakistan"
)

// Directions lists both directions in display order.
var Directions = []Direction{ToAfghanistan, ToPakistan}

// CargoCategory is a kind of load, with the valuation assumptions the loss
// model uses for it.
type CargoCategory struct {
	ID                   int64
	Code                 string
	Name                 string
	UsualDirection       string
	Loaded               bool // false for empty trucks returning
	Perishable           bool
	Humanitarian         bool
	ValuePerTruckUSD     float64
	ShelfLifeDays        *int
	DailySpoilageRate    float64
	HoldingCostUSDPerDay float64 `gorm:"column:holding_cost_usd_per_day"`
	AssumptionSource     string
	SortOrder            int
	UpdatedAt            time.Time
}

// ActiveCrossings lists the crossings shown to the public, most important first.
func ActiveCrossings(ctx context.Context, db *gorm.DB) ([]Crossing, error) {
	var crossings []Crossing
	err := db.WithContext(ctx).Where("active = ?", true).Order("sort_order, name").Find(&crossings).Error
	if err != nil {
		return nil, fmt.Errorf("list crossings: %w", err)
	}
	return crossings, nil
}

// CrossingBySlug finds one crossing, or returns ErrNotFound.
func CrossingBySlug(ctx context.Context, db *gorm.DB, slug string) (Crossing, error) {
	var c Crossing
	err := db.WithContext(ctx).Where("slug = ?", slug).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Crossing{}, fmt.Errorf("crossing %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return Crossing{}, fmt.Errorf("find crossing %q: %w", slug, err)
	}
	return c, nil
}

// CargoCategories lists every category in display order.
func CargoCategories(ctx context.Context, db *gorm.DB) ([]CargoCategory, error) {
	var categories []CargoCategory
	if err := db.WithContext(ctx).Order("sort_order, code").Find(&categories).Error; err != nil {
		return nil, fmt.Errorf("list cargo categories: %w", err)
	}
	return categories, nil
}
