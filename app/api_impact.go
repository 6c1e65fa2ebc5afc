package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// The closure cost model's answers in the read API: each day's estimate at
// a crossing, each closure episode with its totals, and the assumptions.
// The job recomputes the estimates; these handlers only read them.

// impactDefaultDays is the impact range when from and to are absent.
const impactDefaultDays = 90

// apiRange is an estimate as a range.
type apiRange struct {
	Low     float64 `json:"low"`
	Central float64 `json:"central"`
	High    float64 `json:"high"`
}

func newAPIRange(r models.Range3) *apiRange {
	return &apiRange{Low: round2(r.Low), Central: round2(r.Central), High: round2(r.High)}
}

// round2 keeps two decimals: cents of a dollar, hundredths of a truck.
func round2(v float64) float64 { return math.Round(v*100) / 100 }

func rounded(v float64) *float64 {
	r := round2(v)
	return &r
}

// apiImpactTerms are the estimated terms of a day, a category's day or an
// episode; each is null when the episode has insufficient data.
type apiImpactTerms struct {
	TrucksForegone             *apiRange `json:"trucks_foregone"`
	TradeValueForegoneUSD      *apiRange `json:"trade_value_foregone_usd"`
	TrucksWaiting              *float64  `json:"trucks_waiting"`
	HoldingCostUSD             *float64  `json:"holding_cost_usd"`
	SpoilageUSD                *float64  `json:"spoilage_usd"`
	HumanitarianTrucksForegone *float64  `json:"humanitarian_trucks_foregone"`
}

func newAPIImpactTerms(t *models.ImpactTerms) apiImpactTerms {
	if t == nil {
		return apiImpactTerms{}
	}
	return apiImpactTerms{TrucksForegone: newAPIRange(t.Foregone), TradeValueForegoneUSD: newAPIRange(t.Value),
		TrucksWaiting: rounded(t.Waiting), HoldingCostUSD: rounded(t.Holding), SpoilageUSD: rounded(t.Spoilage),
		HumanitarianTrucksForegone: rounded(t.Humanitarian)}
}

// apiImpactDay is one day at a crossing. Categories is null unless asked
// for with by=category.
type apiImpactDay struct {
	Date                      models.Date `json:"date"`
	ClosureShare              float64     `json:"closure_share"`
	Affected                  bool        `json:"affected"`
	TrucksBaseline            *apiRange   `json:"trucks_baseline"`
	TrucksActual              *int        `json:"trucks_actual"`
	CustomsRevenueForegoneUSD float64     `json:"customs_revenue_foregone_usd"`
	apiImpactTerms
	Categories *[]apiImpactCategory `json:"categories"`
}

// apiImpactCategory is one direction and category of a day.
type apiImpactCategory struct {
	Direction      string    `json:"direction"`
	Category       string    `json:"category"`
	TrucksBaseline *apiRange `json:"trucks_baseline"`
	TrucksActual   int       `json:"trucks_actual"`
	apiImpactTerms
}

// apiCrossingImpact answers GET /api/v1/crossings/{slug}/impact: one row
// per day of the range, with the totals over directions and categories,
// and with by=category their breakdown.
func (a *App) apiCrossingImpact(c echo.Context) error {
	ctx := c.Request().Context()
	crossing, err := a.apiCrossingParam(c)
	if err != nil {
		return err
	}
	byCategory, err := parseImpactBy(c.QueryParams()["by"])
	q, rangeErr := parseRangeQuery(c.QueryParams(), a.rangeRules(crossing, impactDefaultDays, "json"))
	if err := joinBadRequests(err, rangeErr); err != nil {
		return err
	}
	days, err := models.ImpactDays(ctx, a.db, crossing.ID, q.Range)
	if err != nil {
		return err
	}
	totals, err := models.DailyLoadedTotals(ctx, a.db, []int64{crossing.ID}, q.Range)
	if err != nil {
		return err
	}
	out := make([]apiImpactDay, len(days))
	for i, d := range days {
		row := apiImpactDay{Date: d.Day, ClosureShare: d.ClosureShare, Affected: d.ClosureShare > 0,
			CustomsRevenueForegoneUSD: round2(d.CustomsRevenueUSD), apiImpactTerms: newAPIImpactTerms(d.Terms)}
		if !row.Affected {
			// Open all day: nothing was foregone.
			row.apiImpactTerms = newAPIImpactTerms(&models.ImpactTerms{})
		}
		if d.Baseline != nil {
			row.TrucksBaseline = newAPIRange(*d.Baseline)
		}
		if t, ok := totals[crossing.ID][d.Day]; ok {
			n := t.Total()
			row.TrucksActual = &n
		}
		if byCategory {
			list := make([]apiImpactCategory, len(d.Categories))
			for j, cd := range d.Categories {
				list[j] = apiImpactCategory{Direction: string(cd.Direction), Category: cd.CategoryCode,
					TrucksBaseline: newAPIRange(cd.Baseline), TrucksActual: int(cd.Actual), apiImpactTerms: newAPIImpactTerms(&cd.ImpactTerms)}
			}
			row.Categories = &list
		}
		out[i] = row
	}
	return a.sendJSON(c, struct {
		Crossing     string         `json:"crossing"`
		ModelVersion string         `json:"model_version"`
		Days         []apiImpactDay `json:"days"`
	}{crossing.Slug, models.ImpactModelVersion, out})
}

