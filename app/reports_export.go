package app

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

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
	name := "all-crossings"
	if len(crossings) == 1 && c.QueryParam("crossing") != "" {
		name = crossings[0].Slug
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="borderflow-figures-%s-%s-%s.%s"`, name, q.Range.From, q.Range.To, q.Format))
	h.Set(echo.HeaderCacheControl, "public, max-age=60")
	if q.Format == "xlsx" {
		return a.exportXLSX(c, ids, q.Range)
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

// exportXLSX writes the figures through excelize's stream writer, which
// keeps the sheet on disk rather than in memory as it grows.
func (a *App) exportXLSX(c echo.Context, ids []int64, r models.DateRange) error {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	sheet := "Figures"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptrString("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	for i, width := range []float64{12, 14, 16, 14, 10, 8, 10, 14, 9} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(figuresCSVHeader))
	for i, h := range figuresCSVHeader {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := 1
	err = models.EachFigureInRange(c.Request().Context(), a.db, ids, r, func(x models.RangeFigure) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		values := []any{excelize.Cell{StyleID: dateStyle, Value: x.Day.Start(time.UTC)}, x.Crossing, string(x.Direction),
			x.CategoryCode, string(x.Regime), x.Trucks, nilIfNone(x.Tonnes), nilIfNone(x.ValueUSD), x.Verified}
		return sw.SetRow(cell, values)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, reportContentTypes["xlsx"])
	c.Response().WriteHeader(http.StatusOK)
	if _, err := f.WriteTo(c.Response()); err != nil {
		a.log.Error("range export cut off", "request_id", requestID(c), "err", err)
	}
	return nil
}

func ptrString(s string) *string { return &s }

func nilIfNone(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
