package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The closure cost model's recomputation: it reads the figures as one
// aggregated stream (crossing, day, direction, category, trucks), the
// status changes and the assumptions, runs the arithmetic of
// impact_model.go over each closure episode, and replaces the stored
// results in one transaction, so that a run stopped half-way leaves the
// previous results as they were.

// RecomputeImpact recomputes every closure episode that uses a day from
// from to to (as a closure day, a baseline day or a catch-up day), at
// every crossing; with both dates zero, everything. It returns the rows
// written.
func RecomputeImpact(ctx context.Context, db *gorm.DB, from, to Date) (int, error) {
	return RecomputeImpactAsOf(ctx, db, from, to, time.Now())
}

// RecomputeImpactAsOf is RecomputeImpact as of the instant now: status
// changes after it are not yet in effect, and the last day is today at
// each crossing.
func RecomputeImpactAsOf(ctx context.Context, db *gorm.DB, from, to Date, now time.Time) (int, error) {
	if from.IsZero() != to.IsZero() {
		return 0, errors.New("recompute the closure costs: give both from and to, or neither")
	}
	if to.Before(from) {
		return 0, fmt.Errorf("recompute the closure costs: from (%s) is after to (%s)", from, to)
	}
	return recomputeImpact(ctx, db, now, func(r *impactRun, p *crossingPlan) error {
		if from.IsZero() {
			p.full = true
		} else {
			p.markDirty(from, to)
		}
		return nil
	})
}

// RecomputeImpactChanged recomputes what changed since the instant since
// (normally the start of the last successful run): the episodes that use a
// day whose figures were entered, changed, deleted or verified since, or
// whose status changed; every episode still ongoing (it grows with each
// day); and every episode of a crossing whose assumptions or model version
// differ from those it was computed with. It returns the rows written.
func RecomputeImpactChanged(ctx context.Context, db *gorm.DB, since time.Time) (int, error) {
	return RecomputeImpactChangedAsOf(ctx, db, since, time.Now())
}

// RecomputeImpactChangedAsOf is RecomputeImpactChanged as of the instant now.
func RecomputeImpactChangedAsOf(ctx context.Context, db *gorm.DB, since, now time.Time) (int, error) {
	return recomputeImpact(ctx, db, now, func(r *impactRun, p *crossingPlan) error {
		return r.findChanges(p, since)
	})
}

// impactLockKey is the PostgreSQL advisory lock a run holds: "impact" in
// ASCII, beyond the 32-bit range of the job scheduler's hashtext keys.
const impactLockKey int64 = 0x696d70616374

// impactRun is one recomputation, inside its transaction.
type impactRun struct {
	tx          *gorm.DB
	dialect     string
	now         time.Time
	assumptions Assumptions
	categories  []CategoryAssumption // by index; a series' combo is direction × len + index
	catIndex    map[int64]int
	stored      map[int64][]storedEpisode
	changed     map[int64][]DateRange // incremental only: changed figures by crossing
}

// crossingPlan is what a run does at one crossing.
type crossingPlan struct {
	c        CrossingAssumption
	loc      *time.Location
	today    Date
	changes  []StatusChange
	shares   map[Date]float64
	episodes []episodeSpan // every episode, oldest first, from the statuses alone
	snapshot string
	hash     string

	full   bool      // recompute every episode
	dirty  DateRange // otherwise those using a day of this range (none when zero)
	window DateRange // the days of figures read when not full
}

// markDirty adds the days from..to to those whose episodes are recomputed.
func (p *crossingPlan) markDirty(from, to Date) {
	if to.After(p.today) {
		to = p.today
	}
	if to.Before(from) {
		return
	}
	if p.dirty.From.IsZero() || from.Before(p.dirty.From) {
		p.dirty.From = from
	}
	if p.dirty.To.IsZero() || to.After(p.dirty.To) {
		p.dirty.To = to
	}
}

func (p *crossingPlan) active() bool { return p.full || !p.dirty.From.IsZero() }

// episodeSpan is a run of consecutive affected days.
type episodeSpan struct {
	Start, End Date
	Ongoing    bool
	Reason     *string
}

