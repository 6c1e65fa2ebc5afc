package models_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"borderflow/models"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

func nearRange(a, b models.Range3) bool {
	return near(a.Low, b.Low) && near(a.Central, b.Central) && near(a.High, b.High)
}

// The 25th, 50th and 75th percentiles as numpy computes them by default,
// worked out by hand: position p×(n−1) between the two closest ranks.
func TestPercentileInterpolatesLikeNumpy(t *testing.T) {
	cases := []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, 0.25, 1.75},   // position 0.75
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},     // position 1.5
		{[]float64{4, 1, 3, 2}, 0.75, 3.25},   // unsorted input, position 2.25
		{[]float64{7}, 0.25, 7},               // one value
		{[]float64{10, 0, 20}, 1, 20},         // the top
		{[]float64{10, 0, 20}, 0, 0},          // the bottom
		{[]float64{5, 5, 5, 5, 5, 9}, 0.5, 5}, // ties
	}
	for _, c := range cases {
		if got := models.Percentile(c.xs, c.p); !near(got, c.want) {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.xs, c.p, got, c.want)
		}
	}
	// 28 days: seven each of 90, 100, 110 and 120 trucks.
	var days []float64
	for i := range 28 {
		days = append(days, float64(90+10*(i%4)))
	}
	b, ok := models.Baseline(days)
	if !ok || !nearRange(b, models.Range3{Low: 97.5, Central: 105, High: 112.5}) {
		t.Errorf("Baseline of the 28 days = %+v, %v; want 97.5, 105, 112.5", b, ok)
	}
	if _, ok := models.Baseline(days[:6]); ok {
		t.Error("six baseline days gave a baseline; at least seven are needed")
	}
	if _, ok := models.Baseline(days[:7]); !ok {
		t.Error("seven baseline days gave no baseline")
	}
}

var (
	coalTerms  = models.CategoryTerms{ValuePerTruckUSD: 4000, HoldingCostUSDPerDay: 21}
	freshTerms = models.CategoryTerms{ValuePerTruckUSD: 6000, HoldingCostUSDPerDay: 21, Perishable: true,
		ShelfLifeDays: 10, DailySpoilageRate: 0.08}
	flourTerms = models.CategoryTerms{ValuePerTruckUSD: 8000, HoldingCostUSDPerDay: 21, Humanitarian: true}
)

