package app

import (
	"math"

	"borderflow/models"
)

// Charts are SVG drawn on the server: the handlers compute the geometry
// here, the templates only write it out. Colours are SVG fill attributes,
// which the content security policy allows (unlike inline styles).

// chartSeries is one stacked layer of a bar chart: a cargo category, say.
type chartSeries struct {
	Key, Label, Fill string
}

// chartSegment is one series' part of one bar.
type chartSegment struct {
	Y, H   float64
	Fill   string
	Trucks int
}

// chartBar is one day.
type chartBar struct {
	X, W     float64
	Day      models.Date
	Total    int
	Reported bool
	Segments []chartSegment
}

// chartTick is a labelled value on the vertical axis.
type chartTick struct {
	Y     float64
	Value int
}

// barChart is a daily stacked bar chart, sized in SVG user units.
type barChart struct {
	Width, Height float64
	Top, Bottom   float64 // the plot area's vertical extent
	Left          float64 // room for the axis labels
	Bars          []chartBar
	Ticks         []chartTick
	Series        []chartSeries
	Max           int
}

// dayValues gives, for one day, the trucks of each series and whether the day was reported.
type dayValues func(day models.Date) (trucks map[string]int, reported bool)

// newBarChart lays out one bar per day, stacked in the order of series,
// scaled to a rounded maximum with a few ticks.
func newBarChart(days []models.Date, series []chartSeries, values dayValues, width, height, left float64) barChart {
	ch := barChart{Width: width, Height: height, Top: 6, Bottom: height - 4, Left: left, Series: series}
	totals := make([]map[string]int, len(days))
	reported := make([]bool, len(days))
	for i, d := range days {
		totals[i], reported[i] = values(d)
		sum := 0
		for _, s := range series {
			sum += totals[i][s.Key]
		}
		ch.Max = max(ch.Max, sum)
	}
	scaleMax := niceCeiling(ch.Max)
	plot := ch.Bottom - ch.Top
	slot := (width - left) / float64(max(len(days), 1))
	gap := math.Max(1, slot*0.15)
	for i, d := range days {
		bar := chartBar{X: tenth(left + float64(i)*slot + gap/2), W: tenth(slot - gap), Day: d, Reported: reported[i]}
		y := ch.Bottom
		for _, s := range series {
			n := totals[i][s.Key]
			if n <= 0 {
				continue
			}
			h := plot * float64(n) / float64(scaleMax)
			y -= h
			bar.Segments = append(bar.Segments, chartSegment{Y: tenth(y), H: tenth(h), Fill: s.Fill, Trucks: n})
			bar.Total += n
		}
		ch.Bars = append(ch.Bars, bar)
	}
	if left > 0 {
		for _, v := range []int{0, scaleMax / 2, scaleMax} {
			ch.Ticks = append(ch.Ticks, chartTick{Y: tenth(ch.Bottom - plot*float64(v)/float64(scaleMax)), Value: v})
		}
	}
	return ch
}

// tenth rounds a coordinate to a tenth of a user unit, far finer than a
// pixel, so that the page does not carry digits like 17.310000000000002.
func tenth(x float64) float64 { return math.Round(x*10) / 10 }

// niceCeiling rounds n up to 1, 2 or 5 times a power of ten, so that the
// axis reads in round numbers.
func niceCeiling(n int) int {
	if n <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, m := range []float64{1, 2, 5, 10} {
		if float64(n) <= m*p {
			return int(m * p)
		}
	}
	return int(10 * p)
}

// dayRange lists the days from first to last, inclusive.
func dayRange(first, last models.Date) []models.Date {
	var days []models.Date
	for d := first; !d.After(last); d = d.AddDays(1) {
		days = append(days, d)
	}
	return days
}

// categoryFills gives each seeded cargo category a colour that stays the
// same on every chart; categories added later share the neutral one.
var categoryFills = map[string]string{
	"fresh_produce": "#16a34a", "dry_fruit": "#a16207", "coal": "#374151", "minerals": "#78716c",
	"cement": "#94a3b8", "food_staples": "#ca8a04", "edible_oil": "#f59e0b", "medicine": "#dc2626",
	"aid": "#2563eb", "textiles": "#9333ea", "livestock": "#be123c", "transit": "#0891b2",
	"other": "#64748b", "empty": "#d1d5db",
}

const neutralFill = "#64748b"

func categoryFill(code string) string {
	if f, ok := categoryFills[code]; ok {
		return f
	}
	return neutralFill
}

// stateFills colour the status timeline; the bands also carry the state's
// name, so colour is never the only sign.
var stateFills = map[models.State]string{
	models.StateOpen: "#16a34a", models.StateClosed: "#b91c1c", models.StateRestricted: "#d97706",
}