// storedEpisode is what the incremental run reads of a stored episode.
type storedEpisode struct {
	CrossingID      int64
	StartDate       Date
	EndDate         Date
	Ongoing         bool
	ModelVersion    string
	AssumptionsHash string
}

// recomputeImpact runs one recomputation; plan marks, for each crossing,
// what to recompute.
func recomputeImpact(ctx context.Context, db *gorm.DB, now time.Time, plan func(*impactRun, *crossingPlan) error) (int, error) {
	written := 0
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r := &impactRun{tx: tx, dialect: Dialect(db), now: now}
		if r.dialect == DialectPostgres {
			// One run at a time, whoever starts it (the scheduler, the
			// command line): two would delete and insert the same keys.
			// SQLite's write lock, taken at BEGIN, does the same there.
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", impactLockKey).Error; err != nil {
				return fmt.Errorf("wait for another run: %w", err)
			}
		}
		plans, err := r.prepare(ctx)
		if err != nil {
			return err
		}
		for _, p := range plans {
			if err := plan(r, p); err != nil {
				return err
			}
		}
		res, err := r.compute(ctx, plans)
		if err != nil {
			return err
		}
		written, err = r.store(ctx, plans, res)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("recompute the closure costs: %w", err)
	}
	return written, nil
}

// prepare reads the assumptions, the stored episodes and every status
// change in effect by now, and finds each crossing's episodes.
func (r *impactRun) prepare(ctx context.Context) ([]*crossingPlan, error) {
	var err error
	if r.assumptions, err = CurrentAssumptions(ctx, r.tx); err != nil {
		return nil, err
	}
	r.catIndex = map[int64]int{}
	for i, c := range r.assumptions.Categories {
		r.categories = append(r.categories, c)
		r.catIndex[c.id] = i
	}
	var stored []storedEpisode
	if err := r.tx.Raw("SELECT crossing_id, start_date, end_date, ongoing, model_version, assumptions_hash FROM closure_episodes ORDER BY crossing_id, start_date").
		Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("read the stored episodes: %w", err)
	}
	r.stored = map[int64][]storedEpisode{}
	for _, s := range stored {
		r.stored[s.CrossingID] = append(r.stored[s.CrossingID], s)
	}
	var changes []StatusChange
	if err := r.tx.Where("effective_at <= ?", r.now.UTC()).Order("crossing_id, effective_at").Find(&changes).Error; err != nil {
		return nil, fmt.Errorf("read status changes: %w", err)
	}
	byCrossing := map[int64][]StatusChange{}
	for _, c := range changes {
		byCrossing[c.CrossingID] = append(byCrossing[c.CrossingID], c)
	}
	var plans []*crossingPlan
	for _, c := range r.assumptions.Crossings {
		loc := Crossing{TimeZone: c.timeZone}.Location()
		p := &crossingPlan{c: c, loc: loc, today: DateOf(r.now, loc), changes: byCrossing[c.id]}
		p.shares = ClosureShares(p.changes, loc, p.today)
		p.episodes = findEpisodes(p.shares, p.changes, loc, p.today)
		if p.snapshot, p.hash, err = r.assumptions.snapshot(c); err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// findEpisodes groups the affected days into episodes, oldest first. An
// episode's reason is that of the first change that stopped cargo on its
// first day.
func findEpisodes(shares map[Date]float64, changes []StatusChange, loc *time.Location, today Date) []episodeSpan {
	days := make([]Date, 0, len(shares))
	for d := range shares {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b Date) int { return a.t.Compare(b.t) })
	var episodes []episodeSpan
	for _, d := range days {
		if n := len(episodes); n > 0 && episodes[n-1].End.AddDays(1) == d {
			episodes[n-1].End = d
			continue
		}
		episodes = append(episodes, episodeSpan{Start: d, End: d})
	}
	for i := range episodes {
		e := &episodes[i]
		e.Ongoing = e.End == today
		dayStart, dayEnd := e.Start.Start(loc), e.Start.AddDays(1).Start(loc)
		for j, c := range changes {
			ends := j+1 < len(changes) && !changes[j+1].EffectiveAt.After(dayStart)
			if BlocksCargo(c) && c.EffectiveAt.Before(dayEnd) && !ends && c.Reason != nil {
				reason := string(*c.Reason)
				e.Reason = &reason
				break
			}
		}
	}
	return episodes
}

