package models

import (
	"bytes"
	"image/color"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/pdf"
)

// The PDF is A4, in millimetres, laid out from the top of the page down.
const (
	pageWidth, pageHeight = 210.0, 297.0
	marginLeft            = 18.0
	marginRight           = pageWidth - 18.0
	contentBottom         = 30.0 // the footer (citation and licence) lives below
)

var (
	colourToAfghanistan = canvas.Hex("#1d4ed8")
	colourToPakistan    = canvas.Hex("#c2410c")
	colourClosed        = canvas.Hex("#b91c1c")
	colourRestricted    = canvas.Hex("#d97706")
	colourMuted         = canvas.Hex("#475569")
	colourRule          = canvas.Hex("#cbd5e1")
)

// pdfWriter lays text and shapes out down the pages, starting a new page
// when one is full. It lays a page out left to right; in a right-to-left
// language every position and alignment is mirrored as it is drawn, so
// that tables run right to left and the chart's time axis too.
type pdfWriter struct {
	r     *pdf.PDF
	ctx   *canvas.Context
	fonts *reportFontSet
	lang  ReportLanguage
	text  func(string, ...any) string
	rtl   bool
	s     WeeklySummary
	y     float64 // the next line's top, from the top of the page
	pages int
}

// writeSummaryPDF writes one or two A4 pages a crossing (after an
// overview page when the summary holds several), with real text, in lang.
func writeSummaryPDF(w io.Writer, s WeeklySummary, lang ReportLanguage) error {
	fonts, err := takeReportFonts()
	if err != nil {
		return err
	}
	defer putReportFonts(fonts)
	text := lang.T
	var buf bytes.Buffer
	r := pdf.New(&buf, pageWidth, pageHeight, nil)
	r.SetInfo(text("reports.title", "Week", s.Week), s.Citation, text("reports.license")+": "+s.License, "borderflow", pdfCreator)
	r.SetLang(lang.Lang())
	p := &pdfWriter{r: r, ctx: canvas.NewContext(r), fonts: fonts, lang: lang, rtl: lang.RightToLeft(), s: s, pages: 1}
	p.text = p.translate
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
	if err := r.Close(); err != nil {
		return err
	}
	_, err = w.Write(setPDFLang(buf.Bytes(), lang.Lang()))
	return err
}

// pdfCreator is the PDF's creator; canvas writes it where the document
// catalog's /Lang belongs (catalog["Lang"] = encode(w.creator) in its
// writer), so the catalog says /Lang(borderflow).
const pdfCreator = "borderflow"

