package app

import (
	"encoding/json"
	"math"
	"testing"

	"borderflow/models"
)

// The figures answer is encoded by hand for speed; it must be byte for byte
// what encoding/json makes of the same values, awkward ones included.
func TestEncodeFiguresJSONMatchesEncodingJSON(t *testing.T) {
	number := func(v float64) *float64 { return &v }
	day := models.NewDate(2026, 11, 26)
	rows := []models.FigureRow{
		{Day: day, Direction: models.ToAfghanistan, CategoryCode: "cement", Loaded: true, Regime: "bilateral",
			Trucks: 90, Tonnes: number(3600), ValueUSD: number(225000.25), Verified: true},
		{Day: day.AddDays(1), Direction: models.ToPakistan, CategoryCode: "empty", Regime: "transit"},
		{Day: day, Direction: models.ToPakistan, CategoryCode: `a"b\c<d>&é` + "\u2028\x01", Trucks: 0,
			Tonnes: number(0), ValueUSD: number(12345678901234.56)},
		{Day: day, Direction: models.ToPakistan, CategoryCode: "x", Tonnes: number(1e-7), ValueUSD: number(3e21)},
		{Day: day, Direction: models.ToPakistan, CategoryCode: "y", Tonnes: number(0.1), ValueUSD: number(-2.5)},
	}
	r := models.DateRange{From: day, To: day.AddDays(1)}
	for _, n := range []int{0, 1, len(rows)} {
		figures := make([]apiFigure, n)
		for i, f := range rows[:n] {
			figures[i] = apiFigure{Date: f.Day, Direction: string(f.Direction), Category: f.CategoryCode, Loaded: f.Loaded,
				Regime: string(f.Regime), Trucks: f.Trucks, Tonnes: f.Tonnes, ValueUSD: f.ValueUSD, Verified: f.Verified}
		}
		want, err := json.Marshal(struct {
			Crossing string      `json:"crossing"`
			From     models.Date `json:"from"`
			To       models.Date `json:"to"`
			Unit     string      `json:"unit"`
			Figures  []apiFigure `json:"figures"`
		}{"torkham", r.From, r.To, unitLoadedTrucks, figures})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got := encodeFiguresJSON("torkham", r, rows[:n]); string(got) != string(want) {
			t.Errorf("%d rows:\n got %s\nwant %s", n, got, want)
		}
	}
}

// A NaN, which a PostgreSQL numeric column can hold, is sent as null
// rather than breaking the JSON.
func TestEncodeFiguresJSONSendsNaNAsNull(t *testing.T) {
	nan := math.NaN()
	day := models.NewDate(2026, 11, 26)
	body := encodeFiguresJSON("torkham", models.DateRange{From: day, To: day},
		[]models.FigureRow{{Day: day, Direction: models.ToPakistan, CategoryCode: "coal", Tonnes: &nan}})
	var decoded struct {
		Figures []struct{ Tonnes *float64 } `json:"figures"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	if len(decoded.Figures) != 1 || decoded.Figures[0].Tonnes != nil {
		t.Errorf("tonnes: got %+v, want null", decoded.Figures)
	}
}
