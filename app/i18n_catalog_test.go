package app

import (
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"borderflow"
	"borderflow/models"
)

// pluralForms are the CLDR plural categories a catalog table may hold.
var pluralForms = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

// catalogMessages flattens a catalog into message ID → form → text (form
// "" for a message without plural forms).
func catalogMessages(t *testing.T, name string) map[string]map[string]string {
	t.Helper()
	var raw map[string]any
	if _, err := toml.DecodeFS(localeFiles, "locales/"+name, &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if pluralForms[k] && prefix != "" {
					id := strings.TrimSuffix(prefix, ".")
					if out[id] == nil {
						out[id] = map[string]string{}
					}
					out[id][k] = v
				} else {
					out[prefix+k] = map[string]string{"": v}
				}
			case map[string]any:
				walk(prefix+k+".", v)
			}
		}
	}
	walk("", raw)
	return out
}

var placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) []string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	slices.Sort(names)
	return names
}

// Every catalog has exactly English's messages, each with the same
// placeholders, and a plural message the forms its language needs.
func TestCatalogsHaveEveryMessageAndNoOther(t *testing.T) {
	en := catalogMessages(t, "en.toml")
	files, err := fs.Glob(localeFiles, "locales/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("only %d catalogs", len(files))
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "en.toml" {
			continue
		}
		other := catalogMessages(t, name)
		for _, id := range slices.Sorted(maps.Keys(en)) {
			forms, ok := other[id]
			switch {
			case !ok:
				t.Errorf("%s lacks %q", name, id)
				continue
			case (en[id][""] == "") != (forms[""] == ""):
				t.Errorf("%s: %q must be plural exactly where English is", name, id)
				continue
			}
			want := placeholders(en[id][""] + en[id]["other"])
			for form, text := range forms {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %q %s is empty", name, id, form)
				}
				if got := placeholders(text); !slices.Equal(got, want) && !(form == "one" && slices.Equal(got, slices.DeleteFunc(slices.Clone(want), func(p string) bool { return p == "Count" }))) {
					t.Errorf("%s: %q %s has placeholders %v, English %v", name, id, form, got, want)
				}
			}
			if forms[""] == "" && forms["other"] == "" {
				t.Errorf("%s: plural %q lacks other", name, id)
			}
		}
		for id := range other {
			if _, ok := en[id]; !ok {
				t.Errorf("%s has %q, which English does not", name, id)
			}
		}
	}
}

// Plural forms follow CLDR: Persian counts 0 and 1 as "one", Pashto and
// English only 1, and every language puts 2 and more in "other".
func TestPluralRulesPerLanguage(t *testing.T) {
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ps", "fa-AF"} {
		l := tr.Locale(lang)
		messages := catalogMessages(t, lang+".toml")["duration.days"]
		one := func(n int) string { return strings.ReplaceAll(messages["one"], "{{.Count}}", l.Number(n)) }
		other := func(n int) string { return strings.ReplaceAll(messages["other"], "{{.Count}}", l.Number(n)) }
		zeroIsOne := lang == "fa-AF"
		for n, wantOne := range map[int]bool{0: zeroIsOne, 1: true, 2: false, 11: false} {
			want := other(n)
			if wantOne {
				want = one(n)
			}
			if got := l.N("duration.days", n); got != want {
				t.Errorf("%s N(%d) = %q, want %q", lang, n, got, want)
			}
		}
	}
}

