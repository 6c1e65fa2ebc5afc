package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow"
	"borderflow/models"
)

// The crossing page's windows.
const (
	timelineDays = 90
	recentTable  = 30
	closureDays  = 365
)

// crossingPage is what /crossings/{slug} shows.
type crossingPage struct {
	Card       boardCard
	Direction  string // "", to_afghanistan or to_pakistan
	Directions []directionChoice
	Timeline   timeline
	Chart      barChart
	ChartRows  []chartRow
	Recent     []recentDay
	Closures   []models.Closure
	Costs      []models.ClosureEpisode // the impact job's estimate of each episode, newest first
	MapURL     string
	Latitude   string
	Longitude  string
}

// directionChoice is one option of the chart's direction toggle.
type directionChoice struct {
	Value, Label, URL string
	Current           bool
}

// chartRow is one day of the chart's data table.
type chartRow struct {
	Day      models.Date
	Reported bool
	Trucks   []int // in the order of the chart's series
	Total    int
}

// recentDay is one row of the last 30 days' figures.
type recentDay struct {
	Day                       models.Date
	Reported                  bool
	ToAfghanistan, ToPakistan int
	Empty                     int
	Verified                  bool
}

// Total is the loaded trucks in both directions.
func (r recentDay) Total() int { return r.ToAfghanistan + r.ToPakistan }

// timeline is the status of the last 90 days as bands along a time axis.
type timeline struct {
	Width, Height float64
	Bands         []timelineBand
	Months        []timelineTick
}

type timelineBand struct {
	X, W  float64
	Fill  string
	State string
	Spell models.StatusSpell
}

type timelineTick struct {
	X     float64
	Label string
}

// parseDirection accepts the direction toggle's values; "" means both.
func parseDirection(s string) (string, error) {
	switch s {
	case "", "both":
		return "", nil
	case string(models.ToAfghanistan), string(models.ToPakistan):
		return s, nil
	}
	return "", invalidInput("error.bad_direction", "Value", s)
}

// showCrossing renders /crossings/{slug}: status, timeline, charts, figures, closures.
func (a *App) showCrossing(c echo.Context) error {
	direction, err := parseDirection(c.QueryParam("direction"))
	if err != nil {
		return err
	}
	slug := c.Param("slug")
	return a.servePage(c, "crossing", "/crossings/"+slug+"?direction="+direction, func(ctx context.Context, l *Locale) (pageContent, error) {
		now := a.now()
		entry, err := models.CrossingBoard(ctx, a.db, slug, now)
		if err != nil {
			return pageContent{}, err
		}
		crossing := entry.Crossing
		history, err := models.StatusHistory(ctx, a.db, crossing.ID, now.AddDate(0, 0, -closureDays), now)
		if err != nil {
			return pageContent{}, err
		}
		window := models.DateRange{From: entry.Today.AddDays(1 - timelineDays), To: entry.Today}
		figures, err := models.FiguresInRange(ctx, a.db, crossing.ID, window)
		if err != nil {
			return pageContent{}, err
		}
		categories, err := models.CargoCategories(ctx, a.db)
		if err != nil {
			return pageContent{}, err
		}
		costs, err := models.ClosureEpisodes(ctx, a.db, crossing.ID)
		if err != nil {
			return pageContent{}, err
		}
		p := crossingPage{
			Costs:     costs,
			Card:      a.newBoardCards([]models.BoardEntry{entry}, now)[0],
			Direction: direction,
			Closures:  models.Closures(history, now),
			Latitude:  strconv.FormatFloat(crossing.Latitude, 'f', 2, 64),
			Longitude: strconv.FormatFloat(crossing.Longitude, 'f', 2, 64),
		}
		if len(costs) > 0 && costs[0].Ongoing && p.Card.State != string(models.StateOpen) {
			p.Card.Cost = &costs[0]
		}
		p.MapURL = fmt.Sprintf("https://www.openstreetmap.org/?mlat=%s&mlon=%s#map=14/%s/%s", p.Latitude, p.Longitude, p.Latitude, p.Longitude)
		for _, d := range []string{"", string(models.ToAfghanistan), string(models.ToPakistan)} {
			choice := directionChoice{Value: d, Current: d == direction, URL: "/crossings/" + slug}
			choice.Label = l.T("crossing.both_directions")
			if d != "" {
				choice.Label, choice.URL = l.T("direction."+d), choice.URL+"?direction="+d
			}
			p.Directions = append(p.Directions, choice)
		}
		days := dayRange(window.From, window.To)
		p.Timeline = newTimeline(models.Spells(history, window.From.Start(crossing.Location()), now), window.From.Start(crossing.Location()), now, crossing.Location(), l.MonthYear)
		p.Chart, p.ChartRows = categoryChart(l, days, figures, categories, direction)
		p.Recent = recentDays(days[len(days)-recentTable:], figures)
		return pageContent{Status: http.StatusOK, Title: crossing.Name, Data: p, LastModified: entry.LastUpdated}, nil
	})
}

