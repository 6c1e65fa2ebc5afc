package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"borderflow/models"
	"borderflow/models/testdb"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// reportsNow is Wednesday 25 November 2026, 09:00 in Karachi: week 47 is
// the last complete week.
var reportsNow = time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)

// newReportsApp is an App on databaseURL with 60 days of demo data up to
// yesterday, and week 47 published as the weekly-summary job would.
func newReportsApp(t *testing.T, databaseURL string) *App {
	t.Helper()
	a := newTestApp(t, databaseURL)
	a.now = func() time.Time { return reportsNow }
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, a.DB(), models.DemoOptions{Days: 60,
		End: models.DateOf(reportsNow, a.cfg.TimeZone).AddDays(-1), Now: reportsNow, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	week, _ := models.ParseISOWeek("2026-W47")
	if _, err := models.PublishWeeklySummaries(ctx, a.DB(), week, reportsNow, a.ReportOptions()); err != nil {
		t.Fatal(err)
	}
	return a
}

// checkGolden compares got with testdata/reports/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "reports", name)
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s ./app -update to write it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from its golden file; got:\n%s", name, excerptDiff(got, want))
	}
}

// excerptDiff shows the first line that differs.
func excerptDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  got  " + g[i] + "\n  want " + w[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(g)) + " and " + strconv.Itoa(len(w)) + " lines"
}

// TestWeeklySummaryDownloadsMatchGoldenFiles downloads week 47 as CSV and
// JSON on both databases and holds them to the golden files; each answer
// carries its SHA-256 as ETag and a file name saying what it is.
func TestWeeklySummaryDownloadsMatchGoldenFiles(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newReportsApp(t, databaseURL)
		for _, c := range []struct{ path, golden, filename string }{
			{"/reports/2026-W47.csv", "2026-W47.csv", "borderflow-2026-W47-all-crossings-r1.csv"},
			{"/reports/2026-W47.json", "2026-W47.json", "borderflow-2026-W47-all-crossings-r1.json"},
			{"/reports/2026-W47.csv?crossing=chaman&revision=1", "2026-W47-chaman.csv", "borderflow-2026-W47-chaman-r1.csv"},
		} {
			rec := get(t, a, c.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d: %s", c.path, rec.Code, rec.Body)
			}
			body := rec.Body.Bytes()
			checkGolden(t, c.golden, body)
			sum := sha256.Sum256(body)
			if etag := rec.Header().Get("ETag"); etag != `W/"`+hex.EncodeToString(sum[:])+`"` {
				t.Errorf("%s: ETag %s is not the SHA-256 of the body", c.path, etag)
			}
			if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, c.filename) {
				t.Errorf("%s: Content-Disposition %q, want %s", c.path, cd, c.filename)
			}
			if again := get(t, a, c.path, "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
				t.Errorf("%s with its ETag = %d, want 304", c.path, again.Code)
			}
		}
		if cc := get(t, a, "/reports/2026-W47.pdf?revision=1").Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("an explicit revision is cached as %q, want immutable", cc)
		}
	})
}

