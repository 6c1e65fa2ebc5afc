package models

import (
	"math"
	"slices"
	"time"
)

// The arithmetic of the closure cost model (docs/METHODOLOGY.md), on plain
// values so that tests can drive each term directly. impact.go feeds it
// from the database.

// ImpactModelVersion names the method the stored estimates were computed
// with. Change it whenever a formula changes: every estimate is then
// recomputed, and older published numbers can still be traced to theirs.
const ImpactModelVersion = "2026.1"

// The model's fixed parameters.
const (
	BaselineDays    = 28 // unaffected days with figures the baseline is taken from
	MinBaselineDays = 7  // fewer, and the episode has insufficient data
	CatchUpDays     = 14 // unaffected days after an episode that may carry its catch-up
)

// Range3 is an estimate as a range: low, central and high.
type Range3 struct {
	Low, Central, High float64
}

func (r Range3) add(o Range3) Range3 {
	return Range3{r.Low + o.Low, r.Central + o.Central, r.High + o.High}
}

func (r Range3) scale(f float64) Range3 {
	return Range3{r.Low * f, r.Central * f, r.High * f}
}

// CategoryTerms are the assumptions of one cargo category the model uses.
type CategoryTerms struct {
	ValuePerTruckUSD     float64
	HoldingCostUSDPerDay float64
	Perishable           bool
	ShelfLifeDays        int
	DailySpoilageRate    float64
	Humanitarian         bool
}

// Percentile is the p-th quantile (0 ≤ p ≤ 1) of xs by linear
// interpolation between the closest ranks, as numpy's default method. xs
// must not be empty; it is not changed.
func Percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := p * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

// Baseline is the 25th, 50th and 75th percentiles of the trucks on the
// baseline days, or false when there are fewer than MinBaselineDays.
func Baseline(days []float64) (Range3, bool) {
	if len(days) < MinBaselineDays {
		return Range3{}, false
	}
	return Range3{Percentile(days, 0.25), Percentile(days, 0.5), Percentile(days, 0.75)}, true
}

// SpoiledShare is the share of a perishable load's value lost after
// waiting t days: nothing within the shelf life, then the daily rate for
// each day beyond it, at most all of it.
func SpoiledShare(t, shelfLifeDays int, rate float64) float64 {
	return min(1, float64(max(0, t-shelfLifeDays))*rate)
}

// ImpactTerms are the estimated costs of one day or one episode, of one
// direction and category or summed over them.
type ImpactTerms struct {
	Foregone     Range3  // trucks
	Value        Range3  // trade value foregone, USD
	Waiting      float64 // trucks waiting at the end of the day (of the episode), central
	Holding      float64 // USD
	Spoilage     float64 // USD; a day's is the growth of the spoiled value of all waiting trucks that day
	Humanitarian float64 // trucks foregone (central) in humanitarian categories
}

func (t *ImpactTerms) add(o ImpactTerms) {
	t.Foregone, t.Value = t.Foregone.add(o.Foregone), t.Value.add(o.Value)
	t.Waiting += o.Waiting
	t.Holding += o.Holding
	t.Spoilage += o.Spoilage
	t.Humanitarian += o.Humanitarian
}

// SeriesTotals are an episode's terms, with what the catch-up changes.
type SeriesTotals struct {
	ImpactTerms
	Recovered float64 // trucks the catch-up carried, at most those foregone
	NetTrucks float64 // trucks foregone (central) less the catch-up
	NetValue  float64
}

func (t *SeriesTotals) add(o SeriesTotals) {
	t.ImpactTerms.add(o.ImpactTerms)
	t.Recovered += o.Recovered
	t.NetTrucks += o.NetTrucks
	t.NetValue += o.NetValue
}

