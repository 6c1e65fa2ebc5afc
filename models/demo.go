package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"gorm.io/gorm"
)

// DemoOptions controls the generated demo data.
type DemoOptions struct {
	Days  int       // how many days back from End, inclusive of End (default 180)
	End   Date      // the last day (normally today in Asia/Karachi)
	Now   time.Time // the current instant (status changes are never after it)
	Seed  int64     // same seed + same End/Days => identical data
	Force bool      // replace existing figures and status changes
}

// DemoData is what GenerateDemo produces, before it is stored. Crossing and
// category IDs are those of the reference lists it was given.
type DemoData struct {
	Figures       []DailyFigure
	Days          []CrossingDay // one per crossing and day with figures
	StatusChanges []StatusChange
}

// DemoSummary says what LoadDemo stored.
type DemoSummary struct {
	Figures, StatusChanges int
	From, To               Date
}

// ErrDemoRefused means the database already holds figures or status changes
// and DemoOptions.Force was not set.
var ErrDemoRefused = errors.New("the database already holds figures or status changes")

// DefaultDemoDays is how many days of demo data are generated unless told otherwise.
const DefaultDemoDays = 180

// days is the window's length, DefaultDemoDays when unset.
func (o DemoOptions) days() int {
	if o.Days == 0 {
		return DefaultDemoDays
	}
	return o.Days
}

// demoSource marks every generated row, so demo data can never pass for real entries.
const demoSource = "demo"

// demoFlow is the usual number of trucks of one category crossing Torkham in
// one direction on a normal open weekday outside the fruit season. The mix
// follows DOMAIN.md; the counts are held where, with the category values of
// the reference data, a normal October day comes to about $3M of loaded
// trade (customs' own figure), which keeps the high-value categories small.
type demoFlow struct {
	code      string
	direction Direction
	trucks    float64
}

var demoFlows = []demoFlow{
	{"cement", ToAfghanistan, 135},
	{"fresh_produce", ToAfghanistan, 45},
	{"food_staples", ToAfghanistan, 25},
	{"edible_oil", ToAfghanistan, 6},
	{"medicine", ToAfghanistan, 2},
	{"aid", ToAfghanistan, 3},
	{"textiles", ToAfghanistan, 3},
	{"transit", ToAfghanistan, 4},
	{"livestock", ToAfghanistan, 5},
	{"other", ToAfghanistan, 10},
	{"empty", ToAfghanistan, 90},
	{"coal", ToPakistan, 130},
	{"minerals", ToPakistan, 50},
	{"fresh_produce", ToPakistan, 40},
	{"dry_fruit", ToPakistan, 4},
	{"transit", ToPakistan, 3},
	{"livestock", ToPakistan, 2},
	{"other", ToPakistan, 6},
	{"empty", ToPakistan, 100},
}

// demoTonnesPerTruck is a typical load, matching the assumptions behind each
// category's value per truck.
var demoTonnesPerTruck = map[string]float64{
	"fresh_produce": 20, "dry_fruit": 10, "coal": 30, "minerals": 30, "cement": 40,
	"food_staples": 25, "edible_oil": 18, "medicine": 8, "aid": 12, "textiles": 10,
	"livestock": 10, "transit": 22, "other": 15,
}

// demoCrossingScale sizes each crossing against Torkham; crossings an
// administrator added get a trickle.
var demoCrossingScale = map[string]float64{"torkham": 1, "chaman": 0.45}

const demoMinorCrossingScale = 0.1

// produceSeason is the fresh-produce factor on the 15th of each month: the
// autumn fruit season (apples, grapes, pomegranates, then kinnow) lifts it
// from September and peaks in October and November.
var produceSeason = [12]float64{1.2, 1.1, 1.0, 0.9, 0.9, 1.0, 1.0, 1.1, 1.5, 2.1, 2.1, 1.4}

// Friday prayers and the weekly half-holiday make Friday the quiet day.
const demoFridayFactor = 0.55

// After a reopening the backlog clears over demoSurgeDays days; the first
// day's extra traffic grows with the days lost, up to demoMaxSurge.
const (
	demoSurgeDays        = 5
	demoMaxSurge         = 0.8
	demoSurgePerDayLost  = 0.1
	demoLiveClosureHours = 30
)

