package models

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"
)

// ClosureEpisode is a stored episode with its estimate.
type ClosureEpisode struct {
	CrossingSlug      string
	Start, End        Date
	Days              int
	Ongoing           bool
	Reason            *string
	Status            string
	BaselineDaysUsed  int
	Terms             *ImpactTerms
	CustomsRevenueUSD float64
	Recovered         *float64
	NetTrucks         *float64
	NetValue          *float64
	ModelVersion      string
	Assumptions       json.RawMessage // what it was computed with
}

// ClosureEpisodes returns the stored episodes of the active crossings, or
// of one crossing when crossingID is not 0, newest first.
func ClosureEpisodes(ctx context.Context, db *gorm.DB, crossingID int64) ([]ClosureEpisode, error) {
	return closureEpisodes(ctx, db, crossingID, false)
}

func closureEpisodes(ctx context.Context, db *gorm.DB, crossingID int64, ongoingOnly bool) ([]ClosureEpisode, error) {
	var rows []struct {
		Slug                         string
		StartDate, EndDate           Date
		Days                         int
		Ongoing                      bool
		Reason                       *string
		Status                       string
		BaselineDaysUsed             int
		TrucksForegoneLow            *float64
		TrucksForegoneCentral        *float64
		TrucksForegoneHigh           *float64
		TradeValueForegoneLowUSD     *float64 `gorm:"column:trade_value_foregone_low_usd"`
		TradeValueForegoneCentralUSD *float64 `gorm:"column:trade_value_foregone_central_usd"`
		TradeValueForegoneHighUSD    *float64 `gorm:"column:trade_value_foregone_high_usd"`
		TrucksWaiting                *float64
		HoldingCostUSD               *float64 `gorm:"column:holding_cost_usd"`
		SpoilageUSD                  *float64 `gorm:"column:spoilage_usd"`
		HumanitarianTrucksForegone   *float64
		CustomsRevenueForegoneUSD    float64 `gorm:"column:customs_revenue_foregone_usd"`
		TrucksRecovered              *float64
		NetTrucksForegone            *float64
		NetTradeValueForegoneUSD     *float64 `gorm:"column:net_trade_value_foregone_usd"`
		ModelVersion                 string
		Assumptions                  string
	}
	q := db.WithContext(ctx).Table("closure_episodes e").Select("x.slug, e.*, a.assumptions").
		Joins("JOIN crossings x ON x.id = e.crossing_id").
		Joins("JOIN impact_assumptions a ON a.hash = e.assumptions_hash").Where("x.active")
	if crossingID != 0 {
		q = q.Where("e.crossing_id = ?", crossingID)
	}
	if ongoingOnly {
		q = q.Where("e.ongoing")
	}
	if err := q.Order("e.start_date DESC, x.sort_order, x.name").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read closure episodes: %w", err)
	}
	out := make([]ClosureEpisode, len(rows))
	for i, r := range rows {
		e := ClosureEpisode{CrossingSlug: r.Slug, Start: r.StartDate, End: r.EndDate, Days: r.Days, Ongoing: r.Ongoing,
			Reason: r.Reason, Status: r.Status, BaselineDaysUsed: r.BaselineDaysUsed,
			CustomsRevenueUSD: r.CustomsRevenueForegoneUSD, Recovered: r.TrucksRecovered, NetTrucks: r.NetTrucksForegone,
			NetValue: r.NetTradeValueForegoneUSD, ModelVersion: r.ModelVersion, Assumptions: json.RawMessage(r.Assumptions)}
		if r.Status == ImpactOK {
			e.Terms = &ImpactTerms{
				Foregone: Range3{*r.TrucksForegoneLow, *r.TrucksForegoneCentral, *r.TrucksForegoneHigh},
				Value:    Range3{*r.TradeValueForegoneLowUSD, *r.TradeValueForegoneCentralUSD, *r.TradeValueForegoneHighUSD},
				Waiting:  *r.TrucksWaiting, Holding: *r.HoldingCostUSD, Spoilage: *r.SpoilageUSD,
				Humanitarian: *r.HumanitarianTrucksForegone}
		}
		out[i] = e
	}
	return out, nil
}

// ImpactDay is one day of a crossing's stored estimates. A day outside
// every episode has a closure share of 0 and no row in Categories.
type ImpactDay struct {
	Day               Date
	ClosureShare      float64
	Status            string  // of the day's episode; "" outside episodes
	Baseline          *Range3 // trucks; nil outside episodes and without an estimate
	Terms             *ImpactTerms
	CustomsRevenueUSD float64
	Categories        []ImpactCategoryDay // by direction and category, in category order
}

// ImpactCategoryDay is one direction and category of an ImpactDay.
type ImpactCategoryDay struct {
	Direction    Direction
	CategoryCode string
	Actual       float64
	Baseline     Range3
	ImpactTerms
}