// SeriesCost computes the terms of one direction and category over an
// episode: actual holds the loaded trucks of each of its days, b the
// baseline, and catchUp the trucks on the reported unaffected days after
// it (at most CatchUpDays, stopping at the next episode; none while the
// episode is ongoing).
func SeriesCost(terms CategoryTerms, b Range3, actual, catchUp []float64) ([]ImpactTerms, SeriesTotals) {
	days := make([]ImpactTerms, len(actual))
	var tot SeriesTotals
	foregone := make([]float64, len(actual)) // central, for the waiting trucks
	waiting := 0.0
	for k, a := range actual {
		f := Range3{max(0, b.Low-a), max(0, b.Central-a), max(0, b.High-a)}
		foregone[k] = f.Central
		waiting += f.Central
		d := ImpactTerms{Foregone: f, Value: f.scale(terms.ValuePerTruckUSD), Waiting: waiting,
			Holding: waiting * terms.HoldingCostUSDPerDay}
		if terms.Perishable {
			// Trucks held since day j have waited k-j+1 days by the end of
			// day k; what spoils on day k is the growth of their share.
			for j := 0; j <= k; j++ {
				t := k - j + 1
				d.Spoilage += foregone[j] * terms.ValuePerTruckUSD *
					(SpoiledShare(t, terms.ShelfLifeDays, terms.DailySpoilageRate) - SpoiledShare(t-1, terms.ShelfLifeDays, terms.DailySpoilageRate))
			}
		}
		if terms.Humanitarian {
			d.Humanitarian = f.Central
		}
		days[k] = d
		tot.add(SeriesTotals{ImpactTerms: d})
	}
	tot.Waiting = waiting
	surplus := 0.0
	for _, a := range catchUp {
		surplus += a - b.Central
	}
	u := max(0, surplus)
	tot.NetTrucks = max(0, tot.Foregone.Central-u)
	tot.NetValue = tot.NetTrucks * terms.ValuePerTruckUSD
	tot.Recovered = min(u, tot.Foregone.Central)
	return days, tot
}

// EpisodeSpoilage is the spoilage of an episode computed directly: the
// trucks foregone on day j (central) wait until its last day, so t is
// the days from j to the end, both counted. SeriesCost's days add up to it.
func EpisodeSpoilage(terms CategoryTerms, foregone []float64) float64 {
	if !terms.Perishable {
		return 0
	}
	n := len(foregone)
	total := 0.0
	for j, f := range foregone {
		total += f * terms.ValuePerTruckUSD * SpoiledShare(n-j, terms.ShelfLifeDays, terms.DailySpoilageRate)
	}
	return total
}

// BlocksCargo reports whether a status stops cargo: closed, or restricted
// to pedestrians or humanitarian cargo, or with cargo closed. Reduced
// hours and other restrictions let cargo through.
func BlocksCargo(s StatusChange) bool {
	switch s.State {
	case StateClosed:
		return true
	case StateRestricted:
		switch s.ScopeCode() {
		case string(ScopeCargoClosed), string(ScopePedestriansOnly), string(ScopeHumanitarianOnly):
			return true
		}
	}
	return false
}

// ClosureShares returns, for each local day in loc up to today on which
// cargo could not cross for some of the time, the share of the day (from
// 00:00 to 24:00 local, however long DST makes it) it could not. changes
// are one crossing's status changes, oldest first, those in effect by now;
// the last one is taken to hold to the end of today.
func ClosureShares(changes []StatusChange, loc *time.Location, today Date) map[Date]float64 {
	// Blocked time is summed per day in whole nanoseconds, so that spells
	// covering a whole day make a share of exactly 1.
	blocked := map[Date]time.Duration{}
	end := today.AddDays(1).Start(loc)
	for i, c := range changes {
		if !BlocksCargo(c) || !c.EffectiveAt.Before(end) {
			continue
		}
		from, until := c.EffectiveAt, end
		if i+1 < len(changes) && changes[i+1].EffectiveAt.Before(end) {
			until = changes[i+1].EffectiveAt
		}
		for day := DateOf(from, loc); from.Before(until); day = day.AddDays(1) {
			dayEnd := day.AddDays(1).Start(loc)
			blocked[day] += earlierOf(until, dayEnd).Sub(from)
			from = dayEnd
		}
	}
	shares := make(map[Date]float64, len(blocked))
	for day, d := range blocked {
		length := day.AddDays(1).Start(loc).Sub(day.Start(loc))
		shares[day] = min(1, float64(d)/float64(length))
	}
	return shares
}