// TestSeriesCostByHand drives each term with values worked out by hand.
func TestSeriesCostByHand(t *testing.T) {
	coalBase := models.Range3{Low: 97.5, Central: 105, High: 112.5}
	type want struct {
		foregone, value                          models.Range3
		waiting, holding, spoilage, humanitarian float64
		recovered, net, netValue                 float64
		dailySpoilage                            []float64 // nil: not checked
	}
	cases := []struct {
		name    string
		terms   models.CategoryTerms
		base    models.Range3
		actual  []float64
		catchUp []float64
		want    want
	}{
		{"one day closed, nothing crossed, no catch-up", coalTerms, coalBase, []float64{0}, []float64{105, 105, 105},
			want{foregone: models.Range3{Low: 97.5, Central: 105, High: 112.5}, value: models.Range3{Low: 390000, Central: 420000, High: 450000},
				waiting: 105, holding: 105 * 21, recovered: 0, net: 105, netValue: 420000}},
		{"half a day: 50 trucks crossed", coalTerms, coalBase, []float64{50}, nil,
			want{foregone: models.Range3{Low: 47.5, Central: 55, High: 62.5}, value: models.Range3{Low: 190000, Central: 220000, High: 250000},
				waiting: 55, holding: 55 * 21, net: 55, netValue: 220000}},
		{"more crossed than the low baseline", coalTerms, coalBase, []float64{100}, nil,
			want{foregone: models.Range3{Low: 0, Central: 5, High: 12.5}, value: models.Range3{Low: 0, Central: 20000, High: 50000},
				waiting: 5, holding: 5 * 21, net: 5, netValue: 20000}},
		// Three days of 135 trucks (30 over the median each) and one of 95
		// (10 under): the net surplus is 80 of the 105 trucks foregone.
		{"catch-up cancels part of the loss", coalTerms, coalBase, []float64{0}, []float64{135, 135, 135, 95, 105},
			want{foregone: models.Range3{Low: 97.5, Central: 105, High: 112.5}, value: models.Range3{Low: 390000, Central: 420000, High: 450000},
				waiting: 105, holding: 105 * 21, recovered: 80, net: 25, netValue: 100000}},
		{"catch-up larger than the loss", coalTerms, coalBase, []float64{50}, []float64{205},
			want{foregone: models.Range3{Low: 47.5, Central: 55, High: 62.5}, value: models.Range3{Low: 190000, Central: 220000, High: 250000},
				waiting: 55, holding: 55 * 21, recovered: 55, net: 0, netValue: 0}},
		{"days below the median after reopening do not add to the loss", coalTerms, coalBase, []float64{0}, []float64{80, 80},
			want{foregone: models.Range3{Low: 97.5, Central: 105, High: 112.5}, value: models.Range3{Low: 390000, Central: 420000, High: 450000},
				waiting: 105, holding: 105 * 21, net: 105, netValue: 420000}},
		// Ten trucks of produce a day held 25 days: those of day j wait
		// t = 26−j days and lose min(1, (t−10)×8%): 1+1+1+0.96+…+0.08 = 9.24
		// truckloads; each day's increase adds up to it.
		{"long closure: produce spoils past its shelf life", freshTerms, models.Range3{Low: 10, Central: 10, High: 10}, make([]float64, 25), nil,
			want{foregone: models.Range3{Low: 250, Central: 250, High: 250}, value: models.Range3{Low: 1.5e6, Central: 1.5e6, High: 1.5e6},
				waiting: 250, holding: 21 * 10 * 325, spoilage: 60000 * 9.24, net: 250, netValue: 1.5e6,
				dailySpoilage: []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4800, 9600, 14400, 19200, 24000, 28800, 33600, 38400, 43200, 48000,
					52800, 57600, 60000, 60000, 60000}}},
		// Flour trucks: 6 of the usual 8 crossed under a humanitarian-only restriction.
		{"humanitarian cargo partly let through", flourTerms, models.Range3{Low: 8, Central: 8, High: 8}, []float64{6}, nil,
			want{foregone: models.Range3{Low: 2, Central: 2, High: 2}, value: models.Range3{Low: 16000, Central: 16000, High: 16000},
				waiting: 2, holding: 42, humanitarian: 2, net: 2, netValue: 16000}},
		{"an ongoing episode has no catch-up", coalTerms, coalBase, []float64{0, 0, 0}, nil,
			want{foregone: models.Range3{Low: 292.5, Central: 315, High: 337.5}, value: models.Range3{Low: 1170000, Central: 1260000, High: 1350000},
				waiting: 315, holding: 21 * (105 + 210 + 315), net: 315, netValue: 1260000}},
	}
	for _, c := range cases {
		days, tot := models.SeriesCost(c.terms, c.base, c.actual, c.catchUp)
		w := c.want
		if !nearRange(tot.Foregone, w.foregone) || !nearRange(tot.Value, w.value) {
			t.Errorf("%s: foregone %+v value %+v, want %+v and %+v", c.name, tot.Foregone, tot.Value, w.foregone, w.value)
		}
		for _, v := range []struct {
			name      string
			got, want float64
		}{{"waiting", tot.Waiting, w.waiting}, {"holding", tot.Holding, w.holding}, {"spoilage", tot.Spoilage, w.spoilage},
			{"humanitarian", tot.Humanitarian, w.humanitarian}, {"recovered", tot.Recovered, w.recovered},
			{"net trucks", tot.NetTrucks, w.net}, {"net value", tot.NetValue, w.netValue}} {
			if !near(v.got, v.want) {
				t.Errorf("%s: %s = %v, want %v", c.name, v.name, v.got, v.want)
			}
		}
		foregone := make([]float64, len(days))
		sum := 0.0
		for k, d := range days {
			foregone[k] = d.Foregone.Central
			sum += d.Spoilage
			if w.dailySpoilage != nil && !near(d.Spoilage, w.dailySpoilage[k]) {
				t.Errorf("%s: spoilage on day %d = %v, want %v", c.name, k+1, d.Spoilage, w.dailySpoilage[k])
			}
		}
		if direct := models.EpisodeSpoilage(c.terms, foregone); !near(sum, direct) || !near(tot.Spoilage, direct) {
			t.Errorf("%s: daily spoilage adds up to %v, total %v; computed directly %v", c.name, sum, tot.Spoilage, direct)
		}
	}
}

func TestSpoiledShare(t *testing.T) {
	for _, c := range []struct {
		t, shelf int
		rate     float64
		want     float64
	}{{0, 10, 0.08, 0}, {10, 10, 0.08, 0}, {11, 10, 0.08, 0.08}, {15, 10, 0.08, 0.40}, {23, 10, 0.08, 1}, {40, 5, 0.05, 1}, {7, 5, 0.05, 0.10}} {
		if got := models.SpoiledShare(c.t, c.shelf, c.rate); !near(got, c.want) {
			t.Errorf("SpoiledShare(%d, %d, %v) = %v, want %v", c.t, c.shelf, c.rate, got, c.want)
		}
	}
}