// demoEpisode is a spell during which a crossing was not fully open.
type demoEpisode struct {
	state      State
	scope      Scope // only for StateRestricted
	reason     Reason
	note       string
	from       time.Time
	until      time.Time // zero while still in force
	reopenNote string
}

// blocks reports whether the episode stops trucks of cat going in dir.
func (e demoEpisode) blocks(cat CargoCategory, dir Direction) bool {
	if e.state == StateRestricted && e.scope == ScopeHumanitarianOnly {
		return !(cat.Humanitarian && dir == ToAfghanistan)
	}
	return true
}

// demoEpisodes places the closures of the story relative to end and now, so
// that they fall inside the default window whatever day the demo is loaded.
func demoEpisodes(c Crossing, end Date, now time.Time) []demoEpisode {
	loc := c.Location()
	at := func(daysBeforeEnd, hour, minute int) time.Time {
		return end.AddDays(-daysBeforeEnd).Start(loc).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	}
	switch c.Slug {
	case "torkham":
		return []demoEpisode{
			{state: StateClosed, reason: ReasonSecurity, note: "Firing between border forces; gates shut",
				from: at(117, 14, 0), until: at(109, 8, 30), reopenNote: "Reopened after a flag meeting"},
			{state: StateRestricted, scope: ScopeHumanitarianOnly, reason: ReasonDocumentation,
				note: "Only UN aid, medicines and food cleared while new document checks start",
				from: at(26, 7, 0), until: at(23, 7, 0), reopenNote: "Commercial cargo cleared again"},
		}
	case "chaman":
		return []demoEpisode{
			{state: StateClosed, reason: ReasonPolitical, note: "Closed over a dispute between the two governments; trucks stranded on both sides",
				from: at(58, 9, 0), until: at(48, 8, 30), reopenNote: "Reopened after talks between the two sides"},
			{state: StateClosed, reason: ReasonProtest, note: "Traders' sit-in on the access road",
				from: now.Add(-demoLiveClosureHours * time.Hour).Truncate(30 * time.Minute)},
		}
	}
	return nil
}

// GenerateDemo builds demo figures and status changes for the crossings and
// categories given. It is pure: the same options and lists give the same data.
func GenerateDemo(opts DemoOptions, crossings []Crossing, categories []CargoCategory) (DemoData, error) {
	days := opts.days()
	switch {
	case days < 1 || days > 3660:
		return DemoData{}, fmt.Errorf("demo days must be between 1 and 3660, not %d", opts.Days)
	case opts.End.IsZero():
		return DemoData{}, errors.New("demo data needs the last day (End)")
	case opts.Now.IsZero():
		return DemoData{}, errors.New("demo data needs the current instant (Now)")
	}
	byCode := make(map[string]CargoCategory, len(categories))
	for _, cat := range categories {
		byCode[cat.Code] = cat
	}
	first := opts.End.AddDays(-(days - 1))
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x626f72646572)) // "border"
	var data DemoData
	for _, c := range crossings {
		episodes := keptEpisodes(demoEpisodes(c, opts.End, opts.Now), first.Start(c.Location()), opts.Now)
		data.StatusChanges = append(data.StatusChanges, demoStatusChanges(c, first, episodes, opts.Now)...)
		scale, ok := demoCrossingScale[c.Slug]
		if !ok {
			scale = demoMinorCrossingScale
		}
		for day := first; !day.After(opts.End); day = day.AddDays(1) {
			if !c.RecordsFrom.IsZero() && day.Before(c.RecordsFrom) {
				continue
			}
			rows := demoDay(rng, c, day, scale, episodes, byCode, opts)
			if len(rows) == 0 {
				continue
			}
			data.Figures = append(data.Figures, rows...)
			data.Days = append(data.Days, demoCrossingDay(c, day, rows[0].UpdatedAt, opts))
		}
	}
	return data, nil
}

// keptEpisodes drops episodes that begin before the window or after now, and
// keeps a reopening that lies after now from showing.
func keptEpisodes(episodes []demoEpisode, windowStart, now time.Time) []demoEpisode {
	var kept []demoEpisode
	for _, e := range episodes {
		if !e.from.After(windowStart) || e.from.After(now) {
			continue
		}
		if e.until.After(now) {
			e.until = time.Time{}
		}
		kept = append(kept, e)
	}
	return kept
}

