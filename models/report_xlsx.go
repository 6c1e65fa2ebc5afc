package models

import (
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// writeSummaryXLSX writes the summary as a workbook: a sheet per table
// (summary, daily, by category, closures, assumptions), numbers as
// numbers, dates as dates, header rows frozen, columns wide enough for
// their contents. The summary sheet, the sheet names and the document's
// properties are in lang; the column names of the tables are the JSON's
// field names in every language, and a right-to-left language's sheets
// run right to left.
func writeSummaryXLSX(w io.Writer, s WeeklySummary, lang ReportLanguage) error {
	text := lang.T
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	book := &workbook{f: f, dateStyle: dateStyle, headStyle: headStyle, rtl: lang.RightToLeft()}

	summary := book.sheet(text("reports.sheet_summary"), "Sheet1")
	summary.header(text("reports.field"), text("reports.value"))
	summary.row(text("reports.week"), s.Week)
	summary.row(text("reports.revision"), s.Revision)
	summary.row(text("reports.from"), s.From)
	summary.row(text("reports.to"), s.To)
	summary.row(text("reports.generated_at"), s.GeneratedAt)
	summary.row(text("reports.citation"), s.Citation)
	summary.row(text("reports.license"), s.License)
	summary.row(text("reports.unit"), text("reports.unit_note"))
	if !s.HasData {
		summary.row(text("reports.note"), text("reports.no_data"))
	}
	summary.row(text("reports.to_afghanistan"), s.Totals.ToAfghanistan)
	summary.row(text("reports.to_pakistan"), s.Totals.ToPakistan)
	summary.row(text("reports.total"), s.Totals.Total)
	summary.row(text("reports.baseline_total"), s.Totals.BaselineTotal)
	summary.row(text("reports.baseline"), text("reports.baseline_method", "Days", SummaryBaselineDays))
	summary.row(text("reports.hours_closed"), s.Totals.HoursClosed)
	summary.row(text("reports.hours_restricted"), s.Totals.HoursRestricted)
	summary.row(text("reports.model_version"), s.ModelVersion)

	daily := book.sheet(text("reports.sheet_daily"), "")
	daily.header("date", "crossing", "crossing_name", "state", "hours_closed", "hours_restricted", "reported", "verified",
		"to_afghanistan", "to_pakistan")
	for _, c := range s.Crossings {
		for _, d := range c.Days {
			daily.row(d.Date, c.Slug, c.Name, stateText(d.State), d.HoursClosed, d.HoursRestricted, d.Reported, d.Verified,
				d.ToAfghanistan, d.ToPakistan)
		}
	}

	cats := book.sheet(text("reports.sheet_categories"), "")
	cats.header("crossing", "direction", "category", "name", "loaded", "trucks", "baseline_trucks", "change_percent")
	for _, c := range s.Crossings {
		for _, cat := range c.Categories {
			cats.row(c.Slug, string(cat.Direction), cat.Category, cat.Name, cat.Loaded, cat.Trucks, cat.BaselineTrucks, cat.ChangePercent)
		}
	}

	closures := book.sheet(text("reports.sheet_closures"), "")
	closures.header("crossing", "start", "end", "days", "ongoing", "reason", "status", "trucks_foregone_low",
		"trucks_foregone_central", "trucks_foregone_high", "trade_value_foregone_low_usd", "trade_value_foregone_central_usd",
		"trade_value_foregone_high_usd", "holding_cost_usd", "spoilage_usd", "humanitarian_trucks_held_up",
		"customs_revenue_foregone_usd", "model_version")
	for _, c := range s.Crossings {
		if c.CostsStatus == CostsNotComputed {
			closures.row(c.Slug, nil, nil, nil, nil, nil, CostsNotComputed)
		}
		for _, e := range c.Closures {
			values := []any{c.Slug, e.Start, e.End, e.Days, e.Ongoing, deref0(e.Reason), e.Status}
			if r := e.TrucksForegone; r != nil {
				values = append(values, r.Low, r.Central, r.High)
			} else {
				values = append(values, nil, nil, nil)
			}
			if r := e.TradeValueForegoneUSD; r != nil {
				values = append(values, r.Low, r.Central, r.High)
			} else {
				values = append(values, nil, nil, nil)
			}
			values = append(values, e.HoldingCostUSD, e.SpoilageUSD, e.HumanitarianTrucksHeldUp, e.CustomsRevenueForegoneUSD, e.ModelVersion)
			closures.row(values...)
		}
	}

	a := book.sheet(text("reports.sheet_assumptions"), "")
	a.header("currency", "units_per_usd", "source", "as_of")
	for _, r := range s.Assumptions.ExchangeRates {
		a.row(r.Currency, r.UnitsPerUSD, r.Source, r.AsOf)
	}
	a.row()
	a.header("category", "value_per_truck_usd", "holding_cost_per_truck_day_usd", "perishable", "shelf_life_days",
		"daily_spoilage_rate", "humanitarian")
	for _, c := range s.Assumptions.Categories {
		var shelf any
		if c.ShelfLifeDays != nil {
			shelf = *c.ShelfLifeDays
		}
		a.row(c.Code, c.ValuePerTruckUSD, c.HoldingCostPerTruckDayUSD, c.Perishable, shelf, c.DailySpoilageRate, c.Humanitarian)
	}
	a.row()
	a.header("crossing", "customs_revenue_per_day_usd")
	for _, c := range s.Assumptions.Crossings {
		a.row(c.Slug, c.CustomsRevenuePerDayUSD)
	}
	a.row()
	a.row("model_version", s.Assumptions.ModelVersion)

	for _, sh := range book.sheets {
		if err := sh.finish(); err != nil {
			return err
		}
	}
	created, _ := time.Parse(time.RFC3339, s.GeneratedAt)
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:       text("reports.title", "Week", s.Week),
		Subject:     s.Citation,
		Description: s.Citation + ". " + text("reports.license") + ": " + s.License,
		Creator:     "borderflow",
		Identifier:  fmt.Sprintf("%s revision %d", s.Week, s.Revision),
		Keywords:    s.License,
		Created:     created.UTC().Format(time.RFC3339),
		Modified:    created.UTC().Format(time.RFC3339),
		Revision:    fmt.Sprint(s.Revision),
		Language:    lang.Lang(),
	}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

// workbook collects the sheets being written.
type workbook struct {
	f                    *excelize.File
	dateStyle, headStyle int
	rtl                  bool
	sheets               []*sheetWriter
}

// sheet starts a sheet named name; rename is the default sheet to reuse.
func (b *workbook) sheet(name, rename string) *sheetWriter {
	if rename != "" {
		_ = b.f.SetSheetName(rename, name)
	} else {
		_, _ = b.f.NewSheet(name)
	}
	sh := &sheetWriter{book: b, name: name}
	b.sheets = append(b.sheets, sh)
	return sh
}

// sheetWriter writes one sheet row by row, keeping the widest cell of
// each column.
type sheetWriter struct {
	book   *workbook
	name   string
	rows   int
	widths []int
	err    error
}

func (s *sheetWriter) header(names ...string) {
	s.row(stringsToAny(names)...)
	if s.err == nil {
		last, _ := excelize.CoordinatesToCellName(len(names), s.rows)
		first, _ := excelize.CoordinatesToCellName(1, s.rows)
		s.err = s.book.f.SetCellStyle(s.name, first, last, s.book.headStyle)
	}
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// row writes values in the next row: numbers as numbers, dates as dates,
// nil (or a nil pointer) as an empty cell, text neutralised.
func (s *sheetWriter) row(values ...any) {
	s.rows++
	for i, v := range values {
		if s.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, s.rows)
		var shown string
		switch x := v.(type) {
		case nil:
			continue
		case *int:
			if x == nil {
				continue
			}
			v, shown = *x, fmt.Sprint(*x)
		case *float64:
			if x == nil {
				continue
			}
			v, shown = *x, FormatNumber(*x)
		case float64:
			shown = FormatNumber(x)
		case string:
			v = SpreadsheetText(x)
			shown = x
		case Date:
			if x.IsZero() {
				continue
			}
			v, shown = x.t, x.String()
			s.err = s.book.f.SetCellStyle(s.name, cell, cell, s.book.dateStyle)
		default:
			shown = fmt.Sprint(x)
		}
		if s.err == nil {
			s.err = s.book.f.SetCellValue(s.name, cell, v)
		}
		for len(s.widths) <= i {
			s.widths = append(s.widths, 0)
		}
		s.widths[i] = max(s.widths[i], utf8.RuneCountInString(shown))
	}
}

// finish freezes the header row and sets each column's width to fit.
func (s *sheetWriter) finish() error {
	if s.err != nil {
		return fmt.Errorf("write sheet %s: %w", s.name, s.err)
	}
	if err := s.book.f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if s.book.rtl {
		if err := s.book.f.SetSheetView(s.name, 0, &excelize.ViewOptions{RightToLeft: ptr(true)}); err != nil {
			return err
		}
	}
	for i, w := range s.widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := s.book.f.SetColWidth(s.name, col, col, float64(min(80, max(8, w+2)))); err != nil {
			return err
		}
	}
	return nil
}
