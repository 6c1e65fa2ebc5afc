package models

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// The summary as one CSV table: a header, the HXL hashtag row under it,
// then one row per record. The record column says what a row is: the
// citation and licence, a day at a crossing in one direction (day), a
// direction and category over the week (category), or a closure episode
// (closure); a week without data has a no_data row.
var (
	summaryCSVHeader = []string{"record", "week", "date", "end_date", "crossing_name", "crossing", "country_code",
		"state", "reason", "hours_closed", "hours_restricted", "direction", "category", "trucks", "baseline_trucks",
		"change_percent", "verified", "value_low_usd", "value_central_usd", "value_high_usd", "note"}
	summaryCSVTags = []string{"#x_record", "#date+week", "#date", "#date+end", "#loc+name", "#loc+code", "#country+code",
		"#status+name", "#x_reason", "#x_hours_closed+num", "#x_hours_restricted+num", "#x_direction", "#item+name", "#x_trucks+num",
		"#x_trucks+baseline+num", "#x_change+pct", "#x_verified", "#x_value_usd+low", "#x_value_usd+central",
		"#x_value_usd+high", "#meta+note"}
)

// crossingCountry is the country whose customs keep a crossing's records.
const crossingCountry = "PAK"

// csvRow is one record, by column name.
type csvRow map[string]string

func writeSummaryCSV(out io.Writer, s WeeklySummary, text func(string, ...any) string) error {
	w := csv.NewWriter(out)
	_ = w.Write(summaryCSVHeader)
	_ = w.Write(summaryCSVTags)
	write := func(r csvRow) {
		r["week"] = s.Week
		line := make([]string, len(summaryCSVHeader))
		for i, col := range summaryCSVHeader {
			line[i] = r[col]
		}
		_ = w.Write(line)
	}
	write(csvRow{"record": "citation", "note": SpreadsheetText(s.Citation)})
	write(csvRow{"record": "license", "note": SpreadsheetText(s.License)})
	if !s.HasData {
		write(csvRow{"record": "no_data", "note": SpreadsheetText(text("reports.no_data"))})
	}
	for _, c := range s.Crossings {
		place := csvRow{"crossing_name": SpreadsheetText(c.Name), "crossing": c.Slug, "country_code": crossingCountry}
		for _, d := range c.Days {
			for _, dir := range Directions {
				r := place.with(csvRow{"record": "day", "date": d.Date.String(), "state": stateText(d.State),
					"hours_closed": FormatNumber(d.HoursClosed), "hours_restricted": FormatNumber(d.HoursRestricted),
					"direction": string(dir), "verified": strconv.FormatBool(d.Verified)})
				if dir == ToAfghanistan {
					r["trucks"] = intText(d.ToAfghanistan)
				} else {
					r["trucks"] = intText(d.ToPakistan)
				}
				write(r)
			}
		}
		for _, cat := range c.Categories {
			write(place.with(csvRow{"record": "category", "direction": string(cat.Direction), "category": cat.Category,
				"trucks": strconv.Itoa(cat.Trucks), "baseline_trucks": numberText(cat.BaselineTrucks),
				"change_percent": numberText(cat.ChangePercent)}))
		}
		for _, e := range c.Closures {
			r := place.with(csvRow{"record": "closure", "date": e.Start.String(), "end_date": e.End.String(),
				"state": e.Status, "reason": deref0(e.Reason)})
			if v := e.TradeValueForegoneUSD; v != nil {
				r["value_low_usd"], r["value_central_usd"], r["value_high_usd"] = FormatNumber(v.Low), FormatNumber(v.Central), FormatNumber(v.High)
			}
			if e.TrucksForegone != nil {
				r["trucks"] = FormatNumber(e.TrucksForegone.Central)
			}
			write(r)
		}
	}
	w.Flush()
	return w.Error()
}

// with returns a copy of r with the columns of more added.
func (r csvRow) with(more csvRow) csvRow {
	out := csvRow{}
	for k, v := range r {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

func numberText(p *float64) string {
	if p == nil {
		return ""
	}
	return FormatNumber(*p)
}

func deref0(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// SpreadsheetText neutralises a text cell that a spreadsheet would run as
// a formula (starting with =, +, -, @, a tab or a carriage return) by
// putting an apostrophe before it. Numbers are never passed through it.
func SpreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
