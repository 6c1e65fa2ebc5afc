package models_test

import (
	"math"
	"strings"
	"testing"

	"borderflow/models"
)

// testRules are Torkham's rules on 26 November 2026 with three categories.
func testRules() models.FigureRules {
	return models.FigureRules{
		Crossing: models.Crossing{ID: 1, Slug: "torkham", TimeZone: "Asia/Karachi", RecordsFrom: models.NewDate(2020, 1, 1)},
		Today:    models.NewDate(2026, 11, 26),
		Categories: map[string]models.CargoCategory{
			"cement":   {ID: 5, Code: "cement", Loaded: true, ValuePerTruckUSD: 2500},
			"medicine": {ID: 8, Code: "medicine", Loaded: true, ValuePerTruckUSD: 40000},
			"empty":    {ID: 14, Code: "empty", Loaded: false},
		},
		Limits: map[models.Direction]int{models.ToAfghanistan: 1000, models.ToPakistan: 1000},
	}
}

func ptr(v float64) *float64 { return &v }

// codes lists "field code" of each error, warnings marked with a "!".
func codes(errs []models.FieldError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Field + " " + e.Code
		if e.IsWarning() {
			out[i] += "!"
		}
	}
	return out
}

func TestCheckFigureNamesFieldAndRule(t *testing.T) {
	r := testRules()
	ok := models.FigureInput{Direction: models.ToAfghanistan, Category: "cement", Trucks: 90, Tonnes: ptr(3600), ValueUSD: ptr(225000)}
	cases := []struct {
		name string
		mod  func(f *models.FigureInput)
		want []string
	}{
		{"a good figure", func(*models.FigureInput) {}, nil},
		{"no tonnes or value", func(f *models.FigureInput) { f.Tonnes, f.ValueUSD = nil, nil }, nil},
		{"transit regime", func(f *models.FigureInput) { f.Regime = models.RegimeTransit }, nil},
		{"negative trucks", func(f *models.FigureInput) { f.Trucks = -1 }, []string{"c.trucks negative"}},
		{"huge trucks", func(f *models.FigureInput) { f.Trucks = 100_001; f.ValueUSD = nil }, []string{"c.trucks too_large"}},
		{"most trucks allowed", func(f *models.FigureInput) { f.Trucks = 100_000; f.ValueUSD = nil }, nil},
		{"unknown category", func(f *models.FigureInput) { f.Category = "uranium" }, []string{"c.category unknown_category"}},
		{"unknown direction", func(f *models.FigureInput) { f.Direction = "to_iran" }, []string{"c.direction unknown_direction"}},
		{"unknown regime", func(f *models.FigureInput) { f.Regime = "smuggled" }, []string{"c.regime unknown_regime"}},
		{"negative tonnes", func(f *models.FigureInput) { f.Tonnes = ptr(-0.5) }, []string{"c.tonnes negative"}},
		{"tonnes not a number", func(f *models.FigureInput) { f.Tonnes = ptr(math.NaN()) }, []string{"c.tonnes not_number"}},
		{"infinite value", func(f *models.FigureInput) { f.ValueUSD = ptr(math.Inf(1)) }, []string{"c.value_usd not_number"}},
		{"tonnes too precise", func(f *models.FigureInput) { f.Tonnes = ptr(3600.25) }, []string{"c.tonnes too_many_decimals"}},
		{"cents are fine", func(f *models.FigureInput) { f.ValueUSD = ptr(225000.15) }, nil},
		{"huge value", func(f *models.FigureInput) { f.ValueUSD = ptr(2e12) }, []string{"c.value_usd too_large"}},
		{"value per truck far too low", func(f *models.FigureInput) { f.ValueUSD = ptr(90 * 400) }, []string{"c.value_usd value_out_of_range!"}},
		{"value per truck far too high", func(f *models.FigureInput) { f.ValueUSD = ptr(90 * 13000) }, []string{"c.value_usd value_out_of_range!"}},
		{"value without trucks", func(f *models.FigureInput) { f.Trucks = 0 }, []string{"c.value_usd value_out_of_range!"}},
		{"empty trucks carry nothing", func(f *models.FigureInput) { f.Category = "empty" }, []string{"c.tonnes empty_has_load", "c.value_usd empty_has_load"}},
		{"empty trucks with zero load", func(f *models.FigureInput) { f.Category, f.Tonnes, f.ValueUSD = "empty", ptr(0), ptr(0) }, nil},
		{"everything wrong at once", func(f *models.FigureInput) { f.Category, f.Trucks, f.Tonnes = "x", -3, ptr(-1) },
			[]string{"c.category unknown_category", "c.trucks negative", "c.tonnes negative"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := ok
			c.mod(&f)
			got := codes(r.CheckFigure("c", f))
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestValueFlagCarriesTheRangeForTheMessage(t *testing.T) {
	errs := testRules().CheckFigure("c", models.FigureInput{Direction: models.ToAfghanistan, Category: "cement", Trucks: 10, ValueUSD: ptr(1_000_000)})
	if len(errs) != 1 || errs[0].Params["PerTruck"] != int64(100000) || errs[0].Params["Min"] != int64(500) || errs[0].Params["Max"] != int64(12500) {
		t.Fatalf("flag = %+v", errs)
	}
}

func TestCheckDayRefusesFutureAndBeforeRecords(t *testing.T) {
	r := testRules()
	for _, c := range []struct {
		day  models.Date
		want string
	}{
		{models.NewDate(2026, 11, 26), ""},
		{models.NewDate(2020, 1, 1), ""},
		{models.NewDate(2026, 11, 27), "future_date"},
		{models.NewDate(2019, 12, 31), "before_records"},
		{models.Date{}, "required"},
	} {
		got := ""
		if fe := r.CheckDay(c.day); fe != nil {
			got = fe.Code
			if fe.Field != "date" {
				t.Errorf("%s: field %q", c.day, fe.Field)
			}
		}
		if got != c.want {
			t.Errorf("CheckDay(%s) = %q, want %q", c.day, got, c.want)
		}
	}
}

func TestOverLimitCountsLoadedTrucksPerDirection(t *testing.T) {
	r := testRules()
	figs := []models.FigureInput{
		{Direction: models.ToAfghanistan, Category: "cement", Trucks: 700},
		{Direction: models.ToAfghanistan, Category: "medicine", Trucks: 301},
		{Direction: models.ToPakistan, Category: "cement", Trucks: 400},
		{Direction: models.ToPakistan, Category: "empty", Trucks: 900}, // empty trucks are not loaded
	}
	got := r.OverLimit(r.LoadedTotals(figs))
	if len(got) != 1 || got[0].Field != "totals.to_afghanistan" || got[0].Code != "over_limit" ||
		got[0].Params["Total"] != 1001 || got[0].Params["Limit"] != 1000 {
		t.Fatalf("OverLimit = %+v", got)
	}
}

func TestValidationErrorListsEachFieldInEnglish(t *testing.T) {
	ve := &models.ValidationError{Fields: []models.FieldError{
		{Field: "date", Code: "future_date", Params: map[string]any{"Today": "2026-11-26"}},
		{Field: "figures[0].trucks", Code: "negative"},
	}}
	if got, want := ve.Error(), "invalid input: date: future_date (Today=2026-11-26); figures[0].trucks: negative"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
