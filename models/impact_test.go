package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// impactWorld is a database with Torkham's status changes and figures as a
// test writes them, around day zero, 1 March 2026 (Karachi time).
type impactWorld struct {
	t       *testing.T
	db      *gorm.DB
	torkham models.Crossing
	cat     map[string]int64
}

var (
	pkt       = time.FixedZone("PKT", 5*3600)
	dayZero   = models.NewDate(2026, 3, 1)
	torkhamR  = 178571.43 // customs revenue a day, migration 00006
	coalCycle = []int{90, 100, 110, 120}
)

func newImpactWorld(t *testing.T, db *gorm.DB) *impactWorld {
	t.Helper()
	ctx := context.Background()
	torkham, err := models.CrossingBySlug(ctx, db, "torkham")
	if err != nil {
		t.Fatal(err)
	}
	categories, err := models.CargoCategories(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	w := &impactWorld{t: t, db: db, torkham: torkham, cat: map[string]int64{}}
	for _, c := range categories {
		w.cat[c.Code] = c.ID
	}
	return w
}

// at is the instant h:m on day zero + d, Karachi time.
func at(d, h, m int) time.Time {
	return dayZero.AddDays(d).Start(pkt).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// figure stores trucks of code going in dir on day zero + d.
func (w *impactWorld) figure(d int, code string, dir models.Direction, trucks int) {
	w.t.Helper()
	f := models.DailyFigure{CrossingID: w.torkham.ID, Day: dayZero.AddDays(d), Direction: dir, CategoryID: w.cat[code],
		Regime: models.RegimeBilateral, Trucks: trucks, Source: "form"}
	if err := w.db.Create(&f).Error; err != nil {
		w.t.Fatal(err)
	}
}

// baseline stores 28 ordinary days before day zero: coal to Pakistan in the
// cycle 90, 100, 110, 120 (percentiles 97.5, 105, 112.5).
func (w *impactWorld) baseline(days int) {
	for d := -days; d < 0; d++ {
		w.figure(d, "coal", models.ToPakistan, coalCycle[(d+days)%4])
	}
}

// status records a change at the instant given.
func (w *impactWorld) status(state models.State, scope models.Scope, when time.Time) {
	w.t.Helper()
	c := models.StatusChange{CrossingID: w.torkham.ID, State: state, EffectiveAt: when.UTC(), RecordedAt: when.UTC(), Source: "form"}
	if state != models.StateOpen {
		r := models.ReasonSecurity
		c.Reason = &r
	}
	if scope != "" {
		c.Scope = &scope
	}
	if err := w.db.Create(&c).Error; err != nil {
		w.t.Fatal(err)
	}
}

// recompute runs the full recomputation as of now and returns Torkham's episodes.
func (w *impactWorld) recompute(now time.Time) []models.ClosureEpisode {
	w.t.Helper()
	if _, err := models.RecomputeImpactAsOf(context.Background(), w.db, models.Date{}, models.Date{}, now); err != nil {
		w.t.Fatal(err)
	}
	episodes, err := models.ClosureEpisodes(context.Background(), w.db, w.torkham.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return episodes
}

// impactWant is an episode's expected values; nil terms mean
// insufficient data.
type impactWant struct {
	start, end      int
	ongoing         bool
	status          string
	baselineDays    int
	terms           *models.ImpactTerms
	customs         float64
	recovered, net  float64
	netValue        float64
	dayShares       []float64
	daySpoilage     []float64 // nil: not checked
	dayHumanitarian []float64 // nil: not checked
}

func checkEpisode(t *testing.T, got models.ClosureEpisode, w impactWant) {
	t.Helper()
	if got.Start != dayZero.AddDays(w.start) || got.End != dayZero.AddDays(w.end) || got.Days != w.end-w.start+1 || got.Ongoing != w.ongoing {
		t.Errorf("episode %s..%s (%d days, ongoing %v), want %s..%s ongoing %v", got.Start, got.End, got.Days, got.Ongoing,
			dayZero.AddDays(w.start), dayZero.AddDays(w.end), w.ongoing)
	}
	if got.Status != w.status || got.BaselineDaysUsed != w.baselineDays {
		t.Errorf("status %s with %d baseline days, want %s with %d", got.Status, got.BaselineDaysUsed, w.status, w.baselineDays)
	}
	if got.Reason == nil || *got.Reason != "security" || got.ModelVersion != models.ImpactModelVersion ||
		!strings.Contains(string(got.Assumptions), `"customs_revenue_per_day_usd":178571.43`) {
		t.Errorf("reason %v, model %s, assumptions %.120s", got.Reason, got.ModelVersion, got.Assumptions)
	}
	if !near(got.CustomsRevenueUSD, w.customs) {
		t.Errorf("customs revenue foregone %v, want %v", got.CustomsRevenueUSD, w.customs)
	}
	if (got.Terms == nil) != (w.terms == nil) {
		t.Fatalf("terms %+v, want %+v", got.Terms, w.terms)
	}
	if w.terms != nil {
		g, e := *got.Terms, *w.terms
		if !nearRange(g.Foregone, e.Foregone) || !nearRange(g.Value, e.Value) || !near(g.Waiting, e.Waiting) ||
			!near(g.Holding, e.Holding) || !near(g.Spoilage, e.Spoilage) || !near(g.Humanitarian, e.Humanitarian) {
			t.Errorf("terms\n got %+v\nwant %+v", g, e)
		}
		if !near(*got.Recovered, w.recovered) || !near(*got.NetTrucks, w.net) || !near(*got.NetValue, w.netValue) {
			t.Errorf("recovered %v, net %v trucks and $%v; want %v, %v and $%v", *got.Recovered, *got.NetTrucks, *got.NetValue, w.recovered, w.net, w.netValue)
		}
	} else if got.Recovered != nil || got.NetTrucks != nil || got.NetValue != nil {
		t.Errorf("an episode with insufficient data has net figures: %v %v %v", got.Recovered, got.NetTrucks, got.NetValue)
	}
}

// checkDays reads the days of the episode as the API does and checks the
// shares and that the days add up to the episode.
func checkDays(t *testing.T, db *gorm.DB, crossingID int64, got models.ClosureEpisode, w impactWant) {
	t.Helper()
	days, err := models.ImpactDays(context.Background(), db, crossingID, models.DateRange{From: got.Start.AddDays(-1), To: got.End.AddDays(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != got.Days+2 || days[0].ClosureShare != 0 || days[0].Terms != nil || days[len(days)-1].ClosureShare != 0 {
		t.Fatalf("days around the episode: %+v", days)
	}
	var sum models.ImpactTerms
	customs := 0.0
	for k, d := range days[1 : len(days)-1] {
		if !near(d.ClosureShare, w.dayShares[k]) {
			t.Errorf("closure share of %s = %v, want %v", d.Day, d.ClosureShare, w.dayShares[k])
		}
		customs += d.CustomsRevenueUSD
		if (d.Terms == nil) != (w.terms == nil) {
			t.Fatalf("day %s terms %+v, episode %+v", d.Day, d.Terms, w.terms)
		}
		if d.Terms == nil {
			continue
		}
		if w.daySpoilage != nil && !near(d.Terms.Spoilage, w.daySpoilage[k]) {
			t.Errorf("spoilage on %s = %v, want %v", d.Day, d.Terms.Spoilage, w.daySpoilage[k])
		}
		if w.dayHumanitarian != nil && !near(d.Terms.Humanitarian, w.dayHumanitarian[k]) {
			t.Errorf("humanitarian trucks on %s = %v, want %v", d.Day, d.Terms.Humanitarian, w.dayHumanitarian[k])
		}
		sum.Foregone = models.Range3{Low: sum.Foregone.Low + d.Terms.Foregone.Low, Central: sum.Foregone.Central + d.Terms.Foregone.Central,
			High: sum.Foregone.High + d.Terms.Foregone.High}
		sum.Value.Central += d.Terms.Value.Central
		sum.Holding += d.Terms.Holding
		sum.Spoilage += d.Terms.Spoilage
		sum.Humanitarian += d.Terms.Humanitarian
		sum.Waiting = d.Terms.Waiting
	}
	if !near(customs, got.CustomsRevenueUSD) {
		t.Errorf("the days' customs revenue adds up to %v, the episode's is %v", customs, got.CustomsRevenueUSD)
	}
	if w.terms != nil && (!nearRange(sum.Foregone, got.Terms.Foregone) || !near(sum.Value.Central, got.Terms.Value.Central) ||
		!near(sum.Holding, got.Terms.Holding) || !near(sum.Spoilage, got.Terms.Spoilage) ||
		!near(sum.Humanitarian, got.Terms.Humanitarian) || !near(sum.Waiting, got.Terms.Waiting)) {
		t.Errorf("the days add up to %+v, the episode is %+v", sum, *got.Terms)
	}
}

var oneDayCoal = &models.ImpactTerms{Foregone: models.Range3{Low: 97.5, Central: 105, High: 112.5},
	Value: models.Range3{Low: 390000, Central: 420000, High: 450000}, Waiting: 105, Holding: 105 * 21}

// TestImpactCasesByHand runs each case of the model through the database
// on both dialects, against values worked out by hand.
func TestImpactCasesByHand(t *testing.T) {
	cases := []struct {
		name  string
		setup func(w *impactWorld)
		now   time.Time
		want  impactWant
	}{
		{"one day closed, traffic back to normal after", func(w *impactWorld) {
			w.baseline(28)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 0, 0))
			w.status(models.StateOpen, "", at(1, 0, 0))
			for d := 1; d <= 14; d++ {
				w.figure(d, "coal", models.ToPakistan, 105)
			}
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "ok", baselineDays: 28, terms: oneDayCoal,
			customs: torkhamR, net: 105, netValue: 420000, dayShares: []float64{1}}},

		// 10 produce trucks a day to Afghanistan, 25 days closed: 9.24
		// truckloads spoil (see TestSeriesCostByHand).
		{"long closure: produce spoils past its shelf life", func(w *impactWorld) {
			for d := -28; d < 0; d++ {
				w.figure(d, "fresh_produce", models.ToAfghanistan, 10)
			}
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 0, 0))
			w.status(models.StateOpen, "", at(25, 0, 0))
		}, at(30, 12, 0), impactWant{start: 0, end: 24, status: "ok", baselineDays: 28,
			terms: &models.ImpactTerms{Foregone: models.Range3{Low: 250, Central: 250, High: 250},
				Value: models.Range3{Low: 1.5e6, Central: 1.5e6, High: 1.5e6}, Waiting: 250, Holding: 21 * 10 * 325, Spoilage: 554400},
			customs: 25 * torkhamR, net: 250, netValue: 1.5e6, dayShares: ones(25),
			daySpoilage: []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4800, 9600, 14400, 19200, 24000, 28800, 33600, 38400, 43200, 48000,
				52800, 57600, 60000, 60000, 60000}}},

		{"partial day: closed 06:00 to 18:00, 50 trucks crossed", func(w *impactWorld) {
			w.baseline(28)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 6, 0))
			w.status(models.StateOpen, "", at(0, 18, 0))
			w.figure(0, "coal", models.ToPakistan, 50)
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "ok", baselineDays: 28,
			terms: &models.ImpactTerms{Foregone: models.Range3{Low: 47.5, Central: 55, High: 62.5},
				Value: models.Range3{Low: 190000, Central: 220000, High: 250000}, Waiting: 55, Holding: 55 * 21},
			customs: torkhamR / 2, net: 55, netValue: 220000, dayShares: []float64{0.5}}},

		// Humanitarian cargo only for a day: the 5 aid trucks crossed as
		// usual, 6 of the 8 flour trucks, no coal.
		{"restriction lets humanitarian cargo through", func(w *impactWorld) {
			w.baseline(28)
			for d := -28; d < 0; d++ {
				w.figure(d, "aid", models.ToAfghanistan, 5)
				w.figure(d, "food_staples", models.ToAfghanistan, 8)
			}
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateRestricted, models.ScopeHumanitarianOnly, at(0, 0, 0))
			w.status(models.StateOpen, "", at(1, 0, 0))
			w.figure(0, "aid", models.ToAfghanistan, 5)
			w.figure(0, "food_staples", models.ToAfghanistan, 6)
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "ok", baselineDays: 28,
			terms: &models.ImpactTerms{Foregone: models.Range3{Low: 99.5, Central: 107, High: 114.5},
				Value: models.Range3{Low: 406000, Central: 436000, High: 466000}, Waiting: 107, Holding: 107 * 21, Humanitarian: 2},
			customs: torkhamR, net: 107, netValue: 436000, dayShares: []float64{1}, dayHumanitarian: []float64{2}}},

		// After a one-day closure, three days of 135 trucks and one of 95:
		// a net surplus of 80 of the 105 trucks foregone.
		{"catch-up cancels part of the loss", func(w *impactWorld) {
			w.baseline(28)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 0, 0))
			w.status(models.StateOpen, "", at(1, 0, 0))
			for d, n := range []int{135, 135, 135, 95, 105} {
				w.figure(d+1, "coal", models.ToPakistan, n)
			}
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "ok", baselineDays: 28, terms: oneDayCoal,
			customs: torkhamR, recovered: 80, net: 25, netValue: 100000, dayShares: []float64{1}}},

		// Closed since day zero and still closed at noon on day 2: the
		// closure is taken to last to the end of today, and nothing has
		// been reported, so three whole days count 0 trucks; no catch-up yet.
		{"ongoing episode", func(w *impactWorld) {
			w.baseline(28)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 0, 0))
		}, at(2, 12, 0), impactWant{start: 0, end: 2, ongoing: true, status: "ok", baselineDays: 28,
			terms: &models.ImpactTerms{Foregone: models.Range3{Low: 292.5, Central: 315, High: 337.5},
				Value: models.Range3{Low: 1170000, Central: 1260000, High: 1350000}, Waiting: 315, Holding: 21 * (105 + 210 + 315)},
			customs: 3 * torkhamR, net: 315, netValue: 1260000, dayShares: ones(3)}},

		{"too little baseline", func(w *impactWorld) {
			w.baseline(6)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 0, 0))
			w.status(models.StateOpen, "", at(1, 0, 0))
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "insufficient_data", baselineDays: 6, customs: torkhamR, dayShares: []float64{1}}},

		// Closed half the day and nothing reported: how many trucks
		// crossed in the other half is unknown, so nothing is guessed.
		{"unreported day", func(w *impactWorld) {
			w.baseline(28)
			w.status(models.StateOpen, "", at(-40, 0, 0))
			w.status(models.StateClosed, "", at(0, 12, 0))
			w.status(models.StateOpen, "", at(1, 0, 0))
		}, at(20, 12, 0), impactWant{start: 0, end: 0, status: "insufficient_data", baselineDays: 28, customs: torkhamR / 2, dayShares: []float64{0.5}}},
	}
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// Each case on a crossing of its own: Torkham's slot is
				// taken by a fresh database per case.
				db := db
				if i > 0 {
					db = freshLike(t, db)
				}
				w := newImpactWorld(t, db)
				c.setup(w)
				episodes := w.recompute(c.now)
				if len(episodes) != 1 {
					t.Fatalf("%d episodes, want 1: %+v", len(episodes), episodes)
				}
				checkEpisode(t, episodes[0], c.want)
				checkDays(t, db, w.torkham.ID, episodes[0], c.want)
			})
		}
	})
}

// freshLike returns a new, empty database of the same dialect as db.
func freshLike(t *testing.T, db *gorm.DB) *gorm.DB {
	if models.Dialect(db) == models.DialectPostgres {
		return testdb.Postgres(t)
	}
	return testdb.SQLite(t)
}

func ones(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = 1
	}
	return out
}

// dumpImpact returns every stored result row as text, in key order.
func dumpImpact(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT * FROM impact_assumptions ORDER BY hash",
		"SELECT * FROM closure_episodes ORDER BY crossing_id, start_date",
		"SELECT * FROM closure_days ORDER BY crossing_id, day",
		"SELECT * FROM impact_days ORDER BY crossing_id, day, direction, category_id",
	} {
		rows, err := db.Raw(q).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			out = append(out, fmt.Sprint(vals...))
		}
		_ = rows.Close()
	}
	return out
}
