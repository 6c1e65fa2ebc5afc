package app

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// dayHistoryPage is the audit trail of one crossing-day: every save and
// verification, who made it, when, from which address, and the figures
// before and after.
type dayHistoryPage struct {
	Crossing models.Crossing
	Day      models.Date
	Entries  []historyEntry
}

// historyEntry is one change of the day.
type historyEntry struct {
	models.AuditEntry
	When               string
	Version            int
	ConfirmedOverLimit bool
	Rows               []historyRow // the figures that changed, or all of a first save
}

// historyRow is one figure before and after a change.
type historyRow struct {
	Label, Direction string
	Before, After    string
	Changed          bool
}

// showDayHistory renders GET /staff/crossings/:slug/days/:date/history.
func (a *App) showDayHistory(c echo.Context) error {
	crossing, err := a.staffCrossing(c)
	if err != nil {
		return err
	}
	day, err := models.ParseDate(c.Param("date"))
	if err != nil {
		return invalidInput("entry.bad_date", "Value", c.Param("date"))
	}
	ctx, l := c.Request().Context(), a.locale(c)
	changes, err := models.DayHistory(ctx, a.db, crossing, day)
	if err != nil {
		return err
	}
	categories, err := models.CargoCategories(ctx, a.db)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cat := range categories {
		names[cat.Code] = l.CategoryName(cat.Code, cat.Name)
	}
	p := dayHistoryPage{Crossing: crossing, Day: day}
	for _, ch := range changes {
		e := historyEntry{AuditEntry: ch.AuditEntry, When: l.DateTime(ch.At, crossing.Location())}
		if ch.After != nil {
			e.Version, e.ConfirmedOverLimit = ch.After.Version, ch.After.ConfirmedOverLimit
		}
		e.Rows = historyRows(l, names, ch.Before, ch.After)
		p.Entries = append(p.Entries, e)
	}
	return a.render(c, http.StatusOK, "day_history", l.T("history.title", "Crossing", crossing.Name, "Date", day.String()), p)
}

// historyRows pairs each figure before a change with the same figure
// after it; only the figures that changed are listed, except for a first
// save, which lists all it stored.
func historyRows(l *Locale, names map[string]string, before, after *models.DayValues) []historyRow {
	type pair struct{ before, after *models.FigureValues }
	pairs := map[string]*pair{}
	var order []string
	for _, side := range []struct {
		values *models.DayValues
		after  bool
	}{{before, false}, {after, true}} {
		if side.values == nil {
			continue
		}
		for i := range side.values.Figures {
			f := &side.values.Figures[i]
			key := cellName(f.Direction, f.Category, f.Regime)
			if pairs[key] == nil {
				pairs[key] = &pair{}
				order = append(order, key)
			}
			if side.after {
				pairs[key].after = f
			} else {
				pairs[key].before = f
			}
		}
	}
	var rows []historyRow
	for _, key := range order {
		pr := pairs[key]
		f := pr.after
		if f == nil {
			f = pr.before
		}
		row := historyRow{Label: names[f.Category], Direction: l.T("direction." + string(f.Direction))}
		if row.Label == "" {
			row.Label = f.Category
		}
		if f.Regime != models.RegimeBilateral && f.Category != "transit" {
			row.Label = l.T("entry.row_regime", "Category", row.Label, "Regime", l.T("regime."+string(f.Regime)))
		}
		if pr.before != nil {
			row.Before = figureText(l, pr.before.Trucks, pr.before.Tonnes, pr.before.ValueUSD)
		}
		if pr.after != nil {
			row.After = figureText(l, pr.after.Trucks, pr.after.Tonnes, pr.after.ValueUSD)
		}
		row.Changed = row.Before != row.After
		if row.Changed || before == nil {
			rows = append(rows, row)
		}
	}
	slices.SortStableFunc(rows, func(x, y historyRow) int { return strings.Compare(x.Direction, y.Direction) })
	return rows
}
