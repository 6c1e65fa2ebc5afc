package app

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"borderflow/jobs"
	"borderflow/models"
)

// adminAssumptionsPage edits what the closure cost model assumes beyond the
// cargo categories: each crossing's customs revenue a day and the exchange
// rates the defaults were converted at.
type adminAssumptionsPage struct {
	Revenues []assumptionRow
	Rates    []assumptionRow
	Errors   map[string]string
	Flash    string
}

// assumptionRow is one value with its source (and, for a rate, its date),
// as the form shows them.
type assumptionRow struct {
	Key, Label                  string
	Value, Source, AsOf         string
	ValueName, SourceName, Date string // input names
}

// renderAssumptions renders the form; typed holds what was typed, by input
// name, when it comes back with errors.
func (a *App) renderAssumptions(c echo.Context, status int, typed, errs map[string]string) error {
	l := a.locale(c)
	current, err := models.CurrentAssumptions(c.Request().Context(), a.db)
	if err != nil {
		return err
	}
	pick := func(name, stored string) string {
		if v, ok := typed[name]; ok {
			return v
		}
		return stored
	}
	p := adminAssumptionsPage{Errors: errs, Flash: a.popFlash(c)}
	for _, x := range current.Crossings {
		r := assumptionRow{Key: x.Slug, Label: x.Slug, ValueName: "revenue." + x.Slug, SourceName: "revenue_source." + x.Slug}
		r.Value = pick(r.ValueName, strconv.FormatFloat(x.CustomsRevenuePerDayUSD, 'f', -1, 64))
		r.Source = pick(r.SourceName, x.Source)
		p.Revenues = append(p.Revenues, r)
	}
	currencies := make([]string, 0, len(current.ExchangeRates))
	for cur := range current.ExchangeRates {
		currencies = append(currencies, cur)
	}
	sort.Strings(currencies)
	for _, cur := range currencies {
		rate := current.ExchangeRates[cur]
		r := assumptionRow{Key: cur, Label: cur, ValueName: "rate." + cur, SourceName: "rate_source." + cur, Date: "rate_as_of." + cur}
		r.Value = pick(r.ValueName, strconv.FormatFloat(rate.UnitsPerUSD, 'f', -1, 64))
		r.Source = pick(r.SourceName, rate.Source)
		r.AsOf = pick(r.Date, rate.AsOf.String())
		p.Rates = append(p.Rates, r)
	}
	return a.render(c, status, "admin_assumptions", l.T("admin_assumptions.title"), p)
}

// showAssumptions renders GET /admin/assumptions.
func (a *App) showAssumptions(c echo.Context) error {
	return a.renderAssumptions(c, http.StatusOK, nil, nil)
}

// saveAssumptions handles POST /admin/assumptions: every value in one
// transaction, each change audited, then the estimates recomputed.
func (a *App) saveAssumptions(c echo.Context) error {
	ctx, l := c.Request().Context(), a.locale(c)
	params, err := c.FormParams()
	if err != nil {
		return invalidInput("error.bad_request")
	}
	current, err := models.CurrentAssumptions(ctx, a.db)
	if err != nil {
		return err
	}
	typed := map[string]string{}
	for name, v := range params {
		typed[name] = v[0]
	}
	var errs []models.FieldError
	number := func(name string) float64 {
		v, code := parseDecimal(strings.TrimSpace(params.Get(name)))
		if code != "" {
			errs = append(errs, models.FieldError{Field: name, Code: "not_number", Params: map[string]any{"Value": params.Get(name)}})
		}
		return v
	}
	var revenues []models.CrossingRevenueInput
	for _, x := range current.Crossings {
		if params.Has("revenue." + x.Slug) {
			revenues = append(revenues, models.CrossingRevenueInput{Slug: x.Slug, PerDay: number("revenue." + x.Slug), Source: params.Get("revenue_source." + x.Slug)})
		}
	}
	var rates []models.ExchangeRateInput
	for cur := range current.ExchangeRates {
		if !params.Has("rate." + cur) {
			continue
		}
		in := models.ExchangeRateInput{Currency: cur, UnitsPerUSD: number("rate." + cur), Source: params.Get("rate_source." + cur)}
		if in.AsOf, err = models.ParseDate(models.ASCIIDigits(strings.TrimSpace(params.Get("rate_as_of." + cur)))); err != nil {
			errs = append(errs, models.FieldError{Field: "rate_as_of." + cur, Code: "date_format", Params: map[string]any{"Value": params.Get("rate_as_of." + cur)}})
		}
		rates = append(rates, in)
	}
	if len(errs) == 0 {
		_, err = models.SaveModelAssumptions(ctx, a.db, revenues, rates, a.actor(c), a.now())
		errs = refusals(err)
		if errs == nil && err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		label := func(field string) string {
			kind, key, _ := strings.Cut(field, ".")
			return l.T("admin_assumptions.field_"+kind, "Name", key)
		}
		return a.renderAssumptions(c, http.StatusUnprocessableEntity, typed, formErrors(l, errs, label))
	}
	a.pages.invalidate()
	a.recomputeCosts(c)
	a.flash(c, "admin_assumptions.saved")
	return c.Redirect(http.StatusSeeOther, "/admin/assumptions")
}

// recomputeCosts reruns the impact job after staff changed an assumption
// the estimates use, rather than leaving them to its next tick; a run
// already under way may have read the old value, so it follows that one.
func (a *App) recomputeCosts(c echo.Context) {
	if err := a.scheduler.StartAfterChange("impact", jobs.Manual{Actor: a.actor(c)}); err != nil {
		a.log.Warn("closure costs not recomputed after an assumption changed; the impact job will", "err", err)
	}
}
