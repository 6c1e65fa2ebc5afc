package models

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// ISOWeek is a week of the ISO 8601 calendar: Monday to Sunday, numbered
// within the year that holds its Thursday.
type ISOWeek struct {
	Year, Week int
}

// IsZero reports whether w is unset.
func (w ISOWeek) IsZero() bool { return w.Year == 0 }

var isoWeekPattern = regexp.MustCompile(`^([0-9]{4})-W([0-9]{2})$`)

// ParseISOWeek reads a week written YYYY-Www (2026-W47). A week number the
// year does not have (00, 54, or 53 in a 52-week year) is refused as a
// *ValidationError on the field "week", as is anything else.
func ParseISOWeek(s string) (ISOWeek, error) {
	m := isoWeekPattern.FindStringSubmatch(s)
	if m == nil {
		return ISOWeek{}, &ValidationError{Fields: []FieldError{{Field: "week", Code: "week_format",
			Params: map[string]any{"Value": s}}}}
	}
	year, _ := strconv.Atoi(m[1])
	week, _ := strconv.Atoi(m[2])
	if weeks := WeeksInYear(year); week < 1 || week > weeks {
		return ISOWeek{}, &ValidationError{Fields: []FieldError{{Field: "week", Code: "week_range",
			Params: map[string]any{"Value": s, "Year": year, "Weeks": weeks}}}}
	}
	return ISOWeek{Year: year, Week: week}, nil
}

// WeeksInYear is 52 or 53: the number of ISO weeks of year.
func WeeksInYear(year int) int {
	// 28 December is always in the year's last week.
	_, w := time.Date(year, time.December, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// ISOWeekOf returns the week that holds the day d.
func ISOWeekOf(d Date) ISOWeek {
	y, w := d.t.ISOWeek()
	return ISOWeek{Year: y, Week: w}
}

// String writes the week as YYYY-Www.
func (w ISOWeek) String() string { return fmt.Sprintf("%04d-W%02d", w.Year, w.Week) }

// Monday is the week's first day.
func (w ISOWeek) Monday() Date {
	// The week holding 4 January is week 1.
	jan4 := NewDate(w.Year, time.January, 4)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	return jan4.AddDays(-offset + 7*(w.Week-1))
}

// Range is the week's seven days, Monday to Sunday.
func (w ISOWeek) Range() DateRange {
	m := w.Monday()
	return DateRange{From: m, To: m.AddDays(6)}
}

// Previous is the week before w.
func (w ISOWeek) Previous() ISOWeek { return ISOWeekOf(w.Monday().AddDays(-7)) }

// Before reports whether w is earlier than v.
func (w ISOWeek) Before(v ISOWeek) bool { return w.Monday().Before(v.Monday()) }

// LastCompleteWeek is the latest week that is over at the instant now in
// loc: the week before the one now falls in.
func LastCompleteWeek(now time.Time, loc *time.Location) ISOWeek {
	return ISOWeekOf(DateOf(now, loc)).Previous()
}

// CheckWeekOver refuses a week that has not ended in loc by now (the
// current week or a later one), as a *ValidationError on "week".
func CheckWeekOver(w ISOWeek, now time.Time, loc *time.Location) error {
	if !w.Before(ISOWeekOf(DateOf(now, loc))) {
		return &ValidationError{Fields: []FieldError{{Field: "week", Code: "week_not_over",
			Params: map[string]any{"Value": w.String(), "Last": LastCompleteWeek(now, loc).String()}}}}
	}
	return nil
}
