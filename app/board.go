package app

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// boardCard is one crossing on the status board, ready to format.
type boardCard struct {
	models.BoardEntry
	State     string        // open, closed, restricted, or unknown
	Duration  time.Duration // how long the current status has held
	Location  *time.Location
	Today     dayCount
	Yesterday dayCount
	Stale     bool
	SinceLast time.Duration // since the last update, for the stale warning
	Sparkline barChart
	// Cost is the stored estimate of the closure under way, if any (the
	// impact job keeps it current).
	Cost *models.ClosureEpisode
}

// dayCount is one day's loaded trucks as a card shows it.
type dayCount struct {
	Day      models.Date
	Reported bool
	models.DayTotals
}

// sparkSeries is the one series of a sparkline: all loaded trucks.
var sparkSeries = []chartSeries{{Key: "loaded", Fill: "#475569"}}

// newBoardCards turns the board's entries into cards as of now.
func (a *App) newBoardCards(entries []models.BoardEntry, now time.Time) []boardCard {
	cards := make([]boardCard, len(entries))
	for i, e := range entries {
		card := boardCard{BoardEntry: e, State: "unknown", Location: e.Crossing.Location()}
		if e.Status != nil {
			card.State = string(e.Status.State)
			card.Duration = now.Sub(e.Status.EffectiveAt)
		}
		today, ok := e.Day(e.Today)
		card.Today = dayCount{Day: e.Today, Reported: ok, DayTotals: today}
		yesterday, ok := e.Day(e.Today.AddDays(-1))
		card.Yesterday = dayCount{Day: e.Today.AddDays(-1), Reported: ok, DayTotals: yesterday}
		card.SinceLast = now.Sub(e.LastUpdated)
		card.Stale = e.LastUpdated.IsZero() || card.SinceLast > a.cfg.StaleAfter
		days := make([]models.Date, len(e.Recent))
		for j, t := range e.Recent {
			days[j] = t.Day
		}
		card.Sparkline = newBarChart(days, sparkSeries, func(d models.Date) (map[string]int, bool) {
			t, ok := e.Day(d)
			return map[string]int{"loaded": t.Total()}, ok
		}, 140, 36, 0)
		cards[i] = card
	}
	return cards
}

// showBoard renders GET /: each crossing's status, since when and why, when
// it was last updated, and its recent days' loaded trucks by direction.
func (a *App) showBoard(c echo.Context) error {
	return a.servePage(c, "board", "/", func(ctx context.Context, l *Locale) (pageContent, error) {
		now := a.now()
		entries, err := models.Board(ctx, a.db, now)
		if err != nil {
			return pageContent{}, err
		}
		ongoing, err := models.OngoingClosureEpisodes(ctx, a.db)
		if err != nil {
			return pageContent{}, err
		}
		var lastModified time.Time
		for _, e := range entries {
			if e.LastUpdated.After(lastModified) {
				lastModified = e.LastUpdated
			}
		}
		return pageContent{
			Status: http.StatusOK, Title: l.T("board.title"),
			Data: withCosts(a.newBoardCards(entries, now), ongoing), LastModified: lastModified,
		}, nil
	})
}

// withCosts gives each card of a crossing that is closed now the estimate
// of that closure so far.
func withCosts(cards []boardCard, ongoing map[string]models.ClosureEpisode) []boardCard {
	for i := range cards {
		if e, ok := ongoing[cards[i].Crossing.Slug]; ok && cards[i].State != string(models.StateOpen) {
			cards[i].Cost = &e
		}
	}
	return cards
}