// TestClosureSharesCountLocalDays checks the closure share of each local day,
// the scopes that stop cargo and those that do not, and a day that DST
// makes 23 hours long.
func TestClosureSharesCountLocalDays(t *testing.T) {
	pk := time.FixedZone("PKT", 5*3600)
	karachi := mustLoadLocation("Asia/Karachi")
	reason := models.ReasonSecurity
	scope := func(s models.Scope) *models.Scope { return &s }
	change := func(state models.State, sc *models.Scope, at time.Time) models.StatusChange {
		c := models.StatusChange{State: state, Scope: sc, EffectiveAt: at}
		if state != models.StateOpen {
			c.Reason = &reason
		}
		return c
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, pk) }
	day := func(d int) models.Date { return models.NewDate(2026, 3, d) }
	shares := models.ClosureShares([]models.StatusChange{
		change(models.StateOpen, nil, at(1, 0, 0)),
		change(models.StateClosed, nil, at(2, 6, 0)),                                     // 18 h of the 2nd
		change(models.StateRestricted, scope(models.ScopeHumanitarianOnly), at(3, 0, 0)), // the whole 3rd
		change(models.StateRestricted, scope(models.ScopeReducedHours), at(4, 12, 0)),    // cargo flows again at noon
		change(models.StateRestricted, scope(models.ScopePedestriansOnly), at(6, 18, 0)),
		change(models.StateOpen, nil, at(7, 0, 0)),
		change(models.StateClosed, nil, at(9, 21, 0)), // in force until today ends
	}, karachi, day(10))
	want := map[models.Date]float64{day(2): 0.75, day(3): 1, day(4): 0.5, day(6): 0.25, day(9): 0.125, day(10): 1}
	if len(shares) != len(want) {
		t.Errorf("affected days %v, want %v", shares, want)
	}
	for d, w := range want {
		if !near(shares[d], w) {
			t.Errorf("closure share of %s = %v, want %v", d, shares[d], w)
		}
	}
	// London's clocks go forward on 29 March 2026: that day has 23 hours,
	// so closed from 00:00 to 11:30 local (10.5 h) is 10.5/23 of it.
	london := mustLoadLocation("Europe/London")
	lat := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, london) }
	shares = models.ClosureShares([]models.StatusChange{
		change(models.StateClosed, nil, lat(29, 0, 0)),
		change(models.StateOpen, nil, lat(29, 11, 30)),
		change(models.StateClosed, nil, lat(30, 0, 0)),
		change(models.StateOpen, nil, lat(31, 0, 0)),
	}, london, day(31))
	if got := shares[day(29)]; !near(got, 10.5/23) {
		t.Errorf("share of the 23-hour day = %v, want %v", got, 10.5/23)
	}
	if got := shares[day(30)]; got != 1 {
		t.Errorf("a whole day closed has share %v, want exactly 1", got)
	}
}

// Property: a longer closure never costs less. Each random series is
// extended by one more closed day; no total may fall.
func TestLongerClosuresNeverCostLess(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		terms := []models.CategoryTerms{coalTerms, freshTerms, flourTerms}[rng.IntN(3)]
		terms.ShelfLifeDays = 1 + rng.IntN(10)
		b := models.Range3{Low: float64(rng.IntN(50)), Central: 0, High: 0}
		b.Central = b.Low + float64(rng.IntN(50))
		b.High = b.Central + float64(rng.IntN(50))
		var actual []float64
		_, prev := models.SeriesCost(terms, b, actual, nil)
		for range 1 + rng.IntN(30) {
			actual = append(actual, float64(rng.IntN(int(b.High)+5)))
			days, tot := models.SeriesCost(terms, b, actual, nil)
			if tot.Value.Central < prev.Value.Central || tot.Holding < prev.Holding || tot.Spoilage < prev.Spoilage-1e-9 ||
				tot.Foregone.Low < prev.Foregone.Low || tot.NetValue < prev.NetValue {
				t.Fatalf("%d days cost less than %d: %+v then %+v (terms %+v, baseline %+v)", len(actual), len(actual)-1, prev, tot, terms, b)
			}
			for _, d := range days {
				for _, v := range []float64{d.Foregone.Low, d.Foregone.Central, d.Foregone.High, d.Value.Low, d.Waiting, d.Holding, d.Spoilage} {
					if v < 0 {
						t.Fatalf("negative term %v in %+v", v, d)
					}
				}
			}
			prev = tot
		}
	}
}