// demoStatusChanges opens the crossing at the start of the window, so that
// it always has a status, then records each episode and its end.
func demoStatusChanges(c Crossing, first Date, episodes []demoEpisode, now time.Time) []StatusChange {
	change := func(state State, scope Scope, reason Reason, note string, at time.Time) StatusChange {
		sc := StatusChange{CrossingID: c.ID, State: state, Note: note, EffectiveAt: at.UTC(),
			RecordedAt: earlierOf(at.Add(10*time.Minute), now).UTC(), Source: demoSource}
		if scope != "" {
			sc.Scope = &scope
		}
		if reason != "" {
			sc.Reason = &reason
		}
		return sc
	}
	changes := []StatusChange{change(StateOpen, "", "", "Open for trade", first.Start(c.Location()))}
	for _, e := range episodes {
		changes = append(changes, change(e.state, e.scope, e.reason, e.note, e.from))
		if !e.until.IsZero() {
			changes = append(changes, change(StateOpen, "", "", e.reopenNote, e.until))
		}
	}
	return changes
}

// demoDay generates one crossing's rows for one day.
func demoDay(rng *rand.Rand, c Crossing, day Date, scale float64, episodes []demoEpisode, byCode map[string]CargoCategory, opts DemoOptions) []DailyFigure {
	loc := c.Location()
	dayStart, dayEnd := day.Start(loc), day.AddDays(1).Start(loc)
	factor := scale * demoSurge(day, episodes, loc)
	if day.Weekday() == time.Friday {
		factor *= demoFridayFactor
	}
	entered := earlierOf(dayStart.Add(21*time.Hour), opts.Now).UTC()
	var rows []DailyFigure
	for _, f := range demoFlows {
		// Draw every time, so that the noise of one row does not depend on
		// whether an earlier row was closed.
		noise, carry := 0.9+0.2*rng.Float64(), rng.Float64()
		cat, ok := byCode[f.code]
		if !ok {
			continue
		}
		expected := f.trucks * factor * noise * openFraction(episodes, cat, f.direction, dayStart, dayEnd)
		if f.code == "fresh_produce" {
			expected *= produceSeasonFactor(day)
		}
		// Round up with the probability of the fraction, so that small flows
		// keep their average instead of rounding to zero.
		trucks := int(expected)
		if carry < expected-float64(trucks) {
			trucks++
		}
		if trucks == 0 {
			continue
		}
		row := DailyFigure{CrossingID: c.ID, Day: day, Direction: f.direction, CategoryID: cat.ID,
			Regime: RegimeBilateral, Trucks: trucks,
			Source: demoSource, CreatedAt: entered, UpdatedAt: entered}
		if f.code == "transit" {
			row.Regime = RegimeTransit
		}
		if cat.Loaded {
			tonnes := float64(trucks) * demoTonnesPerTruck[f.code]
			value := float64(trucks) * cat.ValuePerTruckUSD
			row.Tonnes, row.ValueUSD = &tonnes, &value
		}
		rows = append(rows, row)
	}
	return rows
}

// demoCrossingDay is the version record of a demo day: days older than two
// days count as verified the morning after they were entered.
func demoCrossingDay(c Crossing, day Date, entered time.Time, opts DemoOptions) CrossingDay {
	d := CrossingDay{CrossingID: c.ID, Day: day, Version: 1, UpdatedAt: entered}
	if opts.End.DaysSince(day) > 2 {
		verified := entered.Add(12 * time.Hour)
		d.VerifiedAt = &verified
	}
	return d
}

// openFraction is the share of [start, end) during which trucks of cat could
// cross in dir.
func openFraction(episodes []demoEpisode, cat CargoCategory, dir Direction, start, end time.Time) float64 {
	var blocked time.Duration
	for _, e := range episodes {
		if !e.blocks(cat, dir) {
			continue
		}
		until := e.until
		if until.IsZero() {
			until = end
		}
		if overlap := earlierOf(until, end).Sub(laterOf(e.from, start)); overlap > 0 {
			blocked += overlap
		}
	}
	return 1 - float64(blocked)/float64(end.Sub(start))
}

