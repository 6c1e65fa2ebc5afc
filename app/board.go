package app

import (
	"time"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// boardCard is one crossing on the status board, ready to format.
type boardCard struct {
	models.BoardEntry
	State    string        // open, closed, restricted, or unknown
	Duration time.Duration // how long the current status has held
	Location *time.Location
}

// showBoard renders GET /: each crossing's status, since when and why, when
// it was last updated, and the latest day's loaded trucks by direction.
func (a *App) showBoard(c echo.Context) error {
	now := a.now()
	entries, err := models.Board(c.Request().Context(), a.db, now)
	if err != nil {
		return err
	}
	cards := make([]boardCard, len(entries))
	for i, e := range entries {
		card := boardCard{BoardEntry: e, State: "unknown", Location: e.Crossing.Location()}
		if e.Status != nil {
			card.State = string(e.Status.State)
			card.Duration = now.Sub(e.Status.EffectiveAt)
		}
		cards[i] = card
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	l := a.locale(c)
	return a.render(c, 200, "board", l.T("board.title"), cards)
}