// TestWeeklySummaryFormatsAgree reads the XLSX back with excelize and the
// PDF's text with pdftotext, and holds their numbers to the JSON's.
func TestWeeklySummaryFormatsAgree(t *testing.T) {
	pdftotext := findPdftotext(t)
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newReportsApp(t, databaseURL)
		var s models.WeeklySummary
		if err := json.Unmarshal(get(t, a, "/reports/2026-W47.json").Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		if !s.HasData || len(s.Crossings) != 2 || s.Totals.Total == 0 {
			t.Fatalf("the summary has no figures: %+v", s.Totals)
		}

		book, err := excelize.OpenReader(bytes.NewReader(get(t, a, "/reports/2026-W47.xlsx").Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows("Daily", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		i := 1
		for _, c := range s.Crossings {
			for _, d := range c.Days {
				row := rows[i]
				i++
				// Dates are stored as dates: serial day numbers.
				serial := d.Date.Start(time.UTC).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
				want := []string{formatSerial(serial), c.Slug, c.Name, stateName(d.State), models.FormatNumber(d.HoursClosed),
					models.FormatNumber(d.HoursRestricted), boolCell(d.Reported), boolCell(d.Verified), intCell(d.ToAfghanistan), intCell(d.ToPakistan)}
				for j, w := range want {
					if j >= len(row) && w == "" {
						continue
					}
					if j >= len(row) || row[j] != w {
						t.Fatalf("Daily row %d = %q, want %q", i, row, want)
					}
				}
			}
		}
		if typ, _ := book.GetCellType("Daily", "I2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Errorf("trucks are not numeric cells: %v", typ)
		}
		if panes, _ := book.GetPanes("Daily"); !panes.Freeze {
			t.Error("the Daily header row is not frozen")
		}
		cats, _ := book.GetRows("By category", excelize.Options{RawCellValue: true})
		n := 0
		for _, c := range s.Crossings {
			n += len(c.Categories)
		}
		if len(cats) != n+1 {
			t.Errorf("By category has %d rows, the JSON %d categories", len(cats)-1, n)
		}

		text := pdfText(t, pdftotext, get(t, a, "/reports/2026-W47.pdf").Body.Bytes())
		for _, want := range []string{
			"To Afghanistan " + groupedInt(s.Totals.ToAfghanistan),
			"To Pakistan " + groupedInt(s.Totals.ToPakistan),
			"Total " + groupedInt(s.Totals.Total),
			"Cite as: " + s.Citation,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF does not say %q", want)
			}
		}
		for _, c := range s.Crossings {
			if !strings.Contains(text, c.Name+": week 2026-W47") || !strings.Contains(text, "Total "+groupedInt(c.Totals.Total)) {
				t.Errorf("the PDF has no page for %s with its total %d", c.Name, c.Totals.Total)
			}
		}
	})
}

func formatSerial(x float64) string { return models.FormatNumber(x) }

func stateName(s *models.State) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func boolCell(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func intCell(n *int) string {
	if n == nil {
		return ""
	}
	return models.FormatNumber(float64(*n))
}

// groupedInt writes n as the PDF does: 12,345.
func groupedInt(n int) string {
	s := models.FormatNumber(float64(n))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// findPdftotext returns poppler's pdftotext; without it the test fails
// under CI=true (the CI script installs poppler-utils) and skips loudly otherwise.
func findPdftotext(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "PDF text tests NOT RUN: no pdftotext (apt-get install poppler-utils)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("!!! " + msg + " !!!")
	}
	return p
}

// pdfText extracts a PDF's text, spaces collapsed and compatibility forms
// (ligatures, Arabic presentation forms) folded to plain letters.
func pdfText(t *testing.T, pdftotext string, pdf []byte) string {
	t.Helper()
	cmd := exec.Command(pdftotext, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(stripBidiControls.Replace(norm.NFKC.String(string(out)))), " ")
}

// stripBidiControls removes the invisible direction marks pdftotext puts
// around right-to-left lines.
var stripBidiControls = strings.NewReplacer("\u202a", "", "\u202b", "", "\u202c", "", "\u202d", "", "\u202e", "",
	"\u200e", "", "\u200f", "", "\u2066", "", "\u2067", "", "\u2068", "", "\u2069", "")

// TestWeeklySummaryInEveryLanguage downloads the PDF and XLSX of week 47
// in Pashto, Dari and Urdu on both databases: each is its own file, named
// for its language, whose text pdftotext reads back in the language
// (translated title and labels, the JSON's totals in the language's
// digits, no U+FFFD), and the Pashto workbook's labels are Pashto while
// its numbers are the JSON's.
func TestWeeklySummaryInEveryLanguage(t *testing.T) {
	pdftotext := findPdftotext(t)
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newReportsApp(t, databaseURL)
		var s models.WeeklySummary
		if err := json.Unmarshal(get(t, a, "/reports/2026-W47.json?lang=ps").Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		english := get(t, a, "/reports/2026-W47.pdf?crossing=torkham&lang=en")
		for _, lang := range []string{"ps", "fa-AF", "ur"} {
			l := a.translator.Locale(lang)
			path := "/reports/2026-W47.pdf?crossing=torkham&lang=" + lang
			rec := get(t, a, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", path, rec.Code)
			}
			want := "borderflow-2026-W47-torkham-r1-" + lang + ".pdf"
			if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, want) {
				t.Errorf("%s: Content-Disposition %q, want %s", path, cd, want)
			}
			if rec.Header().Get("ETag") == english.Header().Get("ETag") {
				t.Errorf("%s has the English file's SHA-256", path)
			}
			// The reader's language chooses the file when ?lang= does not.
			if other := get(t, a, "/reports/2026-W47.pdf?crossing=torkham", "Accept-Language", lang); other.Header().Get("ETag") != rec.Header().Get("ETag") {
				t.Errorf("Accept-Language: %s did not get the %s PDF", lang, lang)
			}
			raw := rec.Body.Bytes()
			if !bytes.Contains(raw, []byte("/Lang("+lang+")")) {
				t.Errorf("the %s PDF does not say its language (/Lang)", lang)
			}
			text := pdfText(t, pdftotext, raw)
			if strings.ContainsRune(text, '\uFFFD') {
				t.Errorf("the %s PDF copies out U+FFFD:\n%s", lang, text)
			}
			c := s.Crossings[0]
			for _, phrase := range []string{
				l.T("reports.to_afghanistan"), l.T("reports.to_pakistan"), l.T("reports.loaded_trucks"),
				l.T("reports.days"), l.T("reports.completeness"), l.T("reports.closures"),
				// Categories by name in the language, not by code.
				l.CategoryName("coal", "Coal"),
				// A rate's source on a line of its own, under its label.
				strings.Trim(strings.Fields(l.T("reports.rate_source", "Source", ""))[0], ":"),
			} {
				// A zero-width non-joiner only keeps two letters apart; it is
				// not a glyph, and pdftotext cannot read it back.
				if !strings.Contains(text, strings.ReplaceAll(norm.NFKC.String(phrase), "\u200c", "")) {
					t.Errorf("the %s PDF lacks %q; pdftotext read:\n%s", lang, phrase, text)
				}
			}
			for _, code := range []string{"fresh_produce", "food_staples", "edible_oil"} {
				if strings.Contains(text, code) {
					t.Errorf("the %s PDF names a category by its code %s", lang, code)
				}
			}
			if strings.Contains(text, "(Da Afghanistan") || strings.Contains(text, "rounded)") {
				t.Errorf("the %s PDF puts a rate's source in parentheses, which split when it wraps right to left", lang)
			}
			// The totals, in the language's digits, read back as the JSON's.
			for _, n := range []int{c.Totals.ToAfghanistan, c.Totals.ToPakistan, c.Totals.Total} {
				shown := l.Number(n)
				if !strings.Contains(text, shown) || models.ASCIIDigits(strings.ReplaceAll(shown, "٬", ",")) != groupedInt(n) {
					t.Errorf("the %s PDF does not show the total %d as %s", lang, n, shown)
				}
			}
		}

		book, err := excelize.OpenReader(bytes.NewReader(get(t, a, "/reports/2026-W47.xlsx?lang=ps").Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		ps := a.translator.Locale("ps")
		wantSheets := []string{ps.T("reports.sheet_summary"), ps.T("reports.sheet_daily"), ps.T("reports.sheet_categories"),
			ps.T("reports.sheet_closures"), ps.T("reports.sheet_assumptions")}
		if got := book.GetSheetList(); !slices.Equal(got, wantSheets) {
			t.Fatalf("Pashto sheets %q, want %q", got, wantSheets)
		}
		summary, err := book.GetRows(wantSheets[0], excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		values := map[string]string{}
		for _, row := range summary {
			if len(row) == 2 {
				values[row[0]] = row[1]
			}
		}
		for label, n := range map[string]int{"reports.to_afghanistan": s.Totals.ToAfghanistan, "reports.to_pakistan": s.Totals.ToPakistan,
			"reports.total": s.Totals.Total} {
			if got := values[ps.T(label)]; got != strconv.Itoa(n) {
				t.Errorf("Pashto summary sheet: %s = %q, want %d", ps.T(label), got, n)
			}
		}
		if values[ps.T("reports.unit")] != ps.T("reports.unit_note") {
			t.Errorf("the Pashto workbook's unit note is %q", values[ps.T("reports.unit")])
		}
		daily, _ := book.GetRows(wantSheets[1], excelize.Options{RawCellValue: true})
		if len(daily) < 2 || daily[0][0] != "date" || daily[1][1] != s.Crossings[0].Slug || daily[1][8] != intCell(s.Crossings[0].Days[0].ToAfghanistan) {
			t.Errorf("the Pashto Daily sheet does not hold the JSON's figures under its codes: %q", daily[:min(2, len(daily))])
		}
		if view, err := book.GetSheetView(wantSheets[0], 0); err != nil || view.RightToLeft == nil || !*view.RightToLeft {
			t.Errorf("the Pashto workbook does not run right to left (%v)", err)
		}
	})
}

// TestOlderRevisionOffersItsLanguages publishes a revision in English only,
// as revisions were before the files were written in every language: a
// Pashto reader asking for its PDF is told which languages it has, with a
// link back to the week, and the week's page offers only what is stored.
func TestOlderRevisionOffersItsLanguages(t *testing.T) {
	databaseURL := "sqlite:" + filepath.Join(t.TempDir(), "borderflow.db")
	a := newTestApp(t, databaseURL)
	a.now = func() time.Time { return reportsNow }
	ctx := context.Background()
	if _, err := models.LoadDemo(ctx, a.DB(), models.DemoOptions{Days: 60,
		End: models.DateOf(reportsNow, a.cfg.TimeZone).AddDays(-1), Now: reportsNow, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	opts := a.ReportOptions()
	opts.Languages = opts.Languages[:1]
	week, _ := models.ParseISOWeek("2026-W47")
	if _, err := models.PublishWeeklySummaries(ctx, a.DB(), week, reportsNow, opts); err != nil {
		t.Fatal(err)
	}
	rec := get(t, a, "/reports/2026-W47.pdf?revision=1&lang=ps")
	doc := page(t, rec)
	if msg := doc.Find(".error-message").Text(); rec.Code != http.StatusNotFound || !strings.Contains(msg, "انګرېزي") {
		t.Errorf("a Pashto PDF of an English-only revision = %d %q, want 404 naming English", rec.Code, msg)
	}
	if href, _ := doc.Find("a.back").Attr("href"); href != "/reports/2026-W47?revision=1" {
		t.Errorf("the message links back to %q", href)
	}
	if rec := get(t, a, "/reports/2026-W47.csv?lang=ps"); rec.Code != http.StatusOK {
		t.Errorf("the language-neutral CSV in Pashto = %d", rec.Code)
	}
	week47 := page(t, get(t, a, "/reports/2026-W47?lang=ps"))
	if n := week47.Find("table.downloads a[data-format=pdf]").Length(); n != 0 {
		t.Errorf("the Pashto page offers %d Pashto PDFs the revision does not have", n)
	}
	english := week47.Find("table.downloads a[data-lang=en]")
	if href, _ := english.First().Attr("href"); english.Length() != 3 || !strings.HasSuffix(href, "&lang=en") {
		t.Errorf("the Pashto page offers %d English PDFs (first %q), want 3", english.Length(), href)
	}
	code, _, stderr := run(t, map[string]string{"BORDERFLOW_DATABASE_URL": databaseURL}, nil,
		"export", "weekly", "--week", "2026-W47", "--format", "pdf", "--lang", "ps", "-o", filepath.Join(t.TempDir(), "w47.pdf"))
	if code != 1 || !strings.Contains(stderr, "only in en") || !strings.Contains(stderr, "--lang") {
		t.Errorf("export of a Pashto PDF the revision lacks: exit %d, %q; want 1 and the languages it has", code, stderr)
	}
}

// borderflow export weekly writes, in each language, the very file
// /reports serves with ?lang=, and refuses a language it does not know.
func TestExportWeeklyWritesWhatReportsServe(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newReportsApp(t, databaseURL)
		vars := map[string]string{"BORDERFLOW_DATABASE_URL": databaseURL}
		dir := t.TempDir()
		for _, format := range models.ReportFormats {
			for _, lang := range []string{"en", "ps", "fa-AF", "ur"} {
				out := filepath.Join(dir, format+"-"+lang)
				code, _, stderr := run(t, vars, nil, "export", "weekly", "--week", "2026-W47", "--format", format,
					"--crossing", "chaman", "--lang", lang, "-o", out)
				if code != 0 {
					t.Fatalf("export %s in %s: exit %d, %s", format, lang, code, stderr)
				}
				written, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				served := get(t, a, "/reports/2026-W47."+format+"?crossing=chaman&lang="+lang)
				if served.Code != http.StatusOK || !bytes.Equal(written, served.Body.Bytes()) {
					t.Errorf("export %s in %s: %d bytes, /reports served %d (%d bytes); want the same file",
						format, lang, len(written), served.Code, served.Body.Len())
				}
				sum := sha256.Sum256(written)
				if !strings.Contains(stderr, hex.EncodeToString(sum[:])) || !strings.Contains(stderr, "-r1") {
					t.Errorf("export %s in %s: stderr %q does not name the file's revision and SHA-256", format, lang, stderr)
				}
			}
		}
		code, _, stderr := run(t, vars, nil, "export", "weekly", "--week", "2026-W47", "--format", "pdf", "--lang", "de")
		if code != 2 || !strings.Contains(stderr, "--lang must be one of en, fa-AF, ps, ur") {
			t.Errorf("--lang de: exit %d, %q; want 2 and the languages there are", code, stderr)
		}
	})
}

// TestReportBadInputGetsClearMessages asks for weeks, revisions, crossings
// and formats that do not exist.
func TestReportBadInputGetsClearMessages(t *testing.T) {
	a := newReportsApp(t, "sqlite:"+filepath.Join(t.TempDir(), "borderflow.db"))
	cases := []struct {
		path    string
		status  int
		message string
	}{
		{"/reports/2026-W54.pdf", 400, "2026 has weeks 01 to 53; there is no week 2026-W54."},
		{"/reports/2026-W00", 400, "there is no week 2026-W00"},
		{"/reports/2026-47.csv", 400, "“2026-47” is not a week; write it as YYYY-Www"},
		{"/reports/2026-W49.csv", 404, "The week 2026-W49 is not over yet; the latest complete week is 2026-W47."},
		{"/reports/2026-W48", 404, "not over yet"},
		{"/reports/2026-W47.pdf?revision=4", 404, "The week 2026-W47 has no revision 4"},
		{"/reports/2026-W47?revision=4", 404, "has no revision 4"},
		{"/reports/2026-W47.pdf?revision=first", 400, "The revision must be a whole number from 1 up"},
		{"/reports/2026-W47.pdf?crossing=wagah", 404, "There is no crossing “wagah”"},
		{"/reports/2026-W47.docx", 404, "borderflow does not make “docx” files"},
		{"/reports/2026-W40.json", 404, "The summary of 2026-W40 has not been published"},
		{"/reports/export?crossing=wagah", 404, "There is no crossing “wagah”"},
		{"/reports/export?from=2025-01-01&to=2026-11-20", 400, "ask for at most 366 days"},
		{"/reports/export?format=pdf", 400, "format 'pdf' is not supported"},
	}
	for _, c := range cases {
		rec := get(t, a, c.path)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.message) {
			t.Errorf("GET %s = %d %s, want %d saying %q", c.path, rec.Code, excerpt(rec.Body.String(), "<main"), c.status, c.message)
		}
	}
}

// TestReportPagesListWeeksAndRevisions reads /reports and the week's page:
// the week with its headline numbers, its downloads with their checksums.
func TestReportPagesListWeeksAndRevisions(t *testing.T) {
	a := newReportsApp(t, "sqlite:"+filepath.Join(t.TempDir(), "borderflow.db"))
	doc := page(t, get(t, a, "/reports"))
	if href, _ := doc.Find("#week-2026-W47 a").Attr("href"); href != "/reports/2026-W47" {
		t.Fatalf("the list links week 47 to %q", href)
	}
	if doc.Find("form.export select[name=crossing] option").Length() != 3 {
		t.Error("the export form does not offer all crossings and each one")
	}
	if href, _ := page(t, get(t, a, "/")).Find("a.reports-link").Attr("href"); href != "/reports" {
		t.Errorf("the board links the reports at %q", href)
	}
	week := page(t, get(t, a, "/reports/2026-W47"))
	links := week.Find("table.downloads a[data-format]")
	if links.Length() != 12 {
		t.Errorf("%d download links, want 4 formats × (all + 2 crossings)", links.Length())
	}
	href, _ := links.First().Attr("href")
	rec := get(t, a, href)
	sum := sha256.Sum256(rec.Body.Bytes())
	if shown := strings.TrimSpace(week.Find("table.downloads .sha256").First().Text()); shown != hex.EncodeToString(sum[:]) {
		t.Errorf("the page shows SHA-256 %s, the download has %x", shown, sum)
	}
	if week.Find(".revisions li").Length() != 1 {
		t.Error("the week's page does not list its one revision")
	}

	// In Pashto the page offers the Pashto PDF and XLSX with their
	// checksums, and the PDF in each other language.
	ps := page(t, get(t, a, "/reports/2026-W47?lang=ps"))
	pdf := ps.Find("table.downloads a[data-format=pdf]").First()
	href, _ = pdf.Attr("href")
	if !strings.HasSuffix(href, "&lang=ps") {
		t.Errorf("the Pashto page's PDF is %q", href)
	}
	rec = get(t, a, href)
	sum = sha256.Sum256(rec.Body.Bytes())
	if shown := strings.TrimSpace(pdf.Parent().Find(".sha256").Text()); shown != hex.EncodeToString(sum[:]) || !strings.Contains(rec.Header().Get("Content-Disposition"), "-r1-ps.pdf") {
		t.Errorf("the Pashto PDF: page shows SHA-256 %s, the download has %x, named %s", shown, sum, rec.Header().Get("Content-Disposition"))
	}
	var others []string
	ps.Find("table.downloads tr").First().Find(".other-languages a").Each(func(_ int, s *goquery.Selection) {
		lang, _ := s.Attr("data-lang")
		others = append(others, lang)
	})
	if !slices.Equal(others, []string{"en", "fa-AF", "ur"}) {
		t.Errorf("the Pashto page offers the PDF in %q besides", others)
	}
}

// TestRangeExportStreamsCSVAndXLSX downloads a month of figures as CSV (with
// its HXL row) and as XLSX, and finds the same rows in both.
func TestRangeExportStreamsCSVAndXLSX(t *testing.T) {
	a := newReportsApp(t, "sqlite:"+filepath.Join(t.TempDir(), "borderflow.db"))
	rec := get(t, a, "/reports/export?crossing=torkham&from=2026-11-01&to=2026-11-07&format=csv")
	if rec.Code != http.StatusOK {
		t.Fatalf("export = %d %s", rec.Code, rec.Body)
	}
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if lines[1] != strings.Join(exportHXL, ",") || !strings.HasPrefix(lines[2], "2026-11-01,torkham,") || len(lines) < 50 {
		t.Fatalf("CSV starts %q … (%d lines)", lines[:3], len(lines))
	}
	rec = get(t, a, "/reports/export?crossing=torkham&from=2026-11-01&to=2026-11-07&format=xlsx")
	book, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("the XLSX export does not open: %v", err)
	}
	rows, _ := book.GetRows("Figures")
	if len(rows) != len(lines)-1 {
		t.Errorf("XLSX has %d rows, CSV %d (without its HXL row)", len(rows), len(lines)-1)
	}
}

// TestRangeExportXLSXMatchesCSV reads a fortnight of every crossing's
// figures from the XLSX export and compares each cell with the CSV export
// of the same range: text the same, numbers stored as numbers with the
// CSV's digits, the day as a date shown yyyy-mm-dd, verified as a boolean,
// empty where the CSV is; the header frozen, the columns sized, the
// citation and licence in the file's properties. A range without figures
// gives a workbook with the header only.
func TestRangeExportXLSXMatchesCSV(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newReportsApp(t, databaseURL)
		const query = "/reports/export?from=2026-11-01&to=2026-11-14&format="
		rec := get(t, a, query+"csv")
		records, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil || rec.Code != http.StatusOK {
			t.Fatalf("CSV export = %d, %v", rec.Code, err)
		}
		records = append(records[:1], records[2:]...) // without the HXL row
		rec = get(t, a, query+"xlsx")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != reportContentTypes["xlsx"] {
			t.Fatalf("XLSX export = %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		book, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("the XLSX export does not open: %v", err)
		}
		const sheet = "Figures"
		rows, err := book.GetRows(sheet)
		if err != nil || len(rows) != len(records) || len(rows) < 100 {
			t.Fatalf("XLSX has %d rows (%v), CSV %d", len(rows), err, len(records))
		}
		empty := 0
		for r, record := range records {
			for col, want := range record {
				cell, _ := excelize.CoordinatesToCellName(col+1, r+1)
				got, _ := book.GetCellValue(sheet, cell)
				typ, _ := book.GetCellType(sheet, cell)
				raw, _ := book.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
				switch name := figuresCSVHeader[col]; {
				case r == 0 || name == "crossing" || name == "direction" || name == "category" || name == "regime":
					if got != want || typ != excelize.CellTypeInlineString {
						t.Fatalf("%s = %q (type %v), CSV %q", cell, got, typ, want)
					}
				case want == "":
					empty++
					if got != "" {
						t.Fatalf("%s = %q, CSV empty", cell, got)
					}
				case name == "date":
					day, _ := models.ParseDate(want)
					if got != want || raw != strconv.Itoa(day.DaysSince(models.NewDate(1899, 12, 30))) {
						t.Fatalf("%s shows %q stored as %q, CSV %q", cell, got, raw, want)
					}
				case name == "verified":
					if !strings.EqualFold(got, want) || typ != excelize.CellTypeBool {
						t.Fatalf("%s = %q (type %v), CSV %q", cell, got, typ, want)
					}
				default:
					if raw != want || typ != excelize.CellTypeUnset {
						t.Fatalf("%s = %q (type %v), CSV %q: not the same number", cell, raw, typ, want)
					}
				}
			}
		}
		if empty == 0 {
			t.Error("the range has no empty tonnes or value: the comparison of empty cells did not run")
		}
		style, _ := book.GetCellStyle(sheet, "A2")
		if s, err := book.GetStyle(style); err != nil || s.CustomNumFmt == nil || *s.CustomNumFmt != "yyyy-mm-dd" {
			t.Errorf("the date column's style is %+v (%v)", s, err)
		}
		if panes, err := book.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("panes = %+v (%v), want the header row frozen", panes, err)
		}
		for i, c := range exportColumns {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if w, _ := book.GetColWidth(sheet, col); w != c.Width {
				t.Errorf("column %s is %v wide, want %v", col, w, c.Width)
			}
		}
		props, err := book.GetDocProps()
		if err != nil || props.Subject != "borderflow daily figures, all crossings, 2026-11-01 to 2026-11-14" ||
			!strings.Contains(props.Description, models.DefaultReportLicense) || props.Keywords != models.DefaultReportLicense {
			t.Errorf("document properties = %+v (%v), want the citation and the licence", props, err)
		}

		rec = get(t, a, "/reports/export?crossing=torkham&from=2026-11-25&to=2026-11-25&format=xlsx")
		book, err = excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("the empty range's XLSX does not open: %v", err)
		}
		rows, _ = book.GetRows(sheet)
		if len(rows) != 1 || strings.Join(rows[0], ",") != strings.Join(figuresCSVHeader, ",") {
			t.Errorf("the empty range's XLSX has rows %q, want the header only", rows)
		}
		if props, _ := book.GetDocProps(); !strings.Contains(props.Subject, "Torkham, 2026-11-25 to 2026-11-25") {
			t.Errorf("the empty range's citation is %q", props.Subject)
		}
	})
}
