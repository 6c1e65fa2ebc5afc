package app

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"borderflow/models"
)

// The range export: every stored daily figure of one crossing or all of
// them, over up to a year, as CSV (with an HXL row) or XLSX. Rows are
// written as they are read from the database, so a year of every crossing
// never sits in memory.

// exportDefaultDays is the range when from and to are absent.
const exportDefaultDays = 30

// exportHXL tags the columns of figuresCSVHeader for HXL tools.
var exportHXL = []string{"#date", "#loc+code", "#x_direction", "#item+name", "#x_regime", "#x_trucks+num",
	"#x_tonnes+num", "#x_value_usd+num", "#x_verified"}

// exportFlushRows is how many CSV rows are written between flushes.
const exportFlushRows = 1000

// exportFigures answers GET /reports/export?crossing=&from=&to=&format=csv|xlsx.
func (a *App) exportFigures(c echo.Context) error {
	ctx := c.Request().Context()
	var crossings []models.Crossing
	if slug := c.QueryParam("crossing"); slug != "" {
		crossing, err := models.PublicCrossingBySlug(ctx, a.db, slug)
		if errors.Is(err, models.ErrNotFound) {
			return &userError{status: http.StatusNotFound, key: "reports.error_unknown_crossing", args: []any{"Value", slug}}
		}
		if err != nil {
			return err
		}
		crossings = []models.Crossing{crossing}
	} else {
		var err error
		if crossings, err = models.ActiveCrossings(ctx, a.db); err != nil {
			return err
		}
	}
	rules := rangeRules{Today: models.DateOf(a.now(), a.cfg.TimeZone), DefaultDays: exportDefaultDays, Formats: []string{"csv", "xlsx"}}
	ids := make([]int64, len(crossings))
	for i, x := range crossings {
		ids[i] = x.ID
		if i == 0 || x.RecordsFrom.Before(rules.RecordsFrom) {
			rules.RecordsFrom = x.RecordsFrom
		}
	}
	if len(crossings) == 1 {
		rules.Today = models.DateOf(a.now(), crossings[0].Location())
	}
	q, err := parseRangeQuery(c.QueryParams(), rules)
	if err != nil {
		return err
	}
	name, label := "all-crossings", a.translator.Locale("en").T("reports.all_crossings")
	if len(crossings) == 1 && c.QueryParam("crossing") != "" {
		name, label = crossings[0].Slug, crossings[0].Name
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="borderflow-figures-%s-%s-%s.%s"`, name, q.Range.From, q.Range.To, q.Format))
	h.Set(echo.HeaderCacheControl, "public, max-age=60")
	if q.Format == "xlsx" {
		return a.exportXLSX(c, ids, q.Range, label)
	}
	return a.exportCSV(c, ids, q.Range)
}

// exportCSV streams the figures as CSV.
func (a *App) exportCSV(c echo.Context, ids []int64, r models.DateRange) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.WriteHeader(http.StatusOK)
	w := csv.NewWriter(res)
	_ = w.Write(figuresCSVHeader)
	_ = w.Write(exportHXL)
	n := 0
	err := models.EachFigureInRange(c.Request().Context(), a.db, ids, r, func(f models.RangeFigure) error {
		_ = w.Write([]string{f.Day.String(), f.Crossing, string(f.Direction), f.CategoryCode, string(f.Regime),
			strconv.Itoa(f.Trucks), optionalFloat(f.Tonnes), optionalFloat(f.ValueUSD), strconv.FormatBool(f.Verified)})
		if n++; n%exportFlushRows == 0 {
			w.Flush()
			return w.Error()
		}
		return nil
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// The status is sent: the client sees a cut-off file, the log why.
		a.log.Error("range export cut off", "request_id", requestID(c), "err", err)
	}
	return nil
}

func optionalFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// exportColumns are the XLSX export's columns: figuresCSVHeader with
// widths.
var exportColumns = func() []models.XLSXColumn {
	widths := []float64{12, 14, 16, 14, 10, 8, 10, 14, 9}
	cols := make([]models.XLSXColumn, len(figuresCSVHeader))
	for i, name := range figuresCSVHeader {
		cols[i] = models.XLSXColumn{Name: name, Width: widths[i]}
	}
	return cols
}()

// exportXLSX writes the figures as a workbook straight into the response,
// row by row as they are read, as exportCSV does: the CSV's values, with
// numbers as numbers and the day as a date. label names the crossing or
// "all crossings" in the file's citation.
func (a *App) exportXLSX(c echo.Context, ids []int64, r models.DateRange, label string) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, reportContentTypes["xlsx"])
	res.WriteHeader(http.StatusOK)
	en := a.translator.Locale("en").T
	citation := en("reports.export_citation", "Crossing", label, "From", r.From.String(), "To", r.To.String())
	w, err := models.NewXLSXStream(res, "Figures", exportColumns, models.XLSXMeta{
		Title:       citation,
		Subject:     citation,
		Description: citation + ". " + en("reports.license") + ": " + a.cfg.ReportLicense,
		Keywords:    a.cfg.ReportLicense,
		Creator:     "borderflow",
		Language:    "en",
		Created:     a.now(),
	})
	if err == nil {
		err = models.EachFigureInRange(c.Request().Context(), a.db, ids, r, func(x models.RangeFigure) error {
			return w.Row(x.Day, x.Crossing, string(x.Direction), x.CategoryCode, string(x.Regime), x.Trucks, x.Tonnes,
				x.ValueUSD, x.Verified)
		})
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		// The status is sent: the client sees a cut-off file, the log why.
		a.log.Error("range export cut off", "request_id", requestID(c), "err", err)
	}
	return nil
}
