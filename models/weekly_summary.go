package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The weekly summary's data: what every format of a published revision is
// rendered from, stored as JSON beside the files. Field names are the
// API's (snake_case, dates YYYY-MM-DD, instants RFC 3339 in UTC, money in
// US dollars with the exchange rates beside it).

// SummaryBaselineDays is the window before a week whose daily mean, times
// seven, is the week's baseline.
const SummaryBaselineDays = 28

// BaselineMethod names the baseline in the data: the mean loaded trucks
// per reported day over the 28 days before the week, times 7, per
// crossing, direction and category. It is not the loss model's baseline,
// which is per closure day.
const BaselineMethod = "mean_per_reported_day_of_28_days_before_x7"

// Costs status of a crossing's week: no closure touched it, the loss
// model's stored estimates cover its closures, or the closures are not
// yet estimated (the model has not run over them).
const (
	CostsNoClosures  = "no_closures"
	CostsComputed    = "computed"
	CostsNotComputed = "not_computed"
)

// WeeklySummary is one week's summary, for every active crossing or (in a
// per-crossing file) for one.
type WeeklySummary struct {
	Week         string             `json:"week"`
	Revision     int                `json:"revision"`
	From         Date               `json:"from"`
	To           Date               `json:"to"`
	GeneratedAt  string             `json:"generated_at"`
	ModelVersion string             `json:"model_version"`
	Unit         string             `json:"unit"`
	License      string             `json:"license"`
	Citation     string             `json:"citation"`
	HasData      bool               `json:"has_data"`
	Baseline     SummaryBaseline    `json:"baseline"`
	Totals       WeekTotals         `json:"totals"`
	Categories   []CategoryWeek     `json:"categories"`
	Crossings    []CrossingWeek     `json:"crossings"`
	Assumptions  SummaryAssumptions `json:"assumptions"`
}

// SummaryBaseline says what the baseline figures are.
type SummaryBaseline struct {
	Method string `json:"method"`
	From   Date   `json:"from"`
	To     Date   `json:"to"`
}

// WeekTotals are loaded trucks over the week by direction, against the
// baseline, and the hours the crossing (or all of them) was closed or
// restricted.
type WeekTotals struct {
	ToAfghanistan         int      `json:"to_afghanistan"`
	ToPakistan            int      `json:"to_pakistan"`
	Total                 int      `json:"total"`
	BaselineToAfghanistan *float64 `json:"baseline_to_afghanistan"`
	BaselineToPakistan    *float64 `json:"baseline_to_pakistan"`
	BaselineTotal         *float64 `json:"baseline_total"`
	HoursClosed           float64  `json:"hours_closed"`
	HoursRestricted       float64  `json:"hours_restricted"`
}

// CategoryWeek is one direction and category's trucks over the week.
type CategoryWeek struct {
	Direction      Direction `json:"direction"`
	Category       string    `json:"category"`
	Name           string    `json:"name"`
	Loaded         bool      `json:"loaded"`
	Trucks         int       `json:"trucks"`
	BaselineTrucks *float64  `json:"baseline_trucks"`
	ChangePercent  *float64  `json:"change_percent"`

	order int // the category's display order, while building
}

// CrossingWeek is one crossing's week.
type CrossingWeek struct {
	Slug         string         `json:"slug"`
	Name         string         `json:"name"`
	TimeZone     string         `json:"time_zone"`
	HasData      bool           `json:"has_data"`
	Days         []SummaryDay   `json:"days"`
	Totals       WeekTotals     `json:"totals"`
	Categories   []CategoryWeek `json:"categories"`
	Closures     []ClosureWeek  `json:"closures"`
	CostsStatus  string         `json:"costs_status"`
	Humanitarian *float64       `json:"humanitarian_trucks_held_up"`
	Completeness Completeness   `json:"completeness"`
}

// SummaryDay is one local day at a crossing: its status (the most
// restrictive state that held during the day; null when none was ever
// recorded), the hours closed and restricted, and the loaded trucks by
// direction (null when the day was not reported).
type SummaryDay struct {
	Date            Date    `json:"date"`
	State           *State  `json:"state"`
	HoursClosed     float64 `json:"hours_closed"`
	HoursRestricted float64 `json:"hours_restricted"`
	Reported        bool    `json:"reported"`
	Verified        bool    `json:"verified"`
	ToAfghanistan   *int    `json:"to_afghanistan"`
	ToPakistan      *int    `json:"to_pakistan"`
}