// findChanges marks what changed at a crossing since the last run.
func (r *impactRun) findChanges(p *crossingPlan, since time.Time) error {
	for _, s := range r.stored[p.c.id] {
		if s.ModelVersion != ImpactModelVersion || s.AssumptionsHash != p.hash {
			p.full = true
			return nil
		}
		if s.Ongoing {
			p.markDirty(s.StartDate, p.today)
		}
	}
	// A change recorded since, or one recorded earlier that has taken
	// effect since, alters the days from its own to the next change's.
	for i, c := range p.changes {
		if !c.RecordedAt.After(since) && !c.EffectiveAt.After(since) {
			continue
		}
		until := p.today
		if i+1 < len(p.changes) {
			until = DateOf(p.changes[i+1].EffectiveAt, p.loc)
		}
		p.markDirty(DateOf(c.EffectiveAt, p.loc), until)
	}
	if r.changed == nil {
		if err := r.readChangedFigures(since); err != nil {
			return err
		}
	}
	for _, d := range r.changed[p.c.id] {
		p.markDirty(d.From, d.To)
	}
	return nil
}

// readChangedFigures finds, by crossing, the first and last day whose
// figures were entered, changed, deleted (which bumps the day's version)
// or verified since.
func (r *impactRun) readChangedFigures(since time.Time) error {
	var rows []struct {
		CrossingID int64
		First      Date
		Last       Date
	}
	err := r.tx.Raw(`SELECT crossing_id, MIN(day) AS first, MAX(day) AS last FROM daily_figures WHERE updated_at > ? GROUP BY crossing_id
		UNION ALL
		SELECT crossing_id, MIN(day), MAX(day) FROM crossing_days WHERE updated_at > ? OR verified_at > ? GROUP BY crossing_id`,
		since.UTC(), since.UTC(), since.UTC()).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("find the figures changed since %s: %w", since.Format(time.RFC3339), err)
	}
	r.changed = map[int64][]DateRange{}
	for _, row := range rows {
		r.changed[row.CrossingID] = append(r.changed[row.CrossingID], DateRange{From: row.First, To: row.Last})
	}
	return nil
}

// Margins of the window read for an incremental run: beyond the 28
// baseline days and 14 catch-up days, room for days without figures.
const impactWindowMargin = 30

// setWindow chooses the days of figures to read for a plan that is not
// full: enough before the first episode that may use a changed day for
// its baseline, and enough after the last changed day for every later
// episode whose baseline may use it, with its catch-up.
func (p *crossingPlan) setWindow() {
	from := p.dirty.From
	for _, e := range p.episodes {
		// The episode holding the first changed day, or one whose
		// catch-up may reach it.
		if !e.Start.After(p.dirty.From) && !e.End.AddDays(CatchUpDays).Before(p.dirty.From) && e.Start.Before(from) {
			from = e.Start
		}
	}
	from = p.walkUnaffected(from, -1, BaselineDays+impactWindowMargin)
	to := p.walkUnaffected(p.dirty.To, 1, BaselineDays+impactWindowMargin)
	for _, e := range p.episodes {
		if !e.Start.After(to) && !e.End.Before(to) {
			to = e.End
		}
	}
	to = to.AddDays(CatchUpDays + 1)
	if to.After(p.today) {
		to = p.today
	}
	if from.Before(p.c.records) {
		from = p.c.records
	}
	p.window = DateRange{From: from, To: to}
}

// walkUnaffected steps from day in direction step until it has passed n
// unaffected days, and returns the day reached.
func (p *crossingPlan) walkUnaffected(day Date, step, n int) Date {
	for seen := 0; seen < n; {
		day = day.AddDays(step)
		if p.shares[day] == 0 {
			seen++
		}
		if step < 0 && day.Before(p.c.records) || step > 0 && day.After(p.today) {
			break
		}
	}
	return day
}

