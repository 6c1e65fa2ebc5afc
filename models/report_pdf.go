package models

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"

	"borderflow"
)

// The PDF is A4, in millimetres, laid out from the top of the page down.
const (
	pageWidth, pageHeight = 210.0, 297.0
	marginLeft            = 18.0
	marginRight           = pageWidth - 18.0
	contentBottom         = 30.0 // the footer (citation and licence) lives below
)

// reportFontFiles are the faces of the PDF: DejaVu Sans carries Latin and
// Arabic script (Urdu, Pashto, Dari) in one face, with the presentation
// forms that let a reader copy shaped Arabic text back out of the PDF.
var reportFontFiles = map[canvas.FontStyle]string{
	canvas.FontRegular: "static/fonts/DejaVuSans.ttf",
	canvas.FontBold:    "static/fonts/DejaVuSans-Bold.ttf",
}

var (
	colourToAfghanistan = canvas.Hex("#1d4ed8")
	colourToPakistan    = canvas.Hex("#c2410c")
	colourClosed        = canvas.Hex("#b91c1c")
	colourRestricted    = canvas.Hex("#d97706")
	colourMuted         = canvas.Hex("#475569")
	colourRule          = canvas.Hex("#cbd5e1")
)

// loadReportFonts reads the embedded faces into a family.
func loadReportFonts() (*canvas.FontFamily, error) {
	family := canvas.NewFontFamily("report")
	// No ligatures: "fi" stays two letters when a reader copies the text.
	family.SetFeatures("liga=0,clig=0")
	for style, name := range reportFontFiles {
		b, err := borderflow.Files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read font %s: %w", name, err)
		}
		if err := family.LoadFont(b, 0, style); err != nil {
			return nil, fmt.Errorf("load font %s: %w", name, err)
		}
	}
	return family, nil
}

// pdfWriter lays text and shapes out down the pages, starting a new page
// when one is full.
type pdfWriter struct {
	r      *pdf.PDF
	ctx    *canvas.Context
	family *canvas.FontFamily
	text   func(string, ...any) string
	s      WeeklySummary
	y      float64 // the next line's top, from the top of the page
	pages  int
}

// writeSummaryPDF writes one or two A4 pages a crossing (after an
// overview page when the summary holds several), with real text.
func writeSummaryPDF(w io.Writer, s WeeklySummary, text func(string, ...any) string) error {
	family, err := loadReportFonts()
	if err != nil {
		return err
	}
	r := pdf.New(w, pageWidth, pageHeight, nil)
	r.SetInfo(text("reports.title", "Week", s.Week), s.Citation, text("reports.license")+": "+s.License, "borderflow", "borderflow")
	r.SetLang("en")
	p := &pdfWriter{r: r, ctx: canvas.NewContext(r), family: family, text: text, s: s, pages: 1}
	p.start()
	switch {
	case !s.HasData:
		p.heading(text("reports.title_all", "Week", s.Week))
		p.subtitle()
		p.paragraph(text("reports.no_data"), 10, colourMuted)
	case len(s.Crossings) > 1:
		p.overview()
		for _, c := range s.Crossings {
			p.newPage()
			p.crossing(c)
		}
	default:
		for _, c := range s.Crossings {
			p.crossing(c)
		}
	}
	p.footer()
	return r.Close()
}

func (p *pdfWriter) start() { p.y = 18 }

func (p *pdfWriter) newPage() {
	p.footer()
	p.r.NewPage(pageWidth, pageHeight)
	p.pages++
	p.start()
}

// room starts a new page unless height millimetres are left.
func (p *pdfWriter) room(height float64) {
	if p.y+height > pageHeight-contentBottom {
		p.newPage()
	}
}

func (p *pdfWriter) face(size float64, bold bool, colour any) *canvas.FontFace {
	style := canvas.FontRegular
	if bold {
		style = canvas.FontBold
	}
	return p.family.Face(size, colour, style)
}

// draw writes one line of text with its top at top. A line holding Arabic
// script is set right to left, as a paragraph in Urdu, Pashto or Dari is.
func (p *pdfWriter) draw(x, top float64, face *canvas.FontFace, s string, align canvas.TextAlign) {
	if hasArabicScript(s) {
		s = "\u200f" + s // right-to-left mark: the paragraph's direction
	}
	line := canvas.NewTextLine(face, s, align)
	ascent := face.Metrics().Ascent
	p.ctx.DrawText(x, pageHeight-top-ascent, line)
}