// Completeness counts the week's days by what was reported of them.
type Completeness struct {
	Days            int `json:"days"`
	DaysReported    int `json:"days_reported"`
	DaysVerified    int `json:"days_verified"`
	DaysProvisional int `json:"days_provisional"`
	DaysMissing     int `json:"days_missing"`
}

// ClosureWeek is a closure episode of the loss model that touches the
// week, with its estimated costs over the whole episode (null when the
// model had too little data to estimate them).
type ClosureWeek struct {
	Start                     Date       `json:"start"`
	End                       Date       `json:"end"`
	Days                      int        `json:"days"`
	Ongoing                   bool       `json:"ongoing"`
	Reason                    *string    `json:"reason"`
	Status                    string     `json:"status"`
	TrucksForegone            *CostRange `json:"trucks_foregone"`
	TradeValueForegoneUSD     *CostRange `json:"trade_value_foregone_usd"`
	HoldingCostUSD            *float64   `json:"holding_cost_usd"`
	SpoilageUSD               *float64   `json:"spoilage_usd"`
	HumanitarianTrucksHeldUp  *float64   `json:"humanitarian_trucks_held_up"`
	CustomsRevenueForegoneUSD float64    `json:"customs_revenue_foregone_usd"`
	ModelVersion              string     `json:"model_version"`
}

// CostRange is an estimate as a range: low, central and high.
type CostRange struct {
	Low     float64 `json:"low"`
	Central float64 `json:"central"`
	High    float64 `json:"high"`
}

// SummaryAssumptions are the loss model's assumptions when the summary was
// generated: the exchange rates its dollar figures were converted at and
// the value and holding cost it assumes per truck of each category.
type SummaryAssumptions struct {
	ModelVersion  string                `json:"model_version"`
	ExchangeRates []SummaryExchangeRate `json:"exchange_rates"`
	Categories    []CategoryAssumption  `json:"categories"`
	Crossings     []CrossingAssumption  `json:"crossings"`
}

// SummaryExchangeRate is one currency's rate to the US dollar.
type SummaryExchangeRate struct {
	Currency string `json:"currency"`
	ExchangeRate
}

// BuildWeeklySummary reads the week's figures, statuses and stored loss
// estimates of every active crossing, as of the instant now. It never
// computes the loss model itself: it reads what the model stored.
func BuildWeeklySummary(ctx context.Context, db *gorm.DB, week ISOWeek, now time.Time) (WeeklySummary, error) {
	r := week.Range()
	s := WeeklySummary{Week: week.String(), From: r.From, To: r.To, Unit: "loaded_trucks",
		GeneratedAt: now.UTC().Format(time.RFC3339),
		Baseline:    SummaryBaseline{Method: BaselineMethod, From: r.From.AddDays(-SummaryBaselineDays), To: r.From.AddDays(-1)}}
	crossings, err := ActiveCrossings(ctx, db)
	if err != nil {
		return s, err
	}
	categories, err := CargoCategories(ctx, db)
	if err != nil {
		return s, err
	}
	assumptions, err := CurrentAssumptions(ctx, db)
	if err != nil {
		return s, err
	}
	s.ModelVersion = assumptions.ModelVersion
	s.Assumptions = SummaryAssumptions{ModelVersion: assumptions.ModelVersion, Categories: assumptions.Categories,
		Crossings: assumptions.PublicCrossings()}
	for currency, rate := range assumptions.ExchangeRates {
		s.Assumptions.ExchangeRates = append(s.Assumptions.ExchangeRates, SummaryExchangeRate{Currency: currency, ExchangeRate: rate})
	}
	slices.SortFunc(s.Assumptions.ExchangeRates, func(a, b SummaryExchangeRate) int {
		return compareStrings(a.Currency, b.Currency)
	})
	ids := make([]int64, len(crossings))
	for i, c := range crossings {
		ids[i] = c.ID
	}
	totals, err := DailyLoadedTotals(ctx, db, ids, r)
	if err != nil {
		return s, err
	}
	verified, err := verifiedDays(ctx, db, ids, r)
	if err != nil {
		return s, err
	}
	weekTrucks, _, err := categoryTrucks(ctx, db, ids, r)
	if err != nil {
		return s, err
	}
	baselineTrucks, baselineDays, err := categoryTrucks(ctx, db, ids, DateRange{From: s.Baseline.From, To: s.Baseline.To})
	if err != nil {
		return s, err
	}
	for _, c := range crossings {
		cw, err := buildCrossingWeek(ctx, db, c, r, now, totals[c.ID], verified[c.ID], categories,
			weekTrucks[c.ID], baselineTrucks[c.ID], baselineDays[c.ID])
		if err != nil {
			return s, err
		}
		s.HasData = s.HasData || cw.HasData
		s.Crossings = append(s.Crossings, cw)
	}
	s.Totals, s.Categories = combineCrossings(s.Crossings)
	return s, nil
}