// setPDFLang puts the language in the catalog's /Lang in place of the
// creator, padded with spaces to the same length so that every offset in
// the cross-reference table stays right.
func setPDFLang(b []byte, lang string) []byte {
	wrong := []byte("/Lang(" + pdfCreator + ")")
	right := "/Lang(" + lang + ")"
	i := bytes.Index(b, wrong)
	if i < 0 || len(right) > len(wrong) {
		return b
	}
	copy(b[i:], right+strings.Repeat(" ", len(wrong)-len(right)))
	return b
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

// faces is one size, weight and colour of text in both scripts.
type faces struct {
	key           faceKey
	latin, arabic *canvas.FontFace
}

// arabicScale sets Noto Naskh Arabic a little larger than DejaVu Sans, whose
// Latin letters stand taller at the same size.
const arabicScale = 1.12

func (p *pdfWriter) face(size float64, bold bool, colour color.RGBA) faces {
	key := faceKey{size, bold, colour}
	if f, ok := p.fonts.faces[key]; ok {
		return f
	}
	style := canvas.FontRegular
	if bold {
		style = canvas.FontBold
	}
	f := faces{key: key, latin: p.fonts.latin.Face(size, colour, style), arabic: p.fonts.arabic.Face(size*arabicScale, colour, style)}
	p.fonts.faces[key] = f
	return f
}

// layout sets s in f, each run of Arabic script in the Arabic face and the
// rest in the Latin one, as a block width wide (0: one line as long as it
// is) whose top is at the origin, aligned by align.
func (p *pdfWriter) layout(f faces, s string, width float64, align canvas.TextAlign) *canvas.Text {
	s = p.direction(s)
	if width == 0 && strings.HasPrefix(s, string(rlm)) {
		// One right-to-left line: canvas reorders the pieces of a line
		// but not the spaces between them, which would land on the wrong
		// side of a dash or a parenthesis. A no-break space is part of a
		// piece.
		s = strings.ReplaceAll(s, " ", nbsp)
	}
	key := layoutKey{f.key, s, width, align}
	if t, ok := p.fonts.layouts[key]; ok {
		return t
	}
	t := p.shape(f, s, width, align)
	p.fonts.layouts[key] = t
	return t
}

func (p *pdfWriter) shape(f faces, s string, width float64, align canvas.TextAlign) *canvas.Text {
	rt := canvas.NewRichText(f.latin)
	start, arabic := 0, false
	for i, r := range s {
		if a := inArabicFace(r); a != arabic {
			if i > start {
				rt.WriteFace(f.pick(arabic), s[start:i])
			}
			start, arabic = i, a
		}
	}
	rt.WriteFace(f.pick(arabic), s[start:])
	return rt.ToText(width, 0, align, canvas.Top, nil)
}

// inArabicFace reports whether r is set in the Arabic face: Arabic script
// but for its digits and number separators, which DejaVu Sans draws in the
// forms Pashto and Dari read (Noto Naskh Arabic gives ۴ ۶ ۷ their Urdu
// forms whatever the language, and ۶ the glyph of ٦).
func inArabicFace(r rune) bool {
	switch {
	case r >= '٠' && r <= '٩', r >= '۰' && r <= '۹', r == '٫', r == '٬':
		return false
	}
	return unicode.Is(unicode.Arabic, r)
}

func (f faces) pick(arabic bool) *canvas.FontFace {
	if arabic {
		return f.arabic
	}
	return f.latin
}

// draw writes one line of text with its top at top, x and align given
// as for a left-to-right page.
func (p *pdfWriter) draw(x, top float64, f faces, s string, align canvas.TextAlign) {
	if p.rtl {
		x = pageWidth - x
		switch align {
		case canvas.Left:
			align = canvas.Right
		case canvas.Right:
			align = canvas.Left
		}
	}
	p.ctx.DrawText(x, pageHeight-top+p.raise(f, s), p.layout(f, s, 0, align))
}

// raise is how much higher to set a line holding Arabic script so that
// its baseline is where a Latin line's would be: canvas sets a line's
// baseline its tallest face's ascent below the top, and Noto Naskh Arabic
// stands taller than DejaVu Sans. Table cells in either script then line up.
func (p *pdfWriter) raise(f faces, s string) float64 {
	if !strings.ContainsFunc(s, inArabicFace) {
		return 0
	}
	return max(0, f.arabic.Metrics().Ascent-f.latin.Metrics().Ascent)
}

// direction starts s with a right-to-left mark where it is a right-to-left
// paragraph: every line of a right-to-left language (so that a date range
// or a Latin crossing name in it reads from the right too), and a line
// holding Arabic script in English. A hair space after the mark gives the
// line a first piece of text at the paragraph's level: canvas orders the
// pieces of a line wrongly when the first is left to right (a number, a
// Latin name), turning its words around.
func (p *pdfWriter) direction(s string) string {
	if p.rtl || hasArabicScript(s) {
		return string(rlm) + "\u200a" + s
	}
	return s
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
	s := t("reports.pdf_subtitle", "From", p.date(p.s.From), "To", p.date(p.s.To), "Revision", p.s.Revision,
		"Generated", p.ltr(strings.ReplaceAll(p.lang.Digits(pdfTime(p.s.GeneratedAt)), " ", nbsp)))
	p.paragraph(s, 8.5, colourMuted)
	p.y += 2
}

// paragraph writes text wrapped to the content width. A right-to-left
// paragraph is broken into lines here, each laid out on its own so that
// each starts at the paragraph's level (see direction).
func (p *pdfWriter) paragraph(s string, size float64, colour color.RGBA) {
	f := p.face(size, false, colour)
	width := marginRight - marginLeft
	if !p.rtl {
		box := p.layout(f, s, width, canvas.Left)
		p.room(box.Height)
		p.ctx.DrawText(marginLeft, pageHeight-p.y, box)
		p.y += box.Height + 1.5
		return
	}
	for i, line := range p.wrap(f, s, width) {
		box := p.layout(f, line, 0, canvas.Right)
		if i > 0 {
			p.y += 0.15 * box.Height
		}
		p.room(box.Height)
		p.ctx.DrawText(marginRight, pageHeight-p.y+p.raise(f, line), box)
		p.y += box.Height
	}
	p.y += 1.5
}

// wrap breaks s at spaces into lines at most width wide. A line that
// breaks a left-to-right piece (see ltr) closes it, and the next line
// opens it again.
func (p *pdfWriter) wrap(f faces, s string, width float64) []string {
	if p.layout(f, s, 0, canvas.Left).Bounds().W() <= width {
		return []string{s}
	}
	space := f.latin.TextWidth(" ")
	var lines []string
	var line []string
	used := 0.0
	for _, word := range strings.Split(s, " ") {
		w := p.layout(f, word, 0, canvas.Left).Bounds().W()
		if len(line) > 0 && used+space+w > width {
			lines = append(lines, strings.Join(line, " "))
			line, used = nil, 0
		}
		if len(line) > 0 {
			used += space
		}
		line = append(line, word)
		used += w
	}
	lines = append(lines, strings.Join(line, " "))
	open := false
	for i, l := range lines {
		if open {
			lines[i] = string(lrm) + l
		}
		for _, r := range l {
			switch {
			case r == lrm && !open:
				open = true
			case r == rlm && open:
				open = false
			}
		}
		if open {
			lines[i] += string(lrm) + string(rlm)
		}
	}
	return lines
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

// rect fills a rectangle given as for a left-to-right page.
func (p *pdfWriter) rect(x, top, w, h float64, colour color.Color) {
	if p.rtl {
		x = pageWidth - x - w
	}
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
		rows = append(rows, []string{c.Name, p.int(c.Totals.ToAfghanistan), p.int(c.Totals.ToPakistan),
			p.int(c.Totals.Total), p.number(c.Totals.HoursClosed),
			t("reports.of_days", "Count", c.Completeness.DaysReported, "Days", c.Completeness.Days)})
	}
	p.table([]float64{marginLeft, -90, -118, -138, -162, -marginRight}, rows)
	p.assumptions()
}

// headline writes the week's loaded trucks by direction against the baseline.
func (p *pdfWriter) headline(totals WeekTotals) {
	t := p.text
	rows := [][]string{{"", t("reports.loaded_trucks"), t("reports.baseline")},
		{t("reports.to_afghanistan"), p.int(totals.ToAfghanistan), p.lang.Digits(groupFloat(totals.BaselineToAfghanistan))},
		{t("reports.to_pakistan"), p.int(totals.ToPakistan), p.lang.Digits(groupFloat(totals.BaselineToPakistan))},
		{t("reports.total"), p.int(totals.Total), p.lang.Digits(groupFloat(totals.BaselineTotal))}}
	p.table([]float64{marginLeft, -100, -140}, rows)
	p.paragraph(t("reports.hours_line", "Closed", p.number(totals.HoursClosed), "Restricted", p.number(totals.HoursRestricted))+" "+
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
		rows = append(rows, []string{p.date(d.Date) + " " + t(weekdayKey(d.Date)), state, p.number(d.HoursClosed),
			p.optionalInt(d.ToAfghanistan), p.optionalInt(d.ToPakistan), check})
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
			p.draw(x+w/2, base-ha-hp-3.5, label, p.int(*d.ToAfghanistan+*d.ToPakistan), canvas.Center)
		} else {
			p.draw(x+w/2, base-4, label, t("reports.not_reported"), canvas.Center)
		}
		if d.HoursClosed > 0 {
			p.rect(x, base+0.8, w*math.Min(1, d.HoursClosed/24), strip, colourClosed)
		}
		if d.HoursRestricted > 0 {
			p.rect(x+w*math.Min(1, d.HoursClosed/24), base+0.8, w*math.Min(1, d.HoursRestricted/24), strip, colourRestricted)
		}
		p.draw(x+w/2, base+4, label, t(weekdayKey(d.Date))+" "+p.int(d.Date.t.Day()), canvas.Center)
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
		period := p.date(e.Start) + " – " + p.date(e.End)
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
			trucks = p.int(int(math.Round(r.Low))) + " – " + p.int(int(math.Round(r.High)))
			value = p.usd(v.Low) + " – " + p.usd(v.High) + " (" + p.usd(v.Central) + ")"
		}
		rows = append(rows, []string{period, reason, trucks, value})
	}
	p.table([]float64{marginLeft, 80, 112, 142}, rows)
	if c.Humanitarian != nil {
		p.paragraph(t("reports.humanitarian_line", "Trucks", p.number(*c.Humanitarian)), 9, canvas.Black)
	}
	p.paragraph(t("reports.costs_note"), 8, colourMuted)
}

