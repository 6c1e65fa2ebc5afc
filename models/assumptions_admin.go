package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"
)

// MaxCustomsRevenuePerDayUSD bounds what an administrator may enter as a
// crossing's customs revenue a day: Torkham's is about US$ 180,000.
const MaxCustomsRevenuePerDayUSD = 50_000_000

// CrossingRevenueInput is a crossing's customs revenue a day, as entered.
type CrossingRevenueInput struct {
	Slug   string
	PerDay float64
	Source string
}

// ExchangeRateInput is a currency's rate to the dollar, as entered.
type ExchangeRateInput struct {
	Currency    string
	UnitsPerUSD float64
	Source      string
	AsOf        Date
}

// SaveModelAssumptions stores the crossings' customs revenue and the
// exchange rates in one transaction, with an audit entry for each value
// that changed; a refused value is a *ValidationError naming its field
// ("revenue.SLUG", "rate.CUR") and nothing is written. It returns how many
// values changed.
func SaveModelAssumptions(ctx context.Context, db *gorm.DB, revenues []CrossingRevenueInput, rates []ExchangeRateInput, actor Actor, now time.Time) (int, error) {
	var errs []FieldError
	for _, r := range revenues {
		if math.IsNaN(r.PerDay) || r.PerDay < 0 || r.PerDay > MaxCustomsRevenuePerDayUSD {
			errs = append(errs, FieldError{Field: "revenue." + r.Slug, Code: "out_of_range", Params: map[string]any{"Min": 0, "Max": MaxCustomsRevenuePerDayUSD}})
		}
	}
	for _, r := range rates {
		if math.IsNaN(r.UnitsPerUSD) || r.UnitsPerUSD <= 0 || r.UnitsPerUSD > 1_000_000 {
			errs = append(errs, FieldError{Field: "rate." + r.Currency, Code: "out_of_range", Params: map[string]any{"Min": 0, "Max": 1_000_000}})
		}
		if r.AsOf.IsZero() || r.AsOf.After(DateOf(now, time.UTC).AddDays(1)) {
			errs = append(errs, FieldError{Field: "rate_as_of." + r.Currency, Code: "date_format"})
		}
	}
	if ve := newValidationError(errs); ve != nil {
		return 0, ve
	}
	current, err := CurrentAssumptions(ctx, db)
	if err != nil {
		return 0, err
	}
	changed := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, r := range revenues {
			var before *CrossingAssumption
			for _, c := range current.Crossings {
				if c.Slug == r.Slug {
					c := c
					before = &c
				}
			}
			if before == nil {
				return fmt.Errorf("crossing %q: %w", r.Slug, ErrNotFound)
			}
			source := strings.TrimSpace(r.Source)
			if before.CustomsRevenuePerDayUSD == r.PerDay && before.Source == source {
				continue
			}
			if err := tx.Exec(`DELETE FROM crossing_assumptions WHERE crossing_id = ?`, before.id).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO crossing_assumptions (crossing_id, customs_revenue_per_day_usd, source, updated_at) VALUES (?, ?, ?, ?)`,
				before.id, r.PerDay, source, now.UTC()).Error; err != nil {
				return err
			}
			after := map[string]any{"customs_revenue_per_day_usd": r.PerDay, "source": source}
			if err := actor.audit(tx, "update", "crossing_assumption", r.Slug,
				map[string]any{"customs_revenue_per_day_usd": before.CustomsRevenuePerDayUSD, "source": before.Source}, after); err != nil {
				return err
			}
			changed++
		}
		for _, r := range rates {
			before, ok := current.ExchangeRates[r.Currency]
			if !ok {
				return fmt.Errorf("exchange rate %q: %w", r.Currency, ErrNotFound)
			}
			source := strings.TrimSpace(r.Source)
			if before.UnitsPerUSD == r.UnitsPerUSD && before.Source == source && before.AsOf == r.AsOf {
				continue
			}
			if err := tx.Exec(`UPDATE exchange_rates SET units_per_usd = ?, source = ?, as_of = ?, updated_at = ? WHERE currency = ?`,
				r.UnitsPerUSD, source, r.AsOf, now.UTC(), r.Currency).Error; err != nil {
				return err
			}
			if err := actor.audit(tx, "update", "exchange_rate", r.Currency, before,
				ExchangeRate{UnitsPerUSD: r.UnitsPerUSD, Source: source, AsOf: r.AsOf}); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("save the model's assumptions: %w", err)
	}
	return changed, err
}
