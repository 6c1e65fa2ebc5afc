package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// The impact API as a client reads it.
type (
	rangeJSON struct {
		Low     float64 `json:"low"`
		Central float64 `json:"central"`
		High    float64 `json:"high"`
	}
	termsJSON struct {
		TrucksForegone             *rangeJSON `json:"trucks_foregone"`
		TradeValueForegoneUSD      *rangeJSON `json:"trade_value_foregone_usd"`
		TrucksWaiting              *float64   `json:"trucks_waiting"`
		HoldingCostUSD             *float64   `json:"holding_cost_usd"`
		SpoilageUSD                *float64   `json:"spoilage_usd"`
		HumanitarianTrucksForegone *float64   `json:"humanitarian_trucks_foregone"`
	}
	impactJSON struct {
		Crossing     string `json:"crossing"`
		ModelVersion string `json:"model_version"`
		Days         []struct {
			Date                      string     `json:"date"`
			ClosureShare              float64    `json:"closure_share"`
			Affected                  bool       `json:"affected"`
			TrucksBaseline            *rangeJSON `json:"trucks_baseline"`
			TrucksActual              *int       `json:"trucks_actual"`
			CustomsRevenueForegoneUSD float64    `json:"customs_revenue_foregone_usd"`
			termsJSON
			Categories *[]struct {
				Direction      string    `json:"direction"`
				Category       string    `json:"category"`
				TrucksBaseline rangeJSON `json:"trucks_baseline"`
				TrucksActual   int       `json:"trucks_actual"`
				termsJSON
			} `json:"categories"`
		} `json:"days"`
	}
	closuresJSON struct {
		Closures []struct {
			Crossing         string  `json:"crossing"`
			StartDate        string  `json:"start_date"`
			EndDate          string  `json:"end_date"`
			Days             int     `json:"days"`
			Ongoing          bool    `json:"ongoing"`
			Reason           *string `json:"reason"`
			Status           string  `json:"status"`
			BaselineDaysUsed int     `json:"baseline_days_used"`
			termsJSON
			CustomsRevenueForegoneUSD float64  `json:"customs_revenue_foregone_usd"`
			TrucksRecovered           *float64 `json:"trucks_recovered"`
			NetTrucksForegone         *float64 `json:"net_trucks_foregone"`
			NetTradeValueForegoneUSD  *float64 `json:"net_trade_value_foregone_usd"`
			ModelVersion              string   `json:"model_version"`
			Assumptions               struct {
				ModelVersion string `json:"model_version"`
				Crossing     struct {
					Slug                    string  `json:"slug"`
					CustomsRevenuePerDayUSD float64 `json:"customs_revenue_per_day_usd"`
				} `json:"crossing"`
				Categories []json.RawMessage `json:"categories"`
			} `json:"assumptions"`
		} `json:"closures"`
	}
	assumptionsJSON struct {
		ModelVersion  string `json:"model_version"`
		ExchangeRates map[string]struct {
			UnitsPerUSD float64 `json:"units_per_usd"`
			Source      string  `json:"source"`
			AsOf        string  `json:"as_of"`
		} `json:"exchange_rates"`
		Categories []struct {
			Code                      string  `json:"code"`
			ValuePerTruckUSD          float64 `json:"value_per_truck_usd"`
			HoldingCostPerTruckDayUSD float64 `json:"holding_cost_per_truck_day_usd"`
			Perishable                bool    `json:"perishable"`
			ShelfLifeDays             *int    `json:"shelf_life_days"`
			DailySpoilageRate         float64 `json:"daily_spoilage_rate"`
			Humanitarian              bool    `json:"humanitarian"`
		} `json:"categories"`
		Crossings []struct {
			Slug                    string  `json:"slug"`
			CustomsRevenuePerDayUSD float64 `json:"customs_revenue_per_day_usd"`
		} `json:"crossings"`
	}
)

// impactClient gets JSON from the App, each request from its own address
// so that the rate limit (whose clock the fixture stops) never interferes.
type impactClient struct {
	t *testing.T
	a *App
	n int
}