// series holds one crossing's loaded trucks by day and combo (direction ×
// category), from the aggregated stream.
type series struct {
	first    Date
	reported []bool
	trucks   []float64 // len(reported) × width
	width    int
}

func (s *series) index(d Date) int {
	if s.first.IsZero() {
		return -1
	}
	i := d.DaysSince(s.first)
	if i < 0 || i >= len(s.reported) {
		return -1
	}
	return i
}

func (s *series) add(d Date, combo int, trucks float64) {
	if s.first.IsZero() {
		s.first = d
	}
	i := d.DaysSince(s.first)
	for len(s.reported) <= i {
		s.reported = append(s.reported, false)
		s.trucks = append(s.trucks, make([]float64, s.width)...)
	}
	s.reported[i] = true
	s.trucks[i*s.width+combo] += trucks
}

// value is the trucks of combo on day i of the series (0 outside it).
func (s *series) value(i, combo int) float64 {
	if i < 0 {
		return 0
	}
	return s.trucks[i*s.width+combo]
}

func (s *series) isReported(d Date) bool {
	i := s.index(d)
	return i >= 0 && s.reported[i]
}

// readSeries reads the aggregated stream of the plans that need figures:
// one query, every crossing wholly for full plans and its window for the
// others, in crossing and day order.
func (r *impactRun) readSeries(ctx context.Context, plans []*crossingPlan) (map[int64]*series, error) {
	width := 2 * len(r.categories)
	out := map[int64]*series{}
	var where []string
	var args []any
	all := true
	for _, p := range plans {
		if !p.active() {
			all = false
			continue
		}
		out[p.c.id] = &series{width: width}
		if p.full {
			where = append(where, "crossing_id = ?")
			args = append(args, p.c.id)
		} else {
			all = false
			where = append(where, "(crossing_id = ? AND day BETWEEN ? AND ?)")
			args = append(args, p.c.id, p.window.From, p.window.To)
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	query := "SELECT crossing_id, day, direction, category_id, SUM(trucks) FROM daily_figures"
	if !all {
		query += " WHERE " + strings.Join(where, " OR ")
	} else {
		args = nil
	}
	query += " GROUP BY crossing_id, day, direction, category_id ORDER BY crossing_id, day"
	rows, err := r.tx.Statement.ConnPool.QueryContext(ctx, placeholders(r.dialect, query), args...)
	if err != nil {
		return nil, fmt.Errorf("read the figures: %w", err)
	}
	defer rows.Close()
	var (
		crossingID, categoryID int64
		day                    Date
		direction              string
		trucks                 int64
	)
	n := int64(len(r.categories))
	for rows.Next() {
		if err := rows.Scan(&crossingID, &day, &direction, &categoryID, &trucks); err != nil {
			return nil, fmt.Errorf("read the figures: %w", err)
		}
		s, ok := out[crossingID]
		if !ok {
			continue
		}
		combo := int64(r.catIndex[categoryID])
		if Direction(direction) == ToPakistan {
			combo += n
		}
		s.add(day, int(combo), float64(trucks))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the figures: %w", err)
	}
	return out, nil
}

// episodeResult is one computed episode with its rows.
type episodeResult struct {
	episode      closureEpisodeRow
	days         []closureDayRow
	impacts      []impactDayRow
	needsBefore  bool // its baseline may lie before the window read
	baselineFrom Date // the oldest baseline day
}

// crossingResult is what a plan computed: the span of days whose stored
// episodes it replaces (all of them when full) and the new episodes.
type crossingResult struct {
	full     bool
	span     DateRange
	episodes []episodeResult
}

// compute runs the model over the plans, reading the figures once; a plan
// whose window turns out too short is computed again in full, from a
// second read of its crossing alone.
func (r *impactRun) compute(ctx context.Context, plans []*crossingPlan) (map[int64]crossingResult, error) {
	for _, p := range plans {
		if p.active() && !p.full {
			p.setWindow()
		}
	}
	data, err := r.readSeries(ctx, plans)
	if err != nil {
		return nil, err
	}
	results := map[int64]crossingResult{}
	var again []*crossingPlan
	for _, p := range plans {
		if !p.active() {
			continue
		}
		res, ok := r.computeCrossing(p, data[p.c.id])
		if !ok {
			p.full = true
			again = append(again, p)
			continue
		}
		results[p.c.id] = res
	}
	if len(again) > 0 {
		data, err := r.readSeries(ctx, again)
		if err != nil {
			return nil, err
		}
		for _, p := range again {
			results[p.c.id], _ = r.computeCrossing(p, data[p.c.id])
		}
	}
	return results, nil
}

// computeCrossing computes a plan's episodes. It reports false when the
// window read cannot answer for every episode the plan must replace.
func (r *impactRun) computeCrossing(p *crossingPlan, s *series) (crossingResult, bool) {
	if p.full {
		res := crossingResult{full: true}
		for _, e := range p.episodes {
			res.episodes = append(res.episodes, r.computeEpisode(p, s, e, Date{}))
		}
		return res, true
	}
	// Each episode in the window, and the days it uses.
	var inWindow []episodeResult
	var uses []DateRange
	for _, e := range p.episodes {
		if e.Start.Before(p.window.From) || e.End.After(p.window.To) {
			continue
		}
		er := r.computeEpisode(p, s, e, p.window.From)
		inWindow = append(inWindow, er)
		first := e.Start
		if er.baselineFrom.IsZero() || er.needsBefore {
			first = p.window.From
		} else if er.baselineFrom.Before(first) {
			first = er.baselineFrom
		}
		uses = append(uses, DateRange{From: first, To: e.End.AddDays(CatchUpDays)})
	}
	// The episodes using a changed day, then every stored or new episode
	// overlapping those, until the span of days replaced is closed.
	var span DateRange
	for i, u := range uses {
		if overlaps(u, p.dirty) {
			span = hull(span, DateRange{From: inWindow[i].episode.Start, To: inWindow[i].episode.End})
		}
	}
	if span.From.IsZero() {
		// No episode uses a changed day; stored ones there are gone.
		span = p.dirty
	}
	for grown := true; grown; {
		grown = false
		for _, e := range r.stored[p.c.id] {
			if er := (DateRange{From: e.StartDate, To: e.EndDate}); overlaps(er, span) && !contains(span, er) {
				span, grown = hull(span, er), true
			}
		}
		for _, e := range p.episodes {
			if er := (DateRange{From: e.Start, To: e.End}); overlaps(er, span) && !contains(span, er) {
				span, grown = hull(span, er), true
			}
		}
	}
	res := crossingResult{span: span}
	for _, e := range p.episodes {
		if !overlaps(DateRange{From: e.Start, To: e.End}, span) {
			continue
		}
		i := slices.IndexFunc(inWindow, func(er episodeResult) bool { return er.episode.Start == e.Start })
		if i < 0 || inWindow[i].needsBefore || e.End.AddDays(CatchUpDays).After(p.window.To) && p.window.To.Before(p.today) {
			return crossingResult{}, false
		}
		res.episodes = append(res.episodes, inWindow[i])
	}
	// A later episode may use a changed day for its baseline only if the
	// window holds fewer than 28 days with figures after that day.
	after := 0
	for d := p.dirty.To.AddDays(1); !d.After(p.window.To); d = d.AddDays(1) {
		if p.shares[d] == 0 && s.isReported(d) {
			after++
		}
	}
	if after < BaselineDays && p.window.To.Before(p.today) {
		return crossingResult{}, false
	}
	return res, true
}

func overlaps(a, b DateRange) bool { return !a.From.After(b.To) && !b.From.After(a.To) }

func contains(outer, inner DateRange) bool {
	return !inner.From.Before(outer.From) && !inner.To.After(outer.To)
}

func hull(a, b DateRange) DateRange {
	if a.From.IsZero() {
		return b
	}
	if b.From.Before(a.From) {
		a.From = b.From
	}
	if b.To.After(a.To) {
		a.To = b.To
	}
	return a
}

// computeEpisode runs the model over one episode. lower is the first day
// of figures read (zero when the crossing was read whole): a baseline
// still short when it gets there may need older days.
func (r *impactRun) computeEpisode(p *crossingPlan, s *series, e episodeSpan, lower Date) episodeResult {
	n := e.End.DaysSince(e.Start) + 1
	res := episodeResult{episode: closureEpisodeRow{CrossingID: p.c.id, Start: e.Start, End: e.End, Days: n,
		Ongoing: e.Ongoing, Reason: e.Reason, Status: ImpactOK, ModelVersion: ImpactModelVersion, AssumptionsHash: p.hash}}
	if s == nil {
		s = &series{width: 2 * len(r.categories)}
	}
	// The baseline days: the most recent unaffected days with figures.
	stop := s.first
	if !lower.IsZero() {
		stop = lower
	}
	var base []int
	for d := e.Start.AddDays(-1); len(base) < BaselineDays && !stop.IsZero() && !d.Before(stop); d = d.AddDays(-1) {
		if p.shares[d] == 0 && s.isReported(d) {
			base = append(base, s.index(d))
			res.baselineFrom = d
		}
	}
	res.needsBefore = !lower.IsZero() && len(base) < BaselineDays && lower.After(p.c.records)
	res.episode.BaselineDaysUsed = len(base)

	idx := make([]int, n) // each episode day's index in the series, -1 when unreported
	for k := range n {
		d := e.Start.AddDays(k)
		share := p.shares[d]
		idx[k] = s.index(d)
		reported := idx[k] >= 0 && s.reported[idx[k]]
		if !reported {
			idx[k] = -1
			if share < 1 {
				res.episode.Status = ImpactInsufficientData
			}
		}
		customs := share * p.c.CustomsRevenuePerDayUSD
		res.episode.CustomsRevenueUSD += customs
		res.days = append(res.days, closureDayRow{CrossingID: p.c.id, Day: d, EpisodeStart: e.Start,
			Share: share, Reported: reported, CustomsRevenueUSD: customs})
	}
	if len(base) < MinBaselineDays {
		res.episode.Status = ImpactInsufficientData
	}
	if res.episode.Status != ImpactOK {
		return res
	}
	var catchUp []int
	if !e.Ongoing {
		for d := e.End.AddDays(1); !d.After(e.End.AddDays(CatchUpDays)) && !d.After(p.today) && p.shares[d] == 0; d = d.AddDays(1) {
			if s.isReported(d) {
				catchUp = append(catchUp, s.index(d))
			}
		}
	}
	est := &SeriesTotals{}
	nCat := len(r.categories)
	baseVals, actual, after := make([]float64, len(base)), make([]float64, n), make([]float64, len(catchUp))
	for combo := range 2 * nCat {
		cat := r.categories[combo%nCat]
		if !cat.loaded {
			continue
		}
		seen := false
		for i, b := range base {
			baseVals[i] = s.value(b, combo)
			seen = seen || baseVals[i] != 0
		}
		for k, i := range idx {
			actual[k] = s.value(i, combo)
			seen = seen || actual[k] != 0
		}
		if !seen {
			continue
		}
		for i, c := range catchUp {
			after[i] = s.value(c, combo)
		}
		b, _ := Baseline(baseVals)
		days, tot := SeriesCost(cat.terms(), b, actual, after)
		dir := ToAfghanistan
		if combo >= nCat {
			dir = ToPakistan
		}
		for k, d := range days {
			res.impacts = append(res.impacts, impactDayRow{CrossingID: p.c.id, Day: e.Start.AddDays(k), Direction: dir,
				CategoryID: cat.id, EpisodeStart: e.Start, Actual: actual[k], Baseline: b, ImpactTerms: d})
		}
		est.add(tot)
	}
	// Impact rows in day order, combos within each day in category order.
	slices.SortStableFunc(res.impacts, func(a, b impactDayRow) int { return a.Day.t.Compare(b.Day.t) })
	res.episode.Estimate = est
	return res
}