// demoSurge is the catch-up factor on day: trucks held back by an episode
// cross in the days after it ends.
func demoSurge(day Date, episodes []demoEpisode, loc *time.Location) float64 {
	surge := 1.0
	for _, e := range episodes {
		if e.until.IsZero() {
			continue
		}
		k := day.DaysSince(DateOf(e.until, loc))
		if k < 0 || k >= demoSurgeDays {
			continue
		}
		peak := min(demoMaxSurge, demoSurgePerDayLost*e.until.Sub(e.from).Hours()/24)
		surge += peak * (1 - float64(k)/demoSurgeDays)
	}
	return surge
}

// produceSeasonFactor interpolates produceSeason between the 15ths of the
// months, so that the season rises and falls without steps.
func produceSeasonFactor(day Date) float64 {
	y, m, d := day.t.Date()
	prev := time.Date(y, m, 15, 0, 0, 0, 0, time.UTC)
	if d < 15 {
		prev = time.Date(y, m-1, 15, 0, 0, 0, 0, time.UTC)
	}
	next := prev.AddDate(0, 1, 0)
	a, b := produceSeason[prev.Month()-1], produceSeason[next.Month()-1]
	return a + (b-a)*float64(day.t.Sub(prev))/float64(next.Sub(prev))
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// LoadDemo generates demo data for the active crossings and stores it, with
// its audit record, in one transaction. It refuses a database that already
// holds figures or status changes unless opts.Force is set, in which case it
// deletes them first.
func LoadDemo(ctx context.Context, db *gorm.DB, opts DemoOptions) (DemoSummary, error) {
	crossings, err := ActiveCrossings(ctx, db)
	if err != nil {
		return DemoSummary{}, err
	}
	categories, err := CargoCategories(ctx, db)
	if err != nil {
		return DemoSummary{}, err
	}
	data, err := GenerateDemo(opts, crossings, categories)
	if err != nil {
		return DemoSummary{}, err
	}
	summary := DemoSummary{Figures: len(data.Figures), StatusChanges: len(data.StatusChanges),
		From: opts.End.AddDays(-(opts.days() - 1)), To: opts.End}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := clearForDemo(tx, opts.Force); err != nil {
			return err
		}
		if err := tx.CreateInBatches(data.Days, 500).Error; err != nil {
			return fmt.Errorf("store demo days: %w", err)
		}
		if err := tx.CreateInBatches(data.Figures, 500).Error; err != nil {
			return fmt.Errorf("store demo figures: %w", err)
		}
		if err := tx.CreateInBatches(data.StatusChanges, 500).Error; err != nil {
			return fmt.Errorf("store demo status changes: %w", err)
		}
		return WriteAudit(tx, AuditEntry{Actor: "demo", Action: "load", Entity: "demo",
			Detail: fmt.Sprintf("figures=%d status_changes=%d from=%s to=%s seed=%d force=%t",
				summary.Figures, summary.StatusChanges, summary.From, summary.To, opts.Seed, opts.Force)})
	})
	if err != nil {
		return DemoSummary{}, err
	}
	return summary, nil
}

// clearForDemo refuses to mix demo rows with existing data, or with force
// deletes that data. Status changes count too: a demo closure on top of a
// real status history would show a false status on the board.
func clearForDemo(tx *gorm.DB, force bool) error {
	if force {
		for _, table := range []string{"daily_figures", "crossing_days", "status_changes"} {
			if err := tx.Exec("DELETE FROM " + table).Error; err != nil {
				return fmt.Errorf("delete %s before loading demo data: %w", table, err)
			}
		}
		return nil
	}
	var figures, changes int64
	if err := tx.Model(&DailyFigure{}).Count(&figures).Error; err != nil {
		return fmt.Errorf("count daily figures: %w", err)
	}
	if err := tx.Model(&StatusChange{}).Count(&changes).Error; err != nil {
		return fmt.Errorf("count status changes: %w", err)
	}
	if figures > 0 || changes > 0 {
		return fmt.Errorf("%w (%d daily figures, %d status changes); pass --force to replace them with demo data", ErrDemoRefused, figures, changes)
	}
	return nil
}