func (c *impactClient) get(path string, status int, v any) {
	c.t.Helper()
	c.n++
	rec := getFrom(c.t, c.a, fmt.Sprintf("192.0.2.%d:1234", 100+c.n), path)
	if rec.Code != status {
		c.t.Fatalf("GET %s = %d, want %d: %s", path, rec.Code, status, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		c.t.Fatalf("GET %s: %v\n%s", path, err, rec.Body)
	}
}

// newImpactApp loads 180 days of demo data up to noon on 27 Nov 2026 and
// adds a Torkham day closed for six hours without figures (too little
// data to estimate), then computes the estimates.
func newImpactApp(t *testing.T, databaseURL string) (*App, *impactClient) {
	t.Helper()
	a := newTestApp(t, databaseURL)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
	a.now = func() time.Time { return now }
	ctx := context.Background()
	db := a.DB()
	if _, err := models.LoadDemo(ctx, db, models.DemoOptions{Days: 180, End: models.DateOf(now, pkt), Now: now, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	torkham, err := models.CrossingBySlug(ctx, db, "torkham")
	if err != nil {
		t.Fatal(err)
	}
	unreported := models.NewDate(2026, 10, 10)
	if err := db.Exec("DELETE FROM daily_figures WHERE crossing_id = ? AND day = ?", torkham.ID, unreported).Error; err != nil {
		t.Fatal(err)
	}
	weather := models.ReasonWeather
	for _, c := range []models.StatusChange{
		{CrossingID: torkham.ID, State: models.StateClosed, Reason: &weather, EffectiveAt: unreported.Start(pkt).Add(6 * time.Hour), Source: "form"},
		{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: unreported.Start(pkt).Add(12 * time.Hour), Source: "form"},
	} {
		c.RecordedAt = c.EffectiveAt
		if err := db.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := models.RecomputeImpactAsOf(ctx, db, models.Date{}, models.Date{}, now); err != nil {
		t.Fatal(err)
	}
	return a, &impactClient{t: t, a: a}
}

func TestAPIClosuresListsEpisodesWithTheirCosts(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		_, client := newImpactApp(t, databaseURL)
		var all closuresJSON
		client.get("/api/v1/closures", http.StatusOK, &all)
		// Torkham: the security closure of August, the six hours of
		// 10 October, the humanitarian-only restriction of November;
		// Chaman: the political closure of October and the sit-in going on now.
		var got []string
		for _, c := range all.Closures {
			got = append(got, fmt.Sprintf("%s %s..%s %s %s ongoing=%v", c.Crossing, c.StartDate, c.EndDate, *c.Reason, c.Status, c.Ongoing))
		}
		want := []string{
			"chaman 2026-11-26..2026-11-27 protest ok ongoing=true",
			"torkham 2026-11-01..2026-11-04 documentation ok ongoing=false",
			"torkham 2026-10-10..2026-10-10 weather insufficient_data ongoing=false",
			"chaman 2026-09-30..2026-10-10 political ok ongoing=false",
			"torkham 2026-08-02..2026-08-10 security ok ongoing=false",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("closures, newest first:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, c := range all.Closures {
			if c.ModelVersion != models.ImpactModelVersion || c.Assumptions.Crossing.Slug != c.Crossing || len(c.Assumptions.Categories) != 14 {
				t.Errorf("%s %s: model %s, assumptions %+v", c.Crossing, c.StartDate, c.ModelVersion, c.Assumptions.Crossing)
			}
			if c.Status == "insufficient_data" {
				if c.TrucksForegone != nil || c.TradeValueForegoneUSD != nil || c.NetTrucksForegone != nil || c.BaselineDaysUsed != 28 {
					t.Errorf("an episode with insufficient data shows an estimate: %+v", c)
				}
				if math.Abs(c.CustomsRevenueForegoneUSD-178571.43/4) > 0.01 {
					t.Errorf("six hours of Torkham cost $%v of customs revenue, want a quarter day's", c.CustomsRevenueForegoneUSD)
				}
				continue
			}
			v := c.TradeValueForegoneUSD
			if v == nil || !(v.Low <= v.Central && v.Central <= v.High) || v.Central <= 0 || *c.NetTradeValueForegoneUSD > v.Central {
				t.Errorf("%s %s: trade value %+v, net %v", c.Crossing, c.StartDate, v, c.NetTradeValueForegoneUSD)
			}
			if c.Ongoing && *c.TrucksRecovered != 0 {
				t.Errorf("an ongoing episode recovered %v trucks", *c.TrucksRecovered)
			}
		}

		var chaman closuresJSON
		client.get("/api/v1/closures?crossing=chaman", http.StatusOK, &chaman)
		if len(chaman.Closures) != 2 || chaman.Closures[0].Crossing != "chaman" || chaman.Closures[1].Crossing != "chaman" {
			t.Errorf("closures of chaman: %+v", chaman.Closures)
		}
		for _, c := range []struct{ path, message string }{
			{"/api/v1/closures?crossing=kabul", "there is no crossing 'kabul'"},
			{"/api/v1/closures?crossing=torkham&crossing=chaman", "crossing is given 2 times"},
			{"/api/v1/closures?crossing=" + strings.Repeat("x", 500), "…'"},
		} {
			var body apiError
			client.get(c.path, http.StatusBadRequest, &body)
			if body.Error.Code != "bad_request" || !strings.Contains(body.Error.Fields["crossing"], c.message) {
				t.Errorf("GET %.60s: %+v, want crossing: %q", c.path, body.Error, c.message)
			}
		}
	})
}

func TestAPIImpactGivesEachDayAndAddsUpToTheEpisode(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		_, client := newImpactApp(t, databaseURL)
		var closures closuresJSON
		client.get("/api/v1/closures?crossing=torkham", http.StatusOK, &closures)
		episode := closures.Closures[0] // the restriction of 1–4 November
		var impact impactJSON
		client.get("/api/v1/crossings/torkham/impact?from=2026-10-30&to=2026-11-06&by=category", http.StatusOK, &impact)
		if impact.Crossing != "torkham" || impact.ModelVersion != models.ImpactModelVersion || len(impact.Days) != 8 {
			t.Fatalf("impact: %s %s with %d days, want torkham, %s, 8 days", impact.Crossing, impact.ModelVersion, len(impact.Days), models.ImpactModelVersion)
		}
		var value, customs, holding float64
		for _, d := range impact.Days {
			inEpisode := d.Date >= episode.StartDate && d.Date <= episode.EndDate
			if d.Affected != inEpisode || (d.ClosureShare > 0) != inEpisode || d.Categories == nil {
				t.Errorf("%s: affected %v, share %v, in the episode %v", d.Date, d.Affected, d.ClosureShare, inEpisode)
				continue
			}
			if d.TrucksActual == nil {
				t.Errorf("%s: no trucks recorded on a demo day", d.Date)
			}
			if !inEpisode {
				if d.TrucksBaseline != nil || d.TradeValueForegoneUSD == nil || *d.TradeValueForegoneUSD != (rangeJSON{}) ||
					*d.HoldingCostUSD != 0 || d.CustomsRevenueForegoneUSD != 0 || len(*d.Categories) != 0 {
					t.Errorf("%s, open all day, has costs: %+v", d.Date, d)
				}
				continue
			}
			value += d.TradeValueForegoneUSD.Central
			holding += *d.HoldingCostUSD
			customs += d.CustomsRevenueForegoneUSD
			// The categories add up to the day.
			var catValue, catHumanitarian float64
			for _, c := range *d.Categories {
				catValue += c.TradeValueForegoneUSD.Central
				catHumanitarian += *c.HumanitarianTrucksForegone
				if c.Category == "empty" {
					t.Errorf("%s: empty trucks have a cost", d.Date)
				}
			}
			if math.Abs(catValue-d.TradeValueForegoneUSD.Central) > 1 || math.Abs(catHumanitarian-*d.HumanitarianTrucksForegone) > 0.1 {
				t.Errorf("%s: categories add up to $%v and %v humanitarian trucks, the day says $%v and %v", d.Date, catValue,
					catHumanitarian, d.TradeValueForegoneUSD.Central, *d.HumanitarianTrucksForegone)
			}
		}
		if math.Abs(value-episode.TradeValueForegoneUSD.Central) > 1 || math.Abs(holding-*episode.HoldingCostUSD) > 1 ||
			math.Abs(customs-episode.CustomsRevenueForegoneUSD) > 0.1 {
			t.Errorf("the days add up to $%v trade, $%v holding, $%v customs; the episode says %v, %v, %v", value, holding, customs,
				episode.TradeValueForegoneUSD.Central, *episode.HoldingCostUSD, episode.CustomsRevenueForegoneUSD)
		}

		// Without by=category there is no breakdown; a day without an
		// estimate has its share and customs revenue and nothing else.
		var day impactJSON
		client.get("/api/v1/crossings/torkham/impact?from=2026-10-10&to=2026-10-10", http.StatusOK, &day)
		d := day.Days[0]
		if d.Categories != nil || d.ClosureShare != 0.25 || !d.Affected || d.TrucksActual != nil || d.TrucksBaseline != nil ||
			d.TradeValueForegoneUSD != nil || d.HoldingCostUSD != nil || math.Abs(d.CustomsRevenueForegoneUSD-44642.86) > 0.01 {
			t.Errorf("the unreported day: %+v", d)
		}
		// The default range: the 90 days up to today.
		var recent impactJSON
		client.get("/api/v1/crossings/chaman/impact", http.StatusOK, &recent)
		if n := len(recent.Days); n != 90 || recent.Days[n-1].Date != "2026-11-27" || !recent.Days[n-1].Affected {
			t.Errorf("the default range has %d days ending %+v", n, recent.Days[n-1])
		}
	})
}

func TestAPIImpactRejectsBadQueriesNamingEachParameter(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		_, client := newImpactApp(t, databaseURL)
		const impact = "/api/v1/crossings/torkham/impact"
		cases := []struct {
			path    string
			fields  map[string]string
			status  int
			message string
		}{
			{impact + "?by=region", map[string]string{"by": "by 'region' is not supported; use category"}, 400, ""},
			{impact + "?by=category&by=category", map[string]string{"by": "by is given 2 times"}, 400, ""},
			{impact + "?from=2026-13-01", map[string]string{"from": "'2026-13-01' is not a date"}, 400, ""},
			{impact + "?from=2026-11-02&to=2026-11-01", map[string]string{"from": "from (2026-11-02) is after to (2026-11-01)"}, 400, ""},
			{impact + "?from=2025-01-01&to=2026-01-02", map[string]string{"from": "is 367 days; ask for at most 366 days"}, 400, ""},
			{impact + "?to=2026-11-29", map[string]string{"to": "after tomorrow"}, 400, ""},
			{impact + "?from=2019-12-31", map[string]string{"from": "before 2020-01-01"}, 400, ""},
			{impact + "?format=csv", map[string]string{"format": "use json"}, 400, ""},
			// Every bad parameter at once.
			{impact + "?by=day&to=nope", map[string]string{"by": "by 'day' is not supported", "to": "'nope' is not a date"}, 400, ""},
			{"/api/v1/crossings/kabul/impact", nil, 404, "there is no crossing 'kabul'"},
		}
		for _, c := range cases {
			var body apiError
			client.get(c.path, c.status, &body)
			if !strings.Contains(body.Error.Message, c.message) || len(body.Error.Fields) != len(c.fields) {
				t.Errorf("GET %s: %+v", c.path, body.Error)
			}
			for field, message := range c.fields {
				if !strings.Contains(body.Error.Fields[field], message) || !strings.Contains(body.Error.Message, message) {
					t.Errorf("GET %s: %s = %q, want %q", c.path, field, body.Error.Fields[field], message)
				}
			}
		}
		// Empty values are absent; the widest range is allowed.
		for _, path := range []string{impact + "?by=&from=&to=", impact + "?from=2025-11-27&to=2026-11-27&by=category"} {
			var ok impactJSON
			client.get(path, http.StatusOK, &ok)
		}
	})
}