// ImpactDays returns crossing's stored estimates for each day of r, oldest
// first: the days of its episodes with their terms, the others with none.
func ImpactDays(ctx context.Context, db *gorm.DB, crossingID int64, r DateRange) ([]ImpactDay, error) {
	var closure []struct {
		Day                       Date
		ClosureShare              float64
		CustomsRevenueForegoneUSD float64 `gorm:"column:customs_revenue_foregone_usd"`
		Status                    string
	}
	err := db.WithContext(ctx).Table("closure_days d").
		Select("d.day, d.closure_share, d.customs_revenue_foregone_usd, e.status").
		Joins("JOIN closure_episodes e ON e.crossing_id = d.crossing_id AND e.start_date = d.episode_start").
		Where("d.crossing_id = ? AND d.day BETWEEN ? AND ?", crossingID, r.From, r.To).Order("d.day").Scan(&closure).Error
	if err != nil {
		return nil, fmt.Errorf("read closure days %s to %s: %w", r.From, r.To, err)
	}
	var rows []struct {
		Day                          Date
		Direction                    Direction
		Code                         string
		TrucksActual                 float64
		TrucksBaselineLow            float64
		TrucksBaselineCentral        float64
		TrucksBaselineHigh           float64
		TrucksForegoneLow            float64
		TrucksForegoneCentral        float64
		TrucksForegoneHigh           float64
		TradeValueForegoneLowUSD     float64 `gorm:"column:trade_value_foregone_low_usd"`
		TradeValueForegoneCentralUSD float64 `gorm:"column:trade_value_foregone_central_usd"`
		TradeValueForegoneHighUSD    float64 `gorm:"column:trade_value_foregone_high_usd"`
		TrucksWaiting                float64
		HoldingCostUSD               float64 `gorm:"column:holding_cost_usd"`
		SpoilageUSD                  float64 `gorm:"column:spoilage_usd"`
		HumanitarianTrucksForegone   float64
	}
	err = db.WithContext(ctx).Table("impact_days i").Select("i.*, c.code").
		Joins("JOIN cargo_categories c ON c.id = i.category_id").
		Where("i.crossing_id = ? AND i.day BETWEEN ? AND ?", crossingID, r.From, r.To).
		Order("i.day, i.direction, c.sort_order, c.code").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read impact days %s to %s: %w", r.From, r.To, err)
	}
	byDay := make(map[Date]*ImpactDay, len(closure))
	days := make([]ImpactDay, 0, r.Days())
	for d := r.From; !d.After(r.To); d = d.AddDays(1) {
		days = append(days, ImpactDay{Day: d})
	}
	for i := range days {
		byDay[days[i].Day] = &days[i]
	}
	for _, c := range closure {
		d := byDay[c.Day]
		d.ClosureShare, d.CustomsRevenueUSD, d.Status = c.ClosureShare, c.CustomsRevenueForegoneUSD, c.Status
		if c.Status == ImpactOK {
			d.Baseline, d.Terms = &Range3{}, &ImpactTerms{}
		}
	}
	for _, row := range rows {
		d := byDay[row.Day]
		if d == nil || d.Terms == nil {
			continue
		}
		cd := ImpactCategoryDay{Direction: row.Direction, CategoryCode: row.Code, Actual: row.TrucksActual,
			Baseline: Range3{row.TrucksBaselineLow, row.TrucksBaselineCentral, row.TrucksBaselineHigh},
			ImpactTerms: ImpactTerms{
				Foregone: Range3{row.TrucksForegoneLow, row.TrucksForegoneCentral, row.TrucksForegoneHigh},
				Value:    Range3{row.TradeValueForegoneLowUSD, row.TradeValueForegoneCentralUSD, row.TradeValueForegoneHighUSD},
				Waiting:  row.TrucksWaiting, Holding: row.HoldingCostUSD, Spoilage: row.SpoilageUSD,
				Humanitarian: row.HumanitarianTrucksForegone}}
		*d.Baseline = d.Baseline.add(cd.Baseline)
		d.Terms.add(cd.ImpactTerms)
		d.Categories = append(d.Categories, cd)
	}
	return days, nil
}

// OngoingClosureEpisodes returns the estimate of each active crossing's
// episode still under way, by crossing slug.
func OngoingClosureEpisodes(ctx context.Context, db *gorm.DB) (map[string]ClosureEpisode, error) {
	list, err := closureEpisodes(ctx, db, 0, true)
	if err != nil {
		return nil, err
	}
	ongoing := make(map[string]ClosureEpisode, len(list))
	for _, e := range list {
		ongoing[e.CrossingSlug] = e
	}
	return ongoing, nil
}