// assumptions writes the model version and the exchange rates used.
func (p *pdfWriter) assumptions() {
	t, a := p.text, p.s.Assumptions
	p.section(t("reports.assumptions"))
	p.paragraph(t("reports.model_line", "Version", a.ModelVersion), 9, canvas.Black)
	for _, r := range a.ExchangeRates {
		p.paragraph(t("reports.rate", "Currency", r.Currency, "Units", p.number(r.UnitsPerUSD), "AsOf", p.date(r.AsOf)), 8.5, canvas.Black)
		// A line of its own, not in parentheses: a source in English that
		// wraps inside a right-to-left line would split the pair.
		p.paragraph(t("reports.rate_source", "Source", p.ltr(r.Source)), 8, colourMuted)
	}
	var values []string
	for _, c := range a.Categories {
		if c.ValuePerTruckUSD > 0 {
			values = append(values, p.categoryName(c.Code)+" "+p.usd(c.ValuePerTruckUSD))
		}
	}
	p.paragraph(t("reports.values_line", "Values", strings.Join(values, t("reports.list_separator"))), 8, colourMuted)
}

// categoryName is a cargo category's name in the PDF's language, from the
// catalog, else the name staff gave it (as the week's tables carry it),
// else its code.
func (p *pdfWriter) categoryName(code string) string {
	name := code
	for _, c := range p.s.Categories {
		if c.Category == code {
			name = c.Name
			break
		}
	}
	return p.ltr(p.lang.CategoryName(code, name))
}