func compareStrings(a, b string) int { return strings.Compare(a, b) }

// buildCrossingWeek assembles one crossing's week.
func buildCrossingWeek(ctx context.Context, db *gorm.DB, c Crossing, r DateRange, now time.Time,
	days map[Date]DayTotals, verified map[Date]bool, categories []CargoCategory,
	week, baseline map[categoryKey]int, baselineDays int) (CrossingWeek, error) {
	cw := CrossingWeek{Slug: c.Slug, Name: c.Name, TimeZone: c.TimeZone, Completeness: Completeness{Days: r.Days()}}
	loc := c.Location()
	start, end := r.From.Start(loc), r.To.AddDays(1).Start(loc)
	if end.After(now) {
		end = now
	}
	changes, err := StatusHistory(ctx, db, c.ID, start, end)
	if err != nil {
		return cw, err
	}
	spells := Spells(changes, start, end)
	for d := r.From; !d.After(r.To); d = d.AddDays(1) {
		day := SummaryDay{Date: d}
		day.State, day.HoursClosed, day.HoursRestricted = dayStatus(spells, d.Start(loc), d.AddDays(1).Start(loc))
		if t, ok := days[d]; ok {
			to, tp := t.ToAfghanistan, t.ToPakistan
			day.Reported, day.ToAfghanistan, day.ToPakistan = true, &to, &tp
			day.Verified = verified[d]
			cw.Totals.ToAfghanistan += to
			cw.Totals.ToPakistan += tp
			cw.Completeness.DaysReported++
			if day.Verified {
				cw.Completeness.DaysVerified++
			} else {
				cw.Completeness.DaysProvisional++
			}
		}
		cw.Totals.HoursClosed += day.HoursClosed
		cw.Totals.HoursRestricted += day.HoursRestricted
		cw.HasData = cw.HasData || day.Reported || day.State != nil
		cw.Days = append(cw.Days, day)
	}
	cw.Completeness.DaysMissing = cw.Completeness.Days - cw.Completeness.DaysReported
	cw.Totals.Total = cw.Totals.ToAfghanistan + cw.Totals.ToPakistan
	cw.Totals.HoursClosed, cw.Totals.HoursRestricted = round(cw.Totals.HoursClosed, 2), round(cw.Totals.HoursRestricted, 2)
	for _, cat := range categories {
		for _, dir := range Directions {
			key := categoryKey{dir, cat.ID}
			n, seen := week[key]
			b, inBaseline := baseline[key]
			if !seen && !inBaseline {
				continue
			}
			cwk := CategoryWeek{Direction: dir, Category: cat.Code, Name: cat.Name, Loaded: cat.Loaded, Trucks: n, order: cat.SortOrder}
			if baselineDays > 0 {
				mean := round(float64(b)/float64(baselineDays)*7, 1)
				cwk.BaselineTrucks = &mean
			}
			cw.Categories = append(cw.Categories, cwk)
		}
	}
	sortCategories(cw.Categories)
	finishCategories(cw.Categories, &cw.Totals)
	if err := addClosures(ctx, db, c, r, &cw); err != nil {
		return cw, err
	}
	return cw, nil
}

// sortCategories orders categories by direction, then display order.
func sortCategories(cats []CategoryWeek) {
	slices.SortStableFunc(cats, func(a, b CategoryWeek) int {
		if c := compareStrings(string(a.Direction), string(b.Direction)); c != 0 {
			return c
		}
		return a.order - b.order
	})
}