// Pashto and Dari write Extended Arabic-Indic digits and carry the Solar
// Hijri date; Urdu writes Western digits unless told otherwise; English
// stays as it was.
func TestDigitsAndDatesPerLanguage(t *testing.T) {
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	day := models.NewDate(2026, 11, 27)
	en, ps, fa := tr.Locale("en"), tr.Locale("ps"), tr.Locale("fa-AF")
	if got := en.Number(1234567); got != "1,234,567" {
		t.Errorf("en: %q", got)
	}
	if got := en.Date(day); got != "27 Nov 2026" {
		t.Errorf("en date: %q", got)
	}
	for _, l := range []*Locale{ps, fa} {
		if got := l.Number(1234567); got != "۱٬۲۳۴٬۵۶۷" {
			t.Errorf("%s: %q", l.Lang(), got)
		}
		got := l.Date(day)
		if !strings.Contains(got, "۲۷") || !strings.Contains(got, "۲۰۲۶") || !strings.Contains(got, "۶") || !strings.Contains(got, "۱۴۰۵") || !strings.Contains(got, l.T("solar_month.9")) {
			t.Errorf("%s date %q lacks 27 Nov 2026 or 6 Qaws 1405 in its digits", l.Lang(), got)
		}
		if strings.ContainsAny(got, "0123456789") {
			t.Errorf("%s date %q has Western digits", l.Lang(), got)
		}
	}
	if ur := tr.Locale("ur"); ur.Lang() == "ur" {
		if got := ur.Number(1234); got != "1,234" {
			t.Errorf("ur by default: %q", got)
		}
		if got := ur.T("board.sparkline_caption"); !strings.Contains(got, "14") {
			t.Errorf("ur by default writes the catalog's 14 as %q", got)
		}
		if err := tr.UseEasternDigits("ur"); err != nil {
			t.Fatal(err)
		}
		if got := ur.Number(1234); got != "۱٬۲۳۴" {
			t.Errorf("ur with eastern digits: %q", got)
		}
		// The numbers written into the catalog's sentences follow, but not
		// the digits of names, codes and times, nor the arguments' text.
		for id, want := range map[string]string{
			"board.sparkline_caption":          "۱۴",
			"admin_categories.value_hint":      "US$ ۱٬۰۰۰٬۰۰۰",
			"validation.not_a_share":           "۰٫۰۸",
			"admin_crossings.latitude_hint":    "۳۴٫۱۰",
			"validation.instant_format":        "RFC 3339",
			"admin_crossings.hours_hint":       "08:00–17:00",
			"import.file_hint":                 "UTF-8",
			"reports.error_week_format":        "2026-W47",
			"crossing.no_closures":             "۱۲",
			"status_form.backdate_officer":     "۷",
			"admin_users.username_hint":        "۲",
			"validation.csv_utf16":             "UTF-16",
			"reports.sha256":                   "SHA-256",
			"admin_limits.hint":                "۱۰۰٬۰۰۰",
			"admin_categories.spoilage_hint":   "۸ %",
			"admin_categories.shelf_life_hint": "۳۶۵",
		} {
			if got := ur.T(id, "Field", "officer2", "Value", "2026-W99", "Max", 5); !strings.Contains(got, want) {
				t.Errorf("ur with eastern digits, %s = %q; want %q in it", id, got, want)
			}
		}
		if got := ur.T("validation.instant_format", "Field", "officer2", "Value", "x1"); !strings.Contains(got, "officer2") || !strings.Contains(got, "x1") {
			t.Errorf("an argument's digits were changed: %q", got)
		}
		if got := ur.T("unit.loaded_trucks", "Count", 3); got != "۳ لدے ٹرک" {
			t.Errorf("a plural message with eastern digits: %q", got)
		}
	}
}