// footer writes the citation, licence and page number at the bottom.
func (p *pdfWriter) footer() {
	t := p.text
	face := p.face(7.5, false, colourMuted)
	p.rule(pageHeight - 24)
	p.draw(marginLeft, pageHeight-22, face, t("reports.cite_as", "Citation", p.s.Citation), canvas.Left)
	p.draw(marginLeft, pageHeight-18, face, t("reports.license")+": "+p.ltr(p.s.License), canvas.Left)
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

// translate is the language's message with its numbers in the
// language's digits.
func (p *pdfWriter) translate(id string, args ...any) string {
	for i, a := range args {
		if i%2 == 0 {
			continue
		}
		switch v := a.(type) {
		case int:
			args[i] = p.int(v)
		case string:
			if !strings.ContainsRune(v, lrm) {
				args[i] = p.ltr(v)
			}
		}
	}
	s := p.lang.T(id, args...)
	if p.rtl {
		s = bareUSD.ReplaceAllString(s, "${1}"+p.ltr("US$"))
	}
	return s
}

// The left-to-right and right-to-left marks (Unicode bidi).
const lrm, rlm = '\u200e', '\u200f'

// nbsp is a no-break space.
const nbsp = "\u00a0"

// bareUSD finds "US$" in a message's own words (not in an amount, which
// ltr has marked already).
var bareUSD = regexp.MustCompile(`(^|[^\x{200e}])US\$`)

// ltr keeps a date, a time, an amount or a name or code in Latin script
// (Torkham, 2026-W47, a source's name) whole and left to right inside a
// right-to-left line, its last character too (the $ of US$). Marking it
// right-to-left after keeps what follows
// (a dash, a parenthesis, the next item of a list) in the line's
// direction. (The Unicode isolates would say this more directly, but
// canvas lays out their nested levels wrongly.) Without the marks, digits
// after Arabic letters are Arabic numbers to the bidi algorithm, and a
// date's hyphens would set its parts right to left: 31-10-2025.
func (p *pdfWriter) ltr(s string) string {
	if !p.rtl || !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) && !unicode.Is(unicode.Arabic, r) || unicode.IsDigit(r) }) {
		return s
	}
	return string(lrm) + s + string(lrm) + string(rlm)
}

// int writes n grouped by thousands in the language's digits.
func (p *pdfWriter) int(n int) string { return p.lang.Digits(groupInt(n)) }

func (p *pdfWriter) optionalInt(n *int) string {
	if n == nil {
		return "–"
	}
	return p.int(*n)
}

// number writes x as every format does, in the language's digits.
func (p *pdfWriter) number(x float64) string { return p.lang.Digits(FormatNumber(x)) }

// date writes a day as 2026-11-16 in the language's digits.
func (p *pdfWriter) date(d Date) string { return p.ltr(p.lang.Digits(d.String())) }

// usd writes whole US dollars, short enough for a table cell: $1,234.
func (p *pdfWriter) usd(x float64) string { return p.ltr("$" + p.int(int(math.Round(x)))) }

// weekdayKey is the message of a day's short weekday name.
func weekdayKey(d Date) string { return "weekday." + strconv.Itoa(int(d.Weekday())) }

// pdfTime is how the PDF writes the generated instant.
func pdfTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