// dayStatus is the most restrictive state during [from, to) and the hours
// closed and restricted in it.
func dayStatus(spells []StatusSpell, from, to time.Time) (*State, float64, float64) {
	var state *State
	var closed, restricted time.Duration
	rank := map[State]int{StateOpen: 1, StateRestricted: 2, StateClosed: 3}
	for _, sp := range spells {
		start, end := laterOf(sp.Start, from), earlierOf(sp.End, to)
		if !start.Before(end) {
			continue
		}
		st := sp.Change.State
		if state == nil || rank[st] > rank[*state] {
			state = &st
		}
		switch st {
		case StateClosed:
			closed += end.Sub(start)
		case StateRestricted:
			restricted += end.Sub(start)
		}
	}
	return state, round(closed.Hours(), 2), round(restricted.Hours(), 2)
}

// finishCategories sets each category's change against its baseline and
// the loaded totals' baselines.
func finishCategories(cats []CategoryWeek, t *WeekTotals) {
	var byDir [2]*float64
	for i := range cats {
		c := &cats[i]
		if c.BaselineTrucks != nil && *c.BaselineTrucks > 0 {
			p := round((float64(c.Trucks)-*c.BaselineTrucks) / *c.BaselineTrucks * 100, 1)
			c.ChangePercent = &p
		}
		if !c.Loaded || c.BaselineTrucks == nil {
			continue
		}
		i := 0
		if c.Direction == ToPakistan {
			i = 1
		}
		sum := *c.BaselineTrucks
		if byDir[i] != nil {
			sum += *byDir[i]
		}
		byDir[i] = &sum
	}
	if byDir[0] != nil || byDir[1] != nil {
		a, p := deref(byDir[0]), deref(byDir[1])
		a, p = round(a, 1), round(p, 1)
		total := round(a+p, 1)
		t.BaselineToAfghanistan, t.BaselineToPakistan, t.BaselineTotal = &a, &p, &total
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// combineCrossings adds the crossings' weeks into the totals and categories
// of all of them together.
func combineCrossings(crossings []CrossingWeek) (WeekTotals, []CategoryWeek) {
	var t WeekTotals
	var cats []CategoryWeek
	index := map[string]int{}
	for _, c := range crossings {
		t.ToAfghanistan += c.Totals.ToAfghanistan
		t.ToPakistan += c.Totals.ToPakistan
		t.HoursClosed += c.Totals.HoursClosed
		t.HoursRestricted += c.Totals.HoursRestricted
		for _, cat := range c.Categories {
			key := string(cat.Direction) + " " + cat.Category
			i, ok := index[key]
			if !ok {
				i = len(cats)
				index[key] = i
				cats = append(cats, CategoryWeek{Direction: cat.Direction, Category: cat.Category, Name: cat.Name,
					Loaded: cat.Loaded, order: cat.order})
			}
			cats[i].Trucks += cat.Trucks
			if cat.BaselineTrucks != nil {
				sum := round(deref(cats[i].BaselineTrucks)+*cat.BaselineTrucks, 1)
				cats[i].BaselineTrucks = &sum
			}
		}
	}
	sortCategories(cats)
	t.Total = t.ToAfghanistan + t.ToPakistan
	t.HoursClosed, t.HoursRestricted = round(t.HoursClosed, 2), round(t.HoursRestricted, 2)
	finishCategories(cats, &t)
	return t, cats
}

// round rounds x to the given decimals, so that every format shows the
// same number.
func round(x float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(x*p) / p
}

// addClosures adds the loss model's stored episodes that touch the week,
// and the humanitarian trucks held up on the week's days.
func addClosures(ctx context.Context, db *gorm.DB, c Crossing, r DateRange, cw *CrossingWeek) error {
	blocked := cw.Totals.HoursClosed > 0 || cw.Totals.HoursRestricted > 0
	episodes, err := ClosureEpisodes(ctx, db, c.ID)
	if err != nil {
		return err
	}
	for _, e := range episodes {
		if e.Start.After(r.To) || e.End.Before(r.From) {
			continue
		}
		w := ClosureWeek{Start: e.Start, End: e.End, Days: e.Days, Ongoing: e.Ongoing, Reason: e.Reason, Status: e.Status,
			CustomsRevenueForegoneUSD: round(e.CustomsRevenueUSD, 2), ModelVersion: e.ModelVersion}
		if t := e.Terms; t != nil {
			foregone := CostRange{round(t.Foregone.Low, 1), round(t.Foregone.Central, 1), round(t.Foregone.High, 1)}
			value := CostRange{round(t.Value.Low, 2), round(t.Value.Central, 2), round(t.Value.High, 2)}
			holding, spoilage, humanitarian := round(t.Holding, 2), round(t.Spoilage, 2), round(t.Humanitarian, 1)
			w.TrucksForegone, w.TradeValueForegoneUSD = &foregone, &value
			w.HoldingCostUSD, w.SpoilageUSD, w.HumanitarianTrucksHeldUp = &holding, &spoilage, &humanitarian
		}
		cw.Closures = append(cw.Closures, w)
	}
	slices.SortFunc(cw.Closures, func(a, b ClosureWeek) int { return compareStrings(a.Start.String(), b.Start.String()) })
	switch {
	case len(cw.Closures) > 0:
		cw.CostsStatus = CostsComputed
	case blocked:
		cw.CostsStatus = CostsNotComputed
	default:
		cw.CostsStatus = CostsNoClosures
	}
	if len(cw.Closures) == 0 {
		return nil
	}
	days, err := ImpactDays(ctx, db, c.ID, r)
	if err != nil {
		return err
	}
	var held float64
	for _, d := range days {
		if d.Terms != nil {
			held += d.Terms.Humanitarian
		}
	}
	held = round(held, 1)
	cw.Humanitarian = &held
	return nil
}

// categoryKey is a direction and a category.
type categoryKey struct {
	Direction  Direction
	CategoryID int64
}

// categoryTrucks sums each crossing's trucks by direction and category over
// r, and counts the days each crossing reported in r.
func categoryTrucks(ctx context.Context, db *gorm.DB, ids []int64, r DateRange) (map[int64]map[categoryKey]int, map[int64]int, error) {
	sums := map[int64]map[categoryKey]int{}
	days := map[int64]int{}
	if len(ids) == 0 {
		return sums, days, nil
	}
	var rows []struct {
		CrossingID int64
		Direction  Direction
		CategoryID int64
		Trucks     int
	}
	err := db.WithContext(ctx).Raw(`SELECT crossing_id, direction, category_id, SUM(trucks) AS trucks
		FROM daily_figures WHERE crossing_id IN ? AND day BETWEEN ? AND ?
		GROUP BY crossing_id, direction, category_id`, ids, r.From, r.To).Scan(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("sum trucks by category %s to %s: %w", r.From, r.To, err)
	}
	for _, row := range rows {
		if sums[row.CrossingID] == nil {
			sums[row.CrossingID] = map[categoryKey]int{}
		}
		sums[row.CrossingID][categoryKey{row.Direction, row.CategoryID}] = row.Trucks
	}
	var counts []struct {
		CrossingID int64
		Days       int
	}
	err = db.WithContext(ctx).Raw(`SELECT crossing_id, COUNT(DISTINCT day) AS days FROM daily_figures
		WHERE crossing_id IN ? AND day BETWEEN ? AND ? GROUP BY crossing_id`, ids, r.From, r.To).Scan(&counts).Error
	if err != nil {
		return nil, nil, fmt.Errorf("count reported days %s to %s: %w", r.From, r.To, err)
	}
	for _, c := range counts {
		days[c.CrossingID] = c.Days
	}
	return sums, days, nil
}

// verifiedDays reports, per crossing, the days of r a supervisor verified.
func verifiedDays(ctx context.Context, db *gorm.DB, ids []int64, r DateRange) (map[int64]map[Date]bool, error) {
	out := map[int64]map[Date]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		CrossingID int64
		Day        Date
	}
	err := db.WithContext(ctx).Raw(`SELECT crossing_id, day FROM crossing_days
		WHERE crossing_id IN ? AND day BETWEEN ? AND ? AND verified_at IS NOT NULL`, ids, r.From, r.To).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read verified days %s to %s: %w", r.From, r.To, err)
	}
	for _, row := range rows {
		if out[row.CrossingID] == nil {
			out[row.CrossingID] = map[Date]bool{}
		}
		out[row.CrossingID][row.Day] = true
	}
	return out, nil
}

// ForCrossing is the summary narrowed to one crossing: its days, totals
// and categories only. It returns false when the crossing is not in it.
func (s WeeklySummary) ForCrossing(slug string) (WeeklySummary, bool) {
	i := slices.IndexFunc(s.Crossings, func(c CrossingWeek) bool { return c.Slug == slug })
	if i < 0 {
		return WeeklySummary{}, false
	}
	c := s.Crossings[i]
	s.Crossings = []CrossingWeek{c}
	s.Totals, s.Categories, s.HasData = c.Totals, c.Categories, c.HasData
	return s, true
}
