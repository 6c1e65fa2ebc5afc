package app

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"borderflow/models"
)

// rangeRules are what a date-range query of one crossing may ask for.
type rangeRules struct {
	Today       models.Date // today in the crossing's time zone
	RecordsFrom models.Date // the crossing's first day of records
	DefaultDays int         // the range when from and to are absent ends today and is this long
	Formats     []string    // the allowed values of format; the first is the default
}

// rangeQuery is a parsed and checked from/to/format query.
type rangeQuery struct {
	Range  models.DateRange
	Format string
}

// parseRangeQuery reads from, to (YYYY-MM-DD) and format from q. Absent or
// empty values take defaults: to is today, from is DefaultDays before to,
// though never before RecordsFrom. A value that cannot be read, a range
// reversed or too long, a day before RecordsFrom or after tomorrow (a client
// a zone ahead may already live in it) is a 400 naming the parameter.
// Other parameters are ignored, so that clients may add their own.
func parseRangeQuery(q url.Values, rules rangeRules) (rangeQuery, error) {
	fields := map[string]string{}
	for _, name := range []string{"from", "to", "format"} {
		if n := len(q[name]); n > 1 {
			fields[name] = fmt.Sprintf("%s is given %d times; give it once", name, n)
		}
	}
	var r models.DateRange
	given := map[string]bool{}
	for name, day := range map[string]*models.Date{"from": &r.From, "to": &r.To} {
		v := q.Get(name)
		if v == "" || fields[name] != "" {
			continue
		}
		d, err := models.ParseDate(v)
		if err != nil {
			fields[name] = fmt.Sprintf("%s is not a date in the form YYYY-MM-DD", quoteValue(v))
			continue
		}
		*day, given[name] = d, true
	}
	format := q.Get("format")
	if format == "" {
		format = rules.Formats[0]
	} else if !slices.Contains(rules.Formats, format) && fields["format"] == "" {
		fields["format"] = fmt.Sprintf("format %s is not supported; use %s", quoteValue(format), strings.Join(rules.Formats, " or "))
	}
	if len(fields) > 0 {
		return rangeQuery{}, badRequest(fields)
	}

	if !given["to"] {
		r.To = rules.Today
	}
	if !given["from"] {
		r.From = r.To.AddDays(1 - rules.DefaultDays)
		if r.From.Before(rules.RecordsFrom) && !r.To.Before(rules.RecordsFrom) {
			r.From = rules.RecordsFrom
		}
	}
	tomorrow := rules.Today.AddDays(1)
	for name, day := range map[string]models.Date{"from": r.From, "to": r.To} {
		switch {
		case name == "from" && !given[name]:
			// A default: when it is out of bounds, so is to, which says why.
		case day.Before(rules.RecordsFrom):
			fields[name] = fmt.Sprintf("%s (%s) is before %s, the first day of records at this crossing", name, day, rules.RecordsFrom)
		case day.After(tomorrow):
			fields[name] = fmt.Sprintf("%s (%s) is after tomorrow (%s) in the crossing's time zone; there are no records of later days", name, day, tomorrow)
		}
	}
	if len(fields) > 0 {
		return rangeQuery{}, badRequest(fields)
	}
	if err := r.Validate(); err != nil {
		return rangeQuery{}, badRequest(map[string]string{"from": err.Error()})
	}
	return rangeQuery{Range: r, Format: format}, nil
}

// maxQuotedValue bounds how much of a rejected value a message repeats.
const maxQuotedValue = 40

// quoteValue puts a value a client sent in single quotes for a message,
// cut short when long, so that the message names it without echoing a flood.
func quoteValue(v string) string {
	if len(v) > maxQuotedValue {
		cut := maxQuotedValue
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
	return "'" + strings.ToValidUTF8(v, "\uFFFD") + "'"
}

// requestError is a client error with a specific message and, for bad
// parameters, one message per parameter; handleError renders it in the
// API's error shape.
type requestError struct {
	status  int
	message string
	fields  map[string]string
}

func (e *requestError) Error() string { return e.message }

// badRequest is a 400 naming each bad parameter; its message is theirs
// joined, so that a client reading only the message still learns all.
func badRequest(fields map[string]string) *requestError {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	messages := make([]string, len(names))
	for i, name := range names {
		messages[i] = fields[name]
	}
	return &requestError{status: http.StatusBadRequest, message: strings.Join(messages, "; "), fields: fields}
}
