package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
)

// ExchangeRate is how many units of a currency buy a US dollar, as the
// defaults were converted.
type ExchangeRate struct {
	UnitsPerUSD float64 `json:"units_per_usd"`
	Source      string  `json:"source"`
	AsOf        Date    `json:"as_of"`
}

// CategoryAssumption is what the closure cost model assumes of a cargo
// category.
type CategoryAssumption struct {
	Code                      string  `json:"code"`
	ValuePerTruckUSD          float64 `json:"value_per_truck_usd"`
	HoldingCostPerTruckDayUSD float64 `json:"holding_cost_per_truck_day_usd"`
	Perishable                bool    `json:"perishable"`
	ShelfLifeDays             *int    `json:"shelf_life_days"`
	DailySpoilageRate         float64 `json:"daily_spoilage_rate"`
	Humanitarian              bool    `json:"humanitarian"`

	id     int64
	loaded bool
}

// terms are the category's assumptions as the arithmetic takes them.
func (c CategoryAssumption) terms() CategoryTerms {
	t := CategoryTerms{ValuePerTruckUSD: c.ValuePerTruckUSD, HoldingCostUSDPerDay: c.HoldingCostPerTruckDayUSD,
		Perishable: c.Perishable, DailySpoilageRate: c.DailySpoilageRate, Humanitarian: c.Humanitarian}
	if c.ShelfLifeDays != nil {
		t.ShelfLifeDays = *c.ShelfLifeDays
	}
	return t
}

// CrossingAssumption is what the model assumes of a crossing.
type CrossingAssumption struct {
	Slug                    string  `json:"slug"`
	CustomsRevenuePerDayUSD float64 `json:"customs_revenue_per_day_usd"`
	Source                  string  `json:"-"`

	id       int64
	timeZone string
	records  Date
	active   bool
}

// Assumptions are everything the estimates are computed with now.
type Assumptions struct {
	ModelVersion  string                  `json:"model_version"`
	ExchangeRates map[string]ExchangeRate `json:"exchange_rates"`
	Categories    []CategoryAssumption    `json:"categories"`
	Crossings     []CrossingAssumption    `json:"crossings"`
}

// PublicCrossings keeps the assumptions of the active crossings only.
func (a Assumptions) PublicCrossings() []CrossingAssumption {
	var out []CrossingAssumption
	for _, c := range a.Crossings {
		if c.active {
			out = append(out, c)
		}
	}
	return out
}

// assumptionsSnapshot is what an estimate of one crossing records of the
// assumptions it used, enough to compute it again by hand.
type assumptionsSnapshot struct {
	ModelVersion  string                  `json:"model_version"`
	ExchangeRates map[string]ExchangeRate `json:"exchange_rates"`
	Crossing      CrossingAssumption      `json:"crossing"`
	Categories    []CategoryAssumption    `json:"categories"`
}

// snapshot returns the JSON an estimate of crossing c records, and a short
// fingerprint of it that tells whether the assumptions have changed since.
func (a Assumptions) snapshot(c CrossingAssumption) (string, string, error) {
	b, err := json.Marshal(assumptionsSnapshot{ModelVersion: a.ModelVersion, ExchangeRates: a.ExchangeRates,
		Crossing: c, Categories: a.Categories})
	if err != nil {
		return "", "", fmt.Errorf("encode the assumptions of %s: %w", c.Slug, err)
	}
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:12]), nil
}

// CurrentAssumptions reads the assumptions the estimates use now: the
// exchange rates, every cargo category and every crossing, in display order.
func CurrentAssumptions(ctx context.Context, db *gorm.DB) (Assumptions, error) {
	a := Assumptions{ModelVersion: ImpactModelVersion, ExchangeRates: map[string]ExchangeRate{}}
	var rates []struct {
		Currency    string
		UnitsPerUSD float64
		Source      string
		AsOf        Date
	}
	if err := db.WithContext(ctx).Raw("SELECT currency, units_per_usd, source, as_of FROM exchange_rates ORDER BY currency").
		Scan(&rates).Error; err != nil {
		return Assumptions{}, fmt.Errorf("read exchange rates: %w", err)
	}
	for _, r := range rates {
		a.ExchangeRates[r.Currency] = ExchangeRate{UnitsPerUSD: r.UnitsPerUSD, Source: r.Source, AsOf: r.AsOf}
	}
	categories, err := CargoCategories(ctx, db)
	if err != nil {
		return Assumptions{}, err
	}
	for _, c := range categories {
		a.Categories = append(a.Categories, CategoryAssumption{Code: c.Code, ValuePerTruckUSD: c.ValuePerTruckUSD,
			HoldingCostPerTruckDayUSD: c.HoldingCostUSDPerDay, Perishable: c.Perishable, ShelfLifeDays: c.ShelfLifeDays,
			DailySpoilageRate: c.DailySpoilageRate, Humanitarian: c.Humanitarian, id: c.ID, loaded: c.Loaded})
	}
	var crossings []struct {
		ID                      int64
		Slug                    string
		CustomsRevenuePerDayUSD float64 `gorm:"column:customs_revenue_per_day_usd"`
		CustomsRevenueSource    string
		TimeZone                string
		RecordsFrom             Date
		Active                  bool
	}
	if err := db.WithContext(ctx).Raw(`SELECT x.id, x.slug, COALESCE(a.customs_revenue_per_day_usd, 0) AS customs_revenue_per_day_usd,
		COALESCE(a.source, '') AS customs_revenue_source, x.time_zone, x.records_from, x.active
		FROM crossings x LEFT JOIN crossing_assumptions a ON a.crossing_id = x.id ORDER BY x.sort_order, x.name`).Scan(&crossings).Error; err != nil {
		return Assumptions{}, fmt.Errorf("read the crossings' assumptions: %w", err)
	}
	for _, c := range crossings {
		a.Crossings = append(a.Crossings, CrossingAssumption{Slug: c.Slug, CustomsRevenuePerDayUSD: c.CustomsRevenuePerDayUSD,
			Source: c.CustomsRevenueSource, id: c.ID, timeZone: c.TimeZone, records: c.RecordsFrom, active: c.Active})
	}
	return a, nil
}