// Every text a template shows goes through the catalogs: no letters in a
// template outside {{...}} actions, tags and comments, and none in the
// attributes a reader sees or hears.
func TestTemplatesShowNoTextOutsideTheCatalogs(t *testing.T) {
	action := regexp.MustCompile(`(?s)\{\{.*?\}\}`)
	comment := regexp.MustCompile(`(?s)<!--.*?-->`)
	script := regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>`)
	tag := regexp.MustCompile(`(?s)<[^>]*>`)
	readable := regexp.MustCompile(`\b(?:title|aria-label|placeholder|alt)="([^"]*)"`)
	letters := regexp.MustCompile(`\p{L}{2,}`)
	err := fs.WalkDir(borderflow.Files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(borderflow.Files, p)
		if err != nil {
			return err
		}
		text := action.ReplaceAllString(string(src), "")
		for _, m := range readable.FindAllStringSubmatch(text, -1) {
			if letters.MatchString(m[1]) {
				t.Errorf("%s: attribute %q is not translated", p, m[0])
			}
		}
		text = tag.ReplaceAllString(script.ReplaceAllString(comment.ReplaceAllString(text, ""), ""), "\n")
		for _, line := range strings.Split(text, "\n") {
			if w := letters.FindString(line); w != "" {
				t.Errorf("%s: %q is shown without the catalogs", p, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The reader's choice from the menu wins over ?lang=, which wins over the
// browser's Accept-Language; right-to-left languages get dir="rtl" and the
// Arabic-script font, English neither.
func TestLanguageChoiceOrderAndDirection(t *testing.T) {
	a := newSQLiteApp(t)
	cases := []struct {
		path, cookie, accept, lang, dir string
	}{
		{"/", "", "", "en", "ltr"},
		{"/", "", "ps,en;q=0.5", "ps", "rtl"},
		{"/?lang=fa-AF", "", "ps", "fa-AF", "rtl"},
		{"/?lang=fa-AF", "en", "ps", "en", "ltr"},
		{"/", "ps", "fa-AF", "ps", "rtl"},
		{"/", "xx", "de", "en", "ltr"},
	}
	for _, c := range cases {
		header := []string{"Accept-Language", c.accept}
		if c.cookie != "" {
			header = append(header, "Cookie", languageCookie+"="+c.cookie)
		}
		doc := page(t, get(t, a, c.path, header...))
		html := doc.Find("html")
		if lang, _ := html.Attr("lang"); lang != c.lang {
			t.Errorf("%+v: lang %q, want %q", c, lang, c.lang)
		}
		if dir, _ := html.Attr("dir"); dir != c.dir {
			t.Errorf("%+v: dir %q, want %q", c, dir, c.dir)
		}
		rtlCSS := doc.Find(`link[href*="rtl.css"]`).Length() == 1
		if rtlCSS != (c.dir == "rtl") {
			t.Errorf("%+v: loads rtl.css: %v", c, rtlCSS)
		}
		if doc.Find("form.languages button").Length() < 3 {
			t.Errorf("%+v: no language menu", c)
		}
	}
}

// The menu keeps the choice in a cookie and goes back to the page; a post
// from another site, an unknown language or a foreign "next" change nothing
// harmful.
func TestLanguageMenu(t *testing.T) {
	a := newSQLiteApp(t)
	post := func(form map[string]string, header ...string) *http.Response {
		values := url.Values{}
		for k, v := range form {
			values.Set(k, v)
		}
		req := httptest.NewRequest(http.MethodPost, "/lang", strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		return rec.Result()
	}
	resp := post(map[string]string{"lang": "ps", "page": "/crossings/torkham?direction=to_pakistan"}, "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/crossings/torkham?direction=to_pakistan" {
		t.Fatalf("choosing Pashto: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == languageCookie {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "ps" || !cookie.HttpOnly || cookie.MaxAge < 300*24*3600 {
		t.Fatalf("language cookie: %+v", cookie)
	}
	if resp := post(map[string]string{"lang": "ps", "page": "/"}, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("a post from another site: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp := post(map[string]string{"lang": "ps", "page": "/"}, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post with a foreign Origin: %d", resp.StatusCode)
	}
	if resp := post(map[string]string{"lang": "de", "page": "/"}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown language: %d", resp.StatusCode)
	}
	if resp := post(map[string]string{"lang": "fa-AF", "page": "//evil.example/"}); resp.Header.Get("Location") != "/" {
		t.Errorf("a foreign next: to %q", resp.Header.Get("Location"))
	}
}

// A staff user's choice is kept in their profile and comes back when they
// sign in on another device.
func TestLanguageChoiceFollowsTheStaffUser(t *testing.T) {
	a := newSQLiteApp(t)
	createAccount(t, a, "wali", models.RoleOfficer, "torkham")
	phone := signIn(t, a, "wali", testPassword)
	if rec := phone.post("/lang", url.Values{"lang": {"fa-AF"}, "page": {"/staff"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("choosing Dari: %d", rec.Code)
	}
	laptop := signIn(t, a, "wali", testPassword)
	if c := laptop.cookies[languageCookie]; c == nil || c.Value != "fa-AF" {
		t.Fatalf("after signing in elsewhere the language cookie is %+v, want fa-AF", c)
	}
	if lang, _ := page(t, laptop.get("/staff")).Find("html").Attr("lang"); lang != "fa-AF" {
		t.Errorf("the staff home is in %q, want fa-AF", lang)
	}
}

// In a right-to-left page the charts run from right to left (their bars
// mirrored, their labels on the mirrored side) and the numbers are written
// in the language's digits; in English nothing is mirrored.
func TestChartsRunRightToLeftInRTLPages(t *testing.T) {
	a := newSQLiteApp(t)
	boardFixture(t, a)
	for _, c := range []struct {
		lang   string
		mirror bool
	}{{"en", false}, {"ps", true}} {
		doc := page(t, get(t, a, "/crossings/torkham?lang="+c.lang))
		mirrored := doc.Find(`figure.chart svg > g[transform^="matrix(-1"]`).Length()
		if c.mirror && mirrored != 2 || !c.mirror && mirrored != 0 {
			t.Errorf("%s: %d mirrored chart groups", c.lang, mirrored)
		}
		anchor, _ := doc.Find("figure.stacked svg > text").First().Attr("text-anchor")
		if want := map[bool]string{false: "end", true: "start"}[c.mirror]; anchor != want {
			t.Errorf("%s: axis labels anchored %q, want %q", c.lang, anchor, want)
		}
		board := page(t, get(t, a, "/?lang="+c.lang))
		if got := board.Find(`.sparkline svg > g[transform^="matrix(-1"]`).Length(); (got > 0) != c.mirror {
			t.Errorf("%s: %d mirrored sparklines", c.lang, got)
		}
		if c.mirror && !strings.Contains(doc.Find("table.figures").Text(), "۱٬۳۲۶") {
			t.Errorf("%s: the figures table does not write 1,326 as ۱٬۳۲۶", c.lang)
		}
	}
}

// A reader in Pashto sees the cargo categories by their Pashto names (the
// glossary's), and numbers in message texts in Pashto digits; English
// keeps the names staff gave the categories.
func TestCategoryNamesAndNumbersInTheReadersLanguage(t *testing.T) {
	a := newSQLiteApp(t)
	boardFixture(t, a)
	legend := func(lang string) []string {
		return texts(page(t, get(t, a, "/crossings/torkham?lang="+lang)).Find("figure.stacked figcaption.legend span"))
	}
	en, ps := legend("en"), legend("ps")
	if len(en) == 0 || len(en) != len(ps) {
		t.Fatalf("legends: en %q, ps %q", en, ps)
	}
	if !slices.Contains(en, "Medicines and medical supplies") || !slices.Contains(ps, "درمل او طبي توکي") {
		t.Errorf("medicines: en %q, ps %q", en, ps)
	}
	for _, name := range ps {
		if slices.Contains(en, name) {
			t.Errorf("the Pashto legend keeps the English name %q", name)
		}
	}
	l := a.translator.Locale("ps")
	if got := l.N("duration.days", 90); !strings.Contains(got, "۹۰") || strings.Contains(got, "90") {
		t.Errorf("ps 90 days: %q", got)
	}
	if got := l.T("reports.of_days", "Count", 5, "Days", 7); !strings.Contains(got, "۵") || !strings.Contains(got, "۷") || strings.ContainsAny(got, "57") {
		t.Errorf("ps 5 of 7 days: %q", got)
	}
	if got := a.translator.Locale("en").Decimal(1234.56, 1); got != "1,234.6" {
		t.Errorf("en decimal: %q", got)
	}
	if got := l.Decimal(-0.25, 1); got != "-۰٫۲" { // FormatFloat rounds half to even
		t.Errorf("ps decimal: %q", got)
	}
}