func TestAPIAssumptionsAreThoseInUse(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a, client := newImpactApp(t, databaseURL)
		var got assumptionsJSON
		client.get("/api/v1/assumptions", http.StatusOK, &got)
		pkr := got.ExchangeRates["PKR"]
		if got.ModelVersion != models.ImpactModelVersion || pkr.UnitsPerUSD != 280 || pkr.AsOf != "2025-10-31" || got.ExchangeRates["AFN"].UnitsPerUSD != 70 {
			t.Errorf("model %s, rates %+v", got.ModelVersion, got.ExchangeRates)
		}
		if len(got.Crossings) != 2 || got.Crossings[0].Slug != "torkham" || got.Crossings[0].CustomsRevenuePerDayUSD != 178571.43 ||
			got.Crossings[1].CustomsRevenuePerDayUSD != 80357.14 {
			t.Errorf("crossings %+v", got.Crossings)
		}
		if len(got.Categories) != 14 {
			t.Fatalf("%d categories, want 14", len(got.Categories))
		}
		fresh := got.Categories[0]
		if fresh.Code != "fresh_produce" || fresh.ValuePerTruckUSD != 6000 || fresh.HoldingCostPerTruckDayUSD != 21 || !fresh.Perishable ||
			fresh.ShelfLifeDays == nil || *fresh.ShelfLifeDays != 10 || fresh.DailySpoilageRate != 0.08 || fresh.Humanitarian {
			t.Errorf("fresh produce: %+v", fresh)
		}
		// A crossing taken down leaves the assumptions and the closures.
		if err := a.DB().Exec("UPDATE crossings SET active = false WHERE slug = 'chaman'").Error; err != nil {
			t.Fatal(err)
		}
		client.get("/api/v1/assumptions", http.StatusOK, &got)
		var closures closuresJSON
		client.get("/api/v1/closures", http.StatusOK, &closures)
		if len(got.Crossings) != 1 || got.Crossings[0].Slug != "torkham" {
			t.Errorf("crossings after Chaman was taken down: %+v", got.Crossings)
		}
		for _, c := range closures.Closures {
			if c.Crossing != "torkham" {
				t.Errorf("a closure of %s, taken down, is listed", c.Crossing)
			}
		}
		var body apiError
		client.get("/api/v1/closures?crossing=chaman", http.StatusBadRequest, &body)
	})
}
