package app

import (
	"testing"
	"time"
)

// Known days of the Solar Hijri calendar, from the Afghan and Iranian
// official calendars, across leap years and the year's turn.
func TestSolarHijri(t *testing.T) {
	for _, c := range []struct {
		gregorian   string
		year, month int
		day         int
	}{
		{"1979-02-11", 1357, 11, 22},
		{"2021-08-15", 1400, 5, 24},
		{"2024-03-19", 1402, 12, 29},
		{"2024-03-20", 1403, 1, 1},   // Nowruz after the leap year 1402→1403
		{"2025-03-20", 1403, 12, 30}, // 1403 is leap: Hut/Esfand has 30 days
		{"2025-03-21", 1404, 1, 1},
		{"2025-09-22", 1404, 6, 31},
		{"2025-09-23", 1404, 7, 1},
		{"2026-03-21", 1405, 1, 1},
		{"2026-11-27", 1405, 9, 6},
		{"2026-12-31", 1405, 10, 10},
	} {
		g, err := time.Parse(time.DateOnly, c.gregorian)
		if err != nil {
			t.Fatal(err)
		}
		if y, m, d := solarHijri(g); y != c.year || m != c.month || d != c.day {
			t.Errorf("%s: got %d-%02d-%02d, want %d-%02d-%02d", c.gregorian, y, m, d, c.year, c.month, c.day)
		}
	}
}

// Every day of 1990–2050 follows the day before: no gap, no repeat.
func TestSolarHijriIsContinuous(t *testing.T) {
	day := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	py, pm, pd := solarHijri(day)
	for day.Year() < 2051 {
		day = day.AddDate(0, 0, 1)
		y, m, d := solarHijri(day)
		next := (y == py && m == pm && d == pd+1) || (y == py && m == pm+1 && d == 1) || (y == py+1 && m == 1 && d == 1 && pm == 12)
		if !next {
			t.Fatalf("%s: %d-%d-%d follows %d-%d-%d", day.Format(time.DateOnly), y, m, d, py, pm, pd)
		}
		if pm == 12 && m == 1 && pd != 29 && pd != 30 {
			t.Fatalf("year %d ended on day %d of its last month", py, pd)
		}
		py, pm, pd = y, m, d
	}
}
