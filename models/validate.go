package models

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Severity says whether a FieldError refuses the input or only flags it.
type Severity int

// The severities: the zero value refuses, so that a FieldError made
// without thinking of severity is never waved through.
const (
	SeverityError Severity = iota
	SeverityWarning
)

// FieldError is one rule that one field of an input breaks. Field names the
// field as the caller sent it (a form cell such as
// "to_afghanistan.cement.bilateral.trucks", or "figures[3].trucks" from the
// API); Code names the rule ("negative", "future_date", …) and is what
// forms translate as validation.<code>; Params hold the values the message
// needs (Max, Limit, Today, …). A warning (Severity SeverityWarning, such as
// "value_out_of_range") is shown but does not stop a save.
type FieldError struct {
	Field    string
	Code     string
	Params   map[string]any
	Severity Severity
}

// IsWarning reports whether the error only flags the value.
func (e FieldError) IsWarning() bool { return e.Severity == SeverityWarning }

// String is the error in English, for logs and the command line.
func (e FieldError) String() string {
	s := e.Field + ": " + e.Code
	if len(e.Params) > 0 {
		keys := make([]string, 0, len(e.Params))
		for k := range e.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%v", k, e.Params[k])
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// ValidationError is every rule an input breaks, found at once so that a
// person can mend them all in one go. Fields are the refusals; Warnings
// the flags found on the way, which alone would not have stopped the save.
type ValidationError struct {
	Fields   []FieldError
	Warnings []FieldError
}

// Error lists "field: code" of each refusal, in English.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.String()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// newValidationError sorts errs into refusals and warnings; it returns nil
// when nothing is refused.
func newValidationError(errs []FieldError) *ValidationError {
	refusals, warnings := SplitWarnings(errs)
	if len(refusals) == 0 {
		return nil
	}
	return &ValidationError{Fields: refusals, Warnings: warnings}
}

// SplitWarnings separates the refusals from the warnings, keeping the order.
func SplitWarnings(errs []FieldError) (refusals, warnings []FieldError) {
	for _, e := range errs {
		if e.IsWarning() {
			warnings = append(warnings, e)
		} else {
			refusals = append(refusals, e)
		}
	}
	return refusals, warnings
}

// Bounds of one figure. No crossing moves 100,000 trucks of one category in
// a day (Torkham's record is about 1,600 of all kinds), so a larger number
// is a typing error, not a busy day; tonnes and value are bounded at what
// 100,000 heavy trucks could carry, well inside the columns' precision.
const (
	MaxTrucksPerFigure = 100_000
	MaxTonnesPerFigure = 10_000_000
	MaxValuePerFigure  = 1_000_000_000_000
	// TonnesDecimals and ValueDecimals are the decimals the columns keep
	// (numeric(12,1) and numeric(16,2) on PostgreSQL); more are refused
	// rather than rounded away without a word.
	TonnesDecimals = 1
	ValueDecimals  = 2
)

// A declared value per truck outside [valueFlagLow, valueFlagHigh] times the
// category's assumed value per truck is flagged as a likely typing error
// (an extra zero, or dollars entered as thousands).
const (
	valueFlagLow  = 0.2
	valueFlagHigh = 5.0
)

// MaxTextLength bounds a note or a reason for an edit, in characters.
const MaxTextLength = 1000

// FigureInput is one figure as a form, the API or an import gives it,
// before validation. Regime "" means bilateral. Field names where the
// figure came from, for the field of its errors ("figures[3]" or a form
// cell); SaveDay uses "figures[i]" when it is empty.
type FigureInput struct {
	Field     string
	Direction Direction
	Category  string
	Regime    Regime
	Trucks    int
	Tonnes    *float64
	ValueUSD  *float64
}

// key is the figure's place in a day: its unique key without crossing and day.
func (f FigureInput) key() figureKey {
	return figureKey{Direction: f.Direction, Category: f.Category, Regime: f.regime()}
}

// regime is the figure's regime, bilateral when none was given.
func (f FigureInput) regime() Regime {
	if f.Regime == "" {
		return RegimeBilateral
	}
	return f.Regime
}

// figureKey identifies a figure within a crossing-day.
type figureKey struct {
	Direction Direction
	Category  string
	Regime    Regime
}

// FigureRules are the rules the figures of one crossing are checked
// against: the crossing (its time zone and first day of records), its
// local today, the cargo categories by code, and the plausibility limit of
// loaded trucks a day per direction.
type FigureRules struct {
	Crossing   Crossing
	Today      Date
	Categories map[string]CargoCategory
	Limits     map[Direction]int
}

// LoadFigureRules reads the rules for crossing c as of the instant now.
func LoadFigureRules(ctx context.Context, db *gorm.DB, c Crossing, now time.Time) (FigureRules, error) {
	categories, err := CargoCategories(ctx, db)
	if err != nil {
		return FigureRules{}, err
	}
	var limits []PlausibilityLimit
	if err := db.WithContext(ctx).Where("crossing_id = ?", c.ID).Find(&limits).Error; err != nil {
		return FigureRules{}, fmt.Errorf("read plausibility limits of %s: %w", c.Slug, err)
	}
	r := FigureRules{
		Crossing:   c,
		Today:      DateOf(now, c.Location()),
		Categories: make(map[string]CargoCategory, len(categories)),
		Limits:     make(map[Direction]int, len(limits)),
	}
	for _, cat := range categories {
		r.Categories[cat.Code] = cat
	}
	for _, l := range limits {
		r.Limits[l.Direction] = l.MaxTrucks
	}
	return r, nil
}

// CheckDay refuses a missing day, a day after the crossing's local today
// and a day before its records begin.
func (r FigureRules) CheckDay(day Date) *FieldError {
	switch {
	case day.IsZero():
		return &FieldError{Field: "date", Code: "required"}
	case day.After(r.Today):
		return &FieldError{Field: "date", Code: "future_date", Params: map[string]any{"Date": day.String(), "Today": r.Today.String()}}
	case day.Before(r.Crossing.RecordsFrom):
		return &FieldError{Field: "date", Code: "before_records", Params: map[string]any{"Date": day.String(), "RecordsFrom": r.Crossing.RecordsFrom.String()}}
	}
	return nil
}

// CheckFigure checks one figure; field prefixes the names of its errors
// (field + ".trucks" and so on). A declared value per truck far outside
// the category's usual range comes back as a warning.
func (r FigureRules) CheckFigure(field string, f FigureInput) []FieldError {
	var errs []FieldError
	add := func(sub, code string, params map[string]any) {
		errs = append(errs, FieldError{Field: field + "." + sub, Code: code, Params: params})
	}
	if f.Direction != ToAfghanistan && f.Direction != ToPakistan {
		add("direction", "unknown_direction", map[string]any{"Value": string(f.Direction)})
	}
	category, known := r.Categories[f.Category]
	if !known {
		add("category", "unknown_category", map[string]any{"Value": f.Category})
	}
	if reg := f.regime(); reg != RegimeBilateral && reg != RegimeTransit {
		add("regime", "unknown_regime", map[string]any{"Value": string(reg)})
	}
	switch {
	case f.Trucks < 0:
		add("trucks", "negative", nil)
	case f.Trucks > MaxTrucksPerFigure:
		add("trucks", "too_large", map[string]any{"Max": MaxTrucksPerFigure})
	}
	valueOK := false
	for _, m := range []struct {
		sub      string
		v        *float64
		max      float64
		decimals int
	}{{"tonnes", f.Tonnes, MaxTonnesPerFigure, TonnesDecimals}, {"value_usd", f.ValueUSD, MaxValuePerFigure, ValueDecimals}} {
		if m.v == nil {
			continue
		}
		v, before := *m.v, len(errs)
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			add(m.sub, "not_number", nil)
		case v < 0:
			add(m.sub, "negative", nil)
		case v > m.max:
			add(m.sub, "too_large", map[string]any{"Max": int64(m.max)})
		case !hasAtMostDecimals(v, m.decimals):
			add(m.sub, "too_many_decimals", map[string]any{"Decimals": m.decimals})
		case known && !category.Loaded && v > 0:
			// Empty trucks carry nothing: a weight or value is in the wrong row.
			add(m.sub, "empty_has_load", nil)
		}
		if m.sub == "value_usd" {
			valueOK = len(errs) == before
		}
	}
	// A value already refused is not flagged as well.
	if valueOK && known && category.Loaded && category.ValuePerTruckUSD > 0 && *f.ValueUSD > 0 && f.Trucks >= 0 {
		low, high := valueFlagLow*category.ValuePerTruckUSD, valueFlagHigh*category.ValuePerTruckUSD
		perTruck := math.Inf(1)
		if f.Trucks > 0 {
			perTruck = *f.ValueUSD / float64(f.Trucks)
		}
		if perTruck < low || perTruck > high {
			params := map[string]any{"Min": int64(math.Round(low)), "Max": int64(math.Round(high)), "Usual": int64(math.Round(category.ValuePerTruckUSD))}
			if f.Trucks > 0 {
				params["PerTruck"] = int64(math.Round(perTruck))
			}
			errs = append(errs, FieldError{Field: field + ".value_usd", Code: "value_out_of_range", Params: params, Severity: SeverityWarning})
		}
	}
	return errs
}

// hasAtMostDecimals reports whether v has no more than n decimals, allowing
// for the binary representation of decimal fractions.
func hasAtMostDecimals(v float64, n int) bool {
	scaled := v * math.Pow10(n)
	return math.Abs(scaled-math.Round(scaled)) <= 1e-6*math.Max(1, math.Abs(scaled))
}

// roundTo rounds v to n decimals, so that what is stored and compared is
// the decimal that was typed, on both databases.
func roundTo(v float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(v*p) / p
}

// LoadedTotals adds up the loaded trucks of figs per direction; empty
// trucks and unknown categories are left out.
func (r FigureRules) LoadedTotals(figs []FigureInput) map[Direction]int {
	totals := map[Direction]int{}
	for _, f := range figs {
		if cat, ok := r.Categories[f.Category]; ok && cat.Loaded {
			totals[f.Direction] += f.Trucks
		}
	}
	return totals
}

// OverLimit returns an "over_limit" error for each direction whose loaded
// trucks exceed the crossing's plausibility limit: such a day needs a
// supervisor's confirmation. Its field is "totals.<direction>".
func (r FigureRules) OverLimit(totals map[Direction]int) []FieldError {
	var errs []FieldError
	for _, d := range Directions {
		if limit, ok := r.Limits[d]; ok && totals[d] > limit {
			errs = append(errs, FieldError{Field: "totals." + string(d), Code: "over_limit",
				Params: map[string]any{"Direction": string(d), "Total": totals[d], "Limit": limit}})
		}
	}
	return errs
}

// checkText refuses a free text (a note, a reason) that is too long, not
// UTF-8, or holds control characters other than line breaks and tabs
// (PostgreSQL refuses a NUL in text, and none belongs in a note). Markup is
// allowed: it is stored as typed and escaped wherever it is shown.
func checkText(field, s string) *FieldError {
	switch {
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}):
		return &FieldError{Field: field, Code: "invalid_text"}
	case utf8.RuneCountInString(s) > MaxTextLength:
		return &FieldError{Field: field, Code: "too_long", Params: map[string]any{"Max": MaxTextLength}}
	}
	return nil
}