// categoryChart stacks each day's loaded trucks by category, for one
// direction or both, with the table behind it.
func categoryChart(l *Locale, days []models.Date, figures []models.FigureRow, categories []models.CargoCategory, direction string) (barChart, []chartRow) {
	byDay := map[models.Date]map[string]int{}
	used := map[string]bool{}
	for _, f := range figures {
		if byDay[f.Day] == nil {
			byDay[f.Day] = map[string]int{}
		}
		if !f.Loaded || (direction != "" && string(f.Direction) != direction) {
			continue
		}
		byDay[f.Day][f.CategoryCode] += f.Trucks
		if f.Trucks > 0 {
			used[f.CategoryCode] = true
		}
	}
	var series []chartSeries
	for _, c := range categories {
		if used[c.Code] {
			series = append(series, chartSeries{Key: c.Code, Label: l.CategoryName(c.Code, c.Name), Fill: categoryFill(c.Code)})
		}
	}
	chart := newBarChart(days, series, func(d models.Date) (map[string]int, bool) {
		v, ok := byDay[d]
		return v, ok
	}, 900, 260, 48)
	rows := make([]chartRow, len(days))
	for i, d := range days {
		row := chartRow{Day: d}
		_, row.Reported = byDay[d]
		for _, s := range series {
			n := byDay[d][s.Key]
			row.Trucks = append(row.Trucks, n)
			row.Total += n
		}
		rows[i] = row
	}
	return chart, rows
}

// recentDays sums the figures of each day into loaded trucks by direction
// and empty trucks, newest first.
func recentDays(days []models.Date, figures []models.FigureRow) []recentDay {
	byDay := map[models.Date]*recentDay{}
	for _, f := range figures {
		r := byDay[f.Day]
		if r == nil {
			r = &recentDay{Day: f.Day, Reported: true, Verified: true}
			byDay[f.Day] = r
		}
		r.Verified = r.Verified && f.Verified
		switch {
		case !f.Loaded:
			r.Empty += f.Trucks
		case f.Direction == models.ToAfghanistan:
			r.ToAfghanistan += f.Trucks
		default:
			r.ToPakistan += f.Trucks
		}
	}
	rows := make([]recentDay, 0, len(days))
	for i := len(days) - 1; i >= 0; i-- {
		if r, ok := byDay[days[i]]; ok {
			rows = append(rows, *r)
		} else {
			rows = append(rows, recentDay{Day: days[i]})
		}
	}
	return rows
}

// newTimeline places each status spell between from and now on a 900-wide
// axis, with the months labelled in the reader's language.
func newTimeline(spells []models.StatusSpell, from, now time.Time, loc *time.Location, monthLabel func(time.Time) string) timeline {
	tl := timeline{Width: 900, Height: 56}
	span := now.Sub(from).Seconds()
	x := func(t time.Time) float64 { return tl.Width * t.Sub(from).Seconds() / span }
	for _, s := range spells {
		tl.Bands = append(tl.Bands, timelineBand{
			X: tenth(x(s.Start)), W: tenth(max(x(s.End)-x(s.Start), 1)),
			Fill: stateFills[s.Change.State], State: string(s.Change.State), Spell: s,
		})
	}
	first := time.Date(from.In(loc).Year(), from.In(loc).Month()+1, 1, 0, 0, 0, 0, loc)
	for m := first; m.Before(now); m = m.AddDate(0, 1, 0) {
		tl.Months = append(tl.Months, timelineTick{X: tenth(x(m)), Label: monthLabel(m)})
	}
	return tl
}

// showMethod renders /method: how the cost of a closure is estimated.
func (a *App) showMethod(c echo.Context) error {
	return a.servePage(c, "method", "/method", func(_ context.Context, l *Locale) (pageContent, error) {
		return pageContent{Status: http.StatusOK, Title: l.T("method.title"), Data: borderflow.Methodology}, nil
	})
}