func hasArabicScript(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

func (p *pdfWriter) heading(s string) {
	p.room(12)
	p.draw(marginLeft, p.y, p.face(16, true, canvas.Black), s, canvas.Left)
	p.y += 9
}

func (p *pdfWriter) section(s string) {
	p.room(14)
	p.y += 3
	p.draw(marginLeft, p.y, p.face(11.5, true, canvas.Black), s, canvas.Left)
	p.y += 6.5
}

func (p *pdfWriter) subtitle() {
	t := p.text
	s := t("reports.pdf_subtitle", "From", p.s.From.String(), "To", p.s.To.String(), "Revision", p.s.Revision,
		"Generated", pdfTime(p.s.GeneratedAt))
	p.paragraph(s, 8.5, colourMuted)
	p.y += 2
}

// paragraph writes text wrapped to the content width.
func (p *pdfWriter) paragraph(s string, size float64, colour any) {
	face := p.face(size, false, colour)
	width := marginRight - marginLeft
	box := canvas.NewTextBox(face, s, width, 0, canvas.Left, canvas.Top, nil)
	_, h := box.Size()
	p.room(h)
	p.ctx.DrawText(marginLeft, pageHeight-p.y, box)
	p.y += h + 1.5
}

// table writes rows of cells at the given column positions (a negative
// position aligns the cell's right edge there); the first row is the header.
func (p *pdfWriter) table(columns []float64, rows [][]string) {
	for i, row := range rows {
		p.room(5.2)
		face := p.face(8.5, i == 0, canvas.Black)
		for j, cell := range row {
			if j >= len(columns) {
				break
			}
			if x := columns[j]; x < 0 {
				p.draw(-x, p.y, face, cell, canvas.Right)
			} else {
				p.draw(x, p.y, face, cell, canvas.Left)
			}
		}
		p.y += 4.8
		if i == 0 {
			p.rule(p.y - 0.8)
		}
	}
	p.y += 1.5
}

func (p *pdfWriter) rule(top float64) {
	p.ctx.SetStrokeColor(colourRule)
	p.ctx.SetStrokeWidth(0.3)
	p.ctx.MoveTo(marginLeft, pageHeight-top)
	p.ctx.LineTo(marginRight, pageHeight-top)
	p.ctx.Stroke()
}

func (p *pdfWriter) rect(x, top, w, h float64, colour color.Color) {
	p.ctx.SetFillColor(colour)
	p.ctx.DrawPath(x, pageHeight-top-h, canvas.Rectangle(w, h))
}

// overview is the first page of a summary of several crossings: the
// totals of all of them and each crossing's line.
func (p *pdfWriter) overview() {
	t, s := p.text, p.s
	p.heading(t("reports.title_all", "Week", s.Week))
	p.subtitle()
	p.headline(s.Totals)
	p.section(t("reports.by_crossing"))
	rows := [][]string{{t("reports.crossing"), t("reports.to_afghanistan"), t("reports.to_pakistan"), t("reports.total"),
		t("reports.hours_closed"), t("reports.days_reported")}}
	for _, c := range s.Crossings {
		rows = append(rows, []string{c.Name, groupInt(c.Totals.ToAfghanistan), groupInt(c.Totals.ToPakistan),
			groupInt(c.Totals.Total), FormatNumber(c.Totals.HoursClosed),
			t("reports.of_days", "Count", c.Completeness.DaysReported, "Days", c.Completeness.Days)})
	}
	p.table([]float64{marginLeft, -90, -118, -138, -162, -marginRight}, rows)
	p.assumptions()
}

// headline writes the week's loaded trucks by direction against the baseline.
func (p *pdfWriter) headline(totals WeekTotals) {
	t := p.text
	rows := [][]string{{"", t("reports.loaded_trucks"), t("reports.baseline")},
		{t("reports.to_afghanistan"), groupInt(totals.ToAfghanistan), groupFloat(totals.BaselineToAfghanistan)},
		{t("reports.to_pakistan"), groupInt(totals.ToPakistan), groupFloat(totals.BaselineToPakistan)},
		{t("reports.total"), groupInt(totals.Total), groupFloat(totals.BaselineTotal)}}
	p.table([]float64{marginLeft, -100, -140}, rows)
	p.paragraph(t("reports.hours_line", "Closed", FormatNumber(totals.HoursClosed), "Restricted", FormatNumber(totals.HoursRestricted))+" "+
		t("reports.unit_note")+" "+t("reports.baseline_method", "Days", SummaryBaselineDays), 8, colourMuted)
}

// crossing writes one crossing's page(s).
func (p *pdfWriter) crossing(c CrossingWeek) {
	t := p.text
	p.heading(t("reports.title_crossing", "Crossing", c.Name, "Week", p.s.Week))
	p.subtitle()
	if !c.HasData {
		p.paragraph(t("reports.no_data"), 10, colourMuted)
	}
	p.headline(c.Totals)
	p.chart(c)
	p.section(t("reports.days"))
	rows := [][]string{{t("reports.date"), t("reports.state"), t("reports.hours_closed"), t("reports.to_afghanistan"),
		t("reports.to_pakistan"), t("reports.checked")}}
	for _, d := range c.Days {
		state := t("state.unknown")
		if d.State != nil {
			state = t("state." + string(*d.State))
		}
		check := t("reports.not_reported")
		if d.Reported {
			check = t("reports.provisional")
			if d.Verified {
				check = t("reports.verified")
			}
		}
		rows = append(rows, []string{d.Date.String() + " " + d.Date.Weekday().String()[:3], state, FormatNumber(d.HoursClosed),
			optionalGroupInt(d.ToAfghanistan), optionalGroupInt(d.ToPakistan), check})
	}
	p.table([]float64{marginLeft, 55, -110, -138, -163, 168}, rows)
	p.closures(c)
	p.section(t("reports.completeness"))
	k := c.Completeness
	p.paragraph(t("reports.completeness_line", "Reported", k.DaysReported, "Days", k.Days, "Verified", k.DaysVerified,
		"Provisional", k.DaysProvisional, "Missing", k.DaysMissing), 9, canvas.Black)
	if len(p.s.Crossings) == 1 {
		p.assumptions()
	}
}

// chart draws the week's loaded trucks a day, stacked by direction, with
// the hours closed and restricted as a strip under each day.
func (p *pdfWriter) chart(c CrossingWeek) {
	t := p.text
	p.section(t("reports.chart_title"))
	const height, strip = 38.0, 2.2
	p.room(height + 20)
	top := p.y + 5 // room for the tallest bar's label
	maxTotal := 1
	for _, d := range c.Days {
		if d.ToAfghanistan != nil {
			maxTotal = max(maxTotal, *d.ToAfghanistan+*d.ToPakistan)
		}
	}
	slot := (marginRight - marginLeft) / float64(len(c.Days))
	label := p.face(7.5, false, colourMuted)
	for i, d := range c.Days {
		x := marginLeft + float64(i)*slot + slot*0.2
		w := slot * 0.6
		base := top + height
		if d.ToAfghanistan != nil {
			ha := height * float64(*d.ToAfghanistan) / float64(maxTotal)
			hp := height * float64(*d.ToPakistan) / float64(maxTotal)
			p.rect(x, base-ha, w, ha, colourToAfghanistan)
			p.rect(x, base-ha-hp, w, hp, colourToPakistan)
			p.draw(x+w/2, base-ha-hp-3.5, label, groupInt(*d.ToAfghanistan+*d.ToPakistan), canvas.Center)
		} else {
			p.draw(x+w/2, base-4, label, t("reports.not_reported"), canvas.Center)
		}
		if d.HoursClosed > 0 {
			p.rect(x, base+0.8, w*math.Min(1, d.HoursClosed/24), strip, colourClosed)
		}
		if d.HoursRestricted > 0 {
			p.rect(x+w*math.Min(1, d.HoursClosed/24), base+0.8, w*math.Min(1, d.HoursRestricted/24), strip, colourRestricted)
		}
		p.draw(x+w/2, base+4, label, d.Date.Weekday().String()[:3]+" "+strconv.Itoa(d.Date.t.Day()), canvas.Center)
	}
	p.rule(top + height)
	p.y = top + height + 8.5
	legend := []struct {
		colour color.Color
		text   string
	}{{colourToAfghanistan, t("reports.to_afghanistan")}, {colourToPakistan, t("reports.to_pakistan")},
		{colourClosed, t("reports.closed_hours")}, {colourRestricted, t("reports.restricted_hours")}}
	x := marginLeft
	for _, l := range legend {
		p.rect(x, p.y+0.6, 3, 3, l.colour)
		p.draw(x+4.5, p.y, label, l.text, canvas.Left)
		x += 42
	}
	p.y += 6
}

// closures writes the loss model's episodes touching the week with their
// costs as ranges, or says why there are none.
func (p *pdfWriter) closures(c CrossingWeek) {
	t := p.text
	p.section(t("reports.closures"))
	switch c.CostsStatus {
	case CostsNoClosures:
		p.paragraph(t("reports.no_closures"), 9, canvas.Black)
		return
	case CostsNotComputed:
		p.paragraph(t("reports.costs_not_computed"), 9, canvas.Black)
		return
	}
	rows := [][]string{{t("reports.period"), t("reports.reason"), t("reports.trucks_foregone"), t("reports.value_foregone")}}
	for _, e := range c.Closures {
		period := e.Start.String() + " – " + e.End.String()
		if e.Ongoing {
			period += " " + t("reports.ongoing")
		}
		reason := t("reports.reason_unknown")
		if e.Reason != nil {
			reason = t("reason." + *e.Reason)
		}
		trucks, value := t("reports.insufficient_data"), ""
		if e.TrucksForegone != nil {
			r, v := e.TrucksForegone, e.TradeValueForegoneUSD
			trucks = groupInt(int(math.Round(r.Low))) + " – " + groupInt(int(math.Round(r.High)))
			value = dollars(v.Low) + " – " + dollars(v.High) + " (" + dollars(v.Central) + ")"
		}
		rows = append(rows, []string{period, reason, trucks, value})
	}
	p.table([]float64{marginLeft, 80, 112, 142}, rows)
	if c.Humanitarian != nil {
		p.paragraph(t("reports.humanitarian_line", "Trucks", FormatNumber(*c.Humanitarian)), 9, canvas.Black)
	}
	p.paragraph(t("reports.costs_note"), 8, colourMuted)
}

// assumptions writes the model version and the exchange rates used.
func (p *pdfWriter) assumptions() {
	t, a := p.text, p.s.Assumptions
	p.section(t("reports.assumptions"))
	var rates []string
	for _, r := range a.ExchangeRates {
		rates = append(rates, t("reports.rate", "Currency", r.Currency, "Units", FormatNumber(r.UnitsPerUSD), "AsOf", r.AsOf.String(), "Source", r.Source))
	}
	p.paragraph(t("reports.model_line", "Version", a.ModelVersion), 9, canvas.Black)
	for _, r := range rates {
		p.paragraph(r, 8.5, canvas.Black)
	}
	var values []string
	for _, c := range a.Categories {
		if c.ValuePerTruckUSD > 0 {
			values = append(values, c.Code+" "+dollars(c.ValuePerTruckUSD))
		}
	}
	p.paragraph(t("reports.values_line", "Values", strings.Join(values, ", ")), 8, colourMuted)
}

// footer writes the citation, licence and page number at the bottom.
func (p *pdfWriter) footer() {
	t := p.text
	face := p.face(7.5, false, colourMuted)
	p.rule(pageHeight - 24)
	p.draw(marginLeft, pageHeight-22, face, t("reports.cite_as", "Citation", p.s.Citation), canvas.Left)
	p.draw(marginLeft, pageHeight-18, face, t("reports.license")+": "+p.s.License, canvas.Left)
	p.draw(marginRight, pageHeight-14, face, t("reports.page", "Page", p.pages), canvas.Right)
}

// groupInt writes n with a comma between thousands: 12,345.
func groupInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func optionalGroupInt(n *int) string {
	if n == nil {
		return "–"
	}
	return groupInt(*n)
}

// groupFloat writes a baseline to one decimal with grouped thousands, or a dash.
func groupFloat(x *float64) string {
	if x == nil {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(*x), 'f', 1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.Atoi(whole)
	s = groupInt(n) + "." + frac
	if *x < 0 {
		s = "-" + s
	}
	return s
}

// dollars writes whole US dollars: $1,234,567.
func dollars(x float64) string { return "$" + groupInt(int(math.Round(x))) }

// pdfTime is how the PDF writes the generated instant.
func pdfTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