// parseImpactBy reads by: absent, empty or "category".
func parseImpactBy(values []string) (bool, error) {
	switch {
	case len(values) > 1:
		return false, badRequest(map[string]string{"by": fmt.Sprintf("by is given %d times; give it once", len(values))})
	case len(values) == 0 || values[0] == "":
		return false, nil
	case values[0] == "category":
		return true, nil
	}
	return false, badRequest(map[string]string{"by": fmt.Sprintf("by %s is not supported; use category", quoteValue(values[0]))})
}

// joinBadRequests merges the 400s of several parameters into one naming
// them all; any other error is returned as it is.
func joinBadRequests(errs ...error) error {
	fields := map[string]string{}
	for _, err := range errs {
		var re *requestError
		switch {
		case err == nil:
		case errors.As(err, &re) && re.fields != nil:
			for k, v := range re.fields {
				fields[k] = v
			}
		default:
			return err
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return badRequest(fields)
}

// apiClosure is one closure episode with its totals.
type apiClosure struct {
	Crossing         string      `json:"crossing"`
	StartDate        models.Date `json:"start_date"`
	EndDate          models.Date `json:"end_date"`
	Days             int         `json:"days"`
	Ongoing          bool        `json:"ongoing"`
	Reason           *string     `json:"reason"`
	Status           string      `json:"status"`
	BaselineDaysUsed int         `json:"baseline_days_used"`
	apiImpactTerms
	CustomsRevenueForegoneUSD float64         `json:"customs_revenue_foregone_usd"`
	TrucksRecovered           *float64        `json:"trucks_recovered"`
	NetTrucksForegone         *float64        `json:"net_trucks_foregone"`
	NetTradeValueForegoneUSD  *float64        `json:"net_trade_value_foregone_usd"`
	ModelVersion              string          `json:"model_version"`
	Assumptions               json.RawMessage `json:"assumptions"`
}

func optionalRounded(v *float64) *float64 {
	if v == nil {
		return nil
	}
	return rounded(*v)
}

// apiClosures answers GET /api/v1/closures[?crossing=SLUG]: every closure
// episode, newest first.
func (a *App) apiClosures(c echo.Context) error {
	ctx := c.Request().Context()
	var crossingID int64
	switch values := c.QueryParams()["crossing"]; {
	case len(values) > 1:
		return badRequest(map[string]string{"crossing": fmt.Sprintf("crossing is given %d times; give it once", len(values))})
	case len(values) == 1 && values[0] != "":
		crossing, err := models.PublicCrossingBySlug(ctx, a.db, values[0])
		if errors.Is(err, models.ErrNotFound) {
			return badRequest(map[string]string{"crossing": fmt.Sprintf("there is no crossing %s; GET /api/v1/crossings lists them", quoteValue(values[0]))})
		}
		if err != nil {
			return err
		}
		crossingID = crossing.ID
	}
	episodes, err := models.ClosureEpisodes(ctx, a.db, crossingID)
	if err != nil {
		return err
	}
	list := make([]apiClosure, len(episodes))
	for i, e := range episodes {
		list[i] = apiClosure{Crossing: e.CrossingSlug, StartDate: e.Start, EndDate: e.End, Days: e.Days, Ongoing: e.Ongoing,
			Reason: e.Reason, Status: e.Status, BaselineDaysUsed: e.BaselineDaysUsed, apiImpactTerms: newAPIImpactTerms(e.Terms),
			CustomsRevenueForegoneUSD: round2(e.CustomsRevenueUSD), TrucksRecovered: optionalRounded(e.Recovered),
			NetTrucksForegone: optionalRounded(e.NetTrucks), NetTradeValueForegoneUSD: optionalRounded(e.NetValue),
			ModelVersion: e.ModelVersion, Assumptions: e.Assumptions}
	}
	return a.sendJSON(c, struct {
		Closures []apiClosure `json:"closures"`
	}{list})
}

// apiAssumptions answers GET /api/v1/assumptions: what the estimates use now.
func (a *App) apiAssumptions(c echo.Context) error {
	current, err := models.CurrentAssumptions(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	crossings := current.PublicCrossings()
	if crossings == nil {
		crossings = []models.CrossingAssumption{}
	}
	current.Crossings = crossings
	return a.sendJSON(c, current)
}
