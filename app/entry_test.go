package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
	"borderflow/models/testdb"
)

// entryDay is the crossing's local day offset by days from today.
func entryDay(t *testing.T, a *App, slug string, days int) models.Date {
	t.Helper()
	c, err := models.CrossingBySlug(context.Background(), a.db, slug)
	if err != nil {
		t.Fatal(err)
	}
	return models.DateOf(a.now(), c.Location()).AddDays(days)
}

// entryValues is the entry form for day at base version, with the cells
// given as "direction.category.regime.measure" → text.
func entryValues(day models.Date, base int, cells map[string]string) url.Values {
	v := url.Values{"date": {day.String()}, "base_version": {strconv.Itoa(base)}}
	for name, text := range cells {
		v.Set(name, text)
	}
	return v
}

// typicalDay is a day at Torkham as an officer types it.
var typicalDay = map[string]string{
	"to_afghanistan.cement.bilateral.trucks":    "90",
	"to_afghanistan.cement.bilateral.tonnes":    "3600",
	"to_afghanistan.cement.bilateral.value_usd": "225000",
	"to_afghanistan.medicine.bilateral.trucks":  "12",
	"to_pakistan.coal.bilateral.trucks":         "140",
	"to_pakistan.empty.bilateral.trucks":        "80",
}

// postEntry loads the day's form (for its CSRF token) and posts cells.
func postEntry(b *staffClient, slug string, day models.Date, base int, cells map[string]string) *httptest.ResponseRecorder {
	b.t.Helper()
	b.get(entryPath(slug, day))
	return b.post(entryPath(slug, day), entryValues(day, base, cells))
}

// storedFigures counts the figure rows of every crossing.
func storedFigures(t *testing.T, a *App) int64 {
	t.Helper()
	var n int64
	if err := a.db.Model(&models.DailyFigure{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// inputValue is the value of the form input named name.
func inputValue(doc *goquery.Document, name string) string {
	v, _ := doc.Find(`[name="` + name + `"]`).Attr("value")
	return v
}

func TestOfficerEntersADayAndTheBoardShowsItAtOnce(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		officer := createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		today := entryDay(t, a, "torkham", 0)

		board := page(t, get(t, a, "/"))
		if got := strings.TrimSpace(board.Find("#crossing-torkham .counts tbody tr").First().Find("td").First().Text()); got != "no report yet" {
			t.Fatalf("before the save the board reads %q", got)
		}
		rec := b.get("/staff/crossings/torkham/entry")
		if rec.Code != http.StatusOK {
			t.Fatalf("entry page: %d", rec.Code)
		}
		doc := page(t, rec)
		if got := inputValue(doc, "date"); got != today.String() {
			t.Errorf("the form is for %q, want today at Torkham %s", got, today)
		}
		if inputValue(doc, "base_version") != "0" || doc.Find(`input[name="to_afghanistan.cement.bilateral.trucks"][inputmode="numeric"]`).Length() != 1 ||
			doc.Find(`label[for="to_pakistan.coal.bilateral.trucks"]`).Text() != "Trucks (Coal, To Pakistan)" {
			t.Errorf("the grid lacks its inputs or labels")
		}
		if doc.Find(".empty-grid input").Length() != 2 || doc.Find("#loaded-grid input[name^='to_afghanistan.empty']").Length() != 0 {
			t.Errorf("empty trucks are not apart from loaded ones")
		}

		rec = b.post("/staff/crossings/torkham/entry?date="+today.String(), entryValues(today, 0, typicalDay))
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || loc != entryPath("torkham", today)+"&saved=1" {
			t.Fatalf("save: %d to %q: %s", rec.Code, loc, excerpt(rec.Body.String(), "problems"))
		}
		doc = page(t, b.get(rec.Header().Get("Location")))
		if got := doc.Find(".notice[role=status]").Text(); !strings.Contains(got, "The figures are saved") {
			t.Errorf("notice after saving: %q", got)
		}
		if inputValue(doc, "to_afghanistan.cement.bilateral.trucks") != "90" || inputValue(doc, "to_afghanistan.cement.bilateral.value_usd") != "225000" ||
			inputValue(doc, "base_version") != "1" {
			t.Errorf("the reopened day does not show what is stored")
		}
		totals := texts(doc.Find("output[data-total-for]"))
		if strings.Join(totals, " ") != "102 140" {
			t.Errorf("totals %q, want 102 and 140 loaded (the 80 empty trucks apart)", totals)
		}
		if got := doc.Find(".badge").Text(); got != "provisional" {
			t.Errorf("the day is shown as %q", got)
		}

		board = page(t, get(t, a, "/"))
		rows := board.Find("#crossing-torkham .counts tbody tr")
		if got := strings.Fields(rows.Eq(0).Find("td").First().Text()); len(got) == 0 || got[0] != "102" {
			t.Errorf("the board shows %q to Afghanistan today, want 102", got)
		}
		if got := strings.Fields(rows.Eq(1).Find("td").First().Text()); len(got) == 0 || got[0] != "140" {
			t.Errorf("the board shows %q to Pakistan today, want 140", got)
		}

		audits := auditOf(t, a, "crossing_day", "torkham/"+today.String())
		if len(audits) != 1 || audits[0].Action != "create" || audits[0].Before != "" {
			t.Fatalf("audit = %+v", audits)
		}
		checkAuditedBy(t, audits[0], "gul.khan", officer.ID)
		after := auditValues(t, audits[0].After)
		if figures, _ := after["figures"].([]any); len(figures) != 4 {
			t.Errorf("audit after = %v", after)
		}
	})
}

func TestEntryRefusesBadInputNamingFieldAndRuleAndKeepsWhatWasTyped(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		yesterday := entryDay(t, a, "torkham", -1)
		cement := "to_afghanistan.cement.bilateral.trucks"
		cases := []struct {
			name  string
			day   models.Date
			cells map[string]string
			want  string // in the list of problems
			near  string // the input the message sits by, "" for none
		}{
			{"negative", yesterday, map[string]string{cement: "-5"}, "Trucks (Cement and building materials, To Afghanistan) cannot be negative.", cement},
			{"decimal", yesterday, map[string]string{cement: "12.5"}, "Trucks (Cement and building materials, To Afghanistan) must be a whole number", cement},
			{"words", yesterday, map[string]string{cement: "ninety"}, "must be a number written with digits", cement},
			{"huge", yesterday, map[string]string{cement: "99999999999999999999"}, "is larger than", cement},
			{"too many", yesterday, map[string]string{cement: "100001"}, "is larger than 100,000", cement},
			{"negative tonnes", yesterday, map[string]string{cement: "9", "to_afghanistan.cement.bilateral.tonnes": "-1"}, "Tonnes (Cement and building materials, To Afghanistan) cannot be negative.", "to_afghanistan.cement.bilateral.tonnes"},
			{"value with comma", yesterday, map[string]string{cement: "9", "to_afghanistan.cement.bilateral.value_usd": "22,500"}, "without commas", "to_afghanistan.cement.bilateral.value_usd"},
			{"tonnes without trucks", yesterday, map[string]string{"to_afghanistan.cement.bilateral.tonnes": "40"}, "enter the number of trucks", cement},
			{"future day", entryDay(t, a, "torkham", 1), map[string]string{cement: "9"}, "is in the future: today at this crossing is", ""},
			{"before the records", models.NewDate(2019, 12, 31), map[string]string{cement: "9"}, "is before this crossing's records begin (2020-01-01)", ""},
			{"unknown category", yesterday, map[string]string{"to_afghanistan.uranium.bilateral.trucks": "3"}, "“uranium” is not a cargo category", ""},
			{"unknown field", yesterday, map[string]string{cement: "9", "to_afghanistan.cement.bilateral.price": "3"}, "is not part of this form", ""},
			{"nothing", yesterday, map[string]string{}, "enter the day's counts", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				b.get(entryPath("torkham", yesterday))
				rec := b.post(entryPath("torkham", yesterday), entryValues(c.day, 0, c.cells))
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422", rec.Code)
				}
				doc := page(t, rec)
				problems := doc.Find(".problems li").Text()
				if !strings.Contains(problems, c.want) {
					t.Errorf("problems %q lack %q", problems, c.want)
				}
				for name, text := range c.cells {
					if doc.Find(`[name="`+name+`"]`).Length() == 1 && inputValue(doc, name) != text {
						t.Errorf("%s shows %q, want what was typed, %q", name, inputValue(doc, name), text)
					}
				}
				if c.near != "" {
					input := doc.Find(`[name="` + c.near + `"]`)
					described, _ := input.Attr("aria-describedby")
					if inv, _ := input.Attr("aria-invalid"); inv != "true" || doc.Find(`[id="`+described+`"]`).Text() == "" {
						t.Errorf("no message by the input %s", c.near)
					}
				}
				if n := storedFigures(t, a); n != 0 {
					t.Errorf("%d figures stored after a refusal", n)
				}
			})
		}
	})
}

func TestEntryAcceptsEasternArabicDigits(t *testing.T) {
	a := newSQLiteApp(t)
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	b := signIn(t, a, "gul.khan", testPassword)
	day := entryDay(t, a, "torkham", -1)
	rec := postEntry(b, "torkham", day, 0, map[string]string{"to_afghanistan.cement.bilateral.trucks": "۹۰", "to_pakistan.coal.bilateral.trucks": "١٤"})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, excerpt(rec.Body.String(), "problems"))
	}
	doc := page(t, b.get(entryPath("torkham", day)))
	if inputValue(doc, "to_afghanistan.cement.bilateral.trucks") != "90" || inputValue(doc, "to_pakistan.coal.bilateral.trucks") != "14" {
		t.Errorf("stored %q and %q", inputValue(doc, "to_afghanistan.cement.bilateral.trucks"), inputValue(doc, "to_pakistan.coal.bilateral.trucks"))
	}
}

func TestOfficerCannotEnterFiguresForAnotherCrossing(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		logs := captureLog(a)
		day := entryDay(t, a, "chaman", -1)
		b.get("/staff")
		for _, rec := range []*httptest.ResponseRecorder{
			b.get(entryPath("chaman", day)),
			b.post(entryPath("chaman", day), entryValues(day, 0, typicalDay)),
			b.get("/staff/crossings/chaman/status"),
			b.post("/staff/crossings/chaman/status", url.Values{"state": {"closed"}, "reason": {"security"}}),
			b.get("/staff/crossings/chaman/days/" + day.String() + "/history"),
		} {
			if rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", rec.Code)
			}
		}
		if n := storedFigures(t, a); n != 0 {
			t.Errorf("%d figures stored", n)
		}
		var changes int64
		a.db.Model(&models.StatusChange{}).Count(&changes)
		if changes != 0 {
			t.Errorf("%d status changes stored", changes)
		}
		if got := strings.Count(logs.String(), "access denied"); got != 5 || !strings.Contains(logs.String(), "reason=crossing") ||
			!strings.Contains(logs.String(), "user=gul.khan") {
			t.Errorf("%d refusals logged:\n%s", got, logs.String())
		}
		// An administrator may work on every crossing.
		createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		if rec := postEntry(admin, "chaman", day, 0, typicalDay); rec.Code != http.StatusSeeOther {
			t.Errorf("admin save at Chaman: %d", rec.Code)
		}
		if rec := b.get(entryPath("no-such-crossing", day)); rec.Code != http.StatusNotFound {
			t.Errorf("unknown crossing: %d", rec.Code)
		}
	})
}

func TestStaleSaveIsRefusedShowingTheOtherValuesAndWhoSavedThem(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "rahim", models.RoleOfficer, "torkham")
		first := signIn(t, a, "gul.khan", testPassword)
		second := signIn(t, a, "rahim", testPassword)
		day := entryDay(t, a, "torkham", -1)
		second.get(entryPath("torkham", day)) // opened at version 0
		if rec := postEntry(first, "torkham", day, 0, typicalDay); rec.Code != http.StatusSeeOther {
			t.Fatalf("first save: %d", rec.Code)
		}
		mine := map[string]string{"to_afghanistan.cement.bilateral.trucks": "95", "to_pakistan.coal.bilateral.trucks": "140"}
		rec := second.post(entryPath("torkham", day), entryValues(day, 0, mine))
		if rec.Code != http.StatusConflict {
			t.Fatalf("stale save: %d, want 409", rec.Code)
		}
		doc := page(t, rec)
		conflict := doc.Find(".conflict").Text()
		if !strings.Contains(conflict, "gul.khan saved figures for this day") || !strings.Contains(conflict, "Nothing was overwritten") {
			t.Errorf("conflict message: %q", conflict)
		}
		var cement string
		doc.Find(".conflict tbody tr").Each(func(_ int, s *goquery.Selection) {
			if strings.HasPrefix(s.Find("th").Text(), "Cement") && s.Find("td").First().Text() == "To Afghanistan" {
				cement = s.Find(".theirs-value").Text() + " | " + s.Find("td").Last().Text()
			}
		})
		if cement != "90 trucks, 3600 t, US$ 225000 | 95 trucks" {
			t.Errorf("cement row of the conflict: %q", cement)
		}
		if got := doc.Find(`[name="to_afghanistan.cement.bilateral.trucks"]`).Parent().Find(".theirs.differs").Text(); got != "gul.khan: 90" {
			t.Errorf("beside the input: %q", got)
		}
		if inputValue(doc, "to_afghanistan.cement.bilateral.trucks") != "95" || inputValue(doc, "base_version") != "1" {
			t.Errorf("the form should keep 95 and be based on version 1 now")
		}
		stored := page(t, first.get(entryPath("torkham", day)))
		if inputValue(stored, "to_afghanistan.cement.bilateral.trucks") != "90" || inputValue(stored, "to_pakistan.empty.bilateral.trucks") != "80" {
			t.Errorf("the first officer's figures were overwritten")
		}
		// Saving again from the conflict page is a deliberate overwrite.
		rec = second.post(entryPath("torkham", day), entryValues(day, 1, mine))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("deliberate save: %d", rec.Code)
		}
		if audits := auditOf(t, a, "crossing_day", "torkham/"+day.String()); len(audits) != 2 || audits[1].Actor != "rahim" {
			t.Errorf("audits: %+v", audits)
		}
	})
}

func TestEntryFormSentTwiceStoresOnce(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		day := entryDay(t, a, "torkham", -1)
		b.get(entryPath("torkham", day))
		form := entryValues(day, 0, typicalDay)
		for i := range 2 {
			if rec := b.post(entryPath("torkham", day), form); rec.Code != http.StatusSeeOther {
				t.Fatalf("send %d: %d %s", i+1, rec.Code, excerpt(rec.Body.String(), "conflict"))
			}
		}
		if n := storedFigures(t, a); n != 4 {
			t.Errorf("%d figures stored, want 4", n)
		}
		if audits := auditOf(t, a, "crossing_day", "torkham/"+day.String()); len(audits) != 1 {
			t.Errorf("%d audit records, want 1", len(audits))
		}
		doc := page(t, b.get(entryPath("torkham", day)))
		if inputValue(doc, "base_version") != "1" {
			t.Errorf("version %s after a resend, want 1", inputValue(doc, "base_version"))
		}
	})
}

func TestFiguresAboveTheLimitNeedASupervisor(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		createAccount(t, a, "amina", models.RoleSupervisor, "torkham")
		officer := signIn(t, a, "gul.khan", testPassword)
		day := entryDay(t, a, "torkham", -1)
		busy := map[string]string{"to_afghanistan.cement.bilateral.trucks": "700", "to_afghanistan.food_staples.bilateral.trucks": "500"}
		withConfirm := entryValues(day, 0, busy)
		withConfirm.Set("confirm", "1")
		officer.get(entryPath("torkham", day))
		for _, form := range []url.Values{entryValues(day, 0, busy), withConfirm} {
			rec := officer.post(entryPath("torkham", day), form)
			doc := page(t, rec)
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(doc.Find("#entry-form").Text(), "A supervisor must confirm") ||
				doc.Find(`input[name=confirm]`).Length() != 0 {
				t.Errorf("officer above the limit: %d, confirm box %d", rec.Code, doc.Find(`input[name=confirm]`).Length())
			}
			if got := doc.Find(".problems li").Text(); !strings.Contains(got, "Total loaded trucks To Afghanistan is 1,200, above this crossing's plausibility limit of 1,000 a day.") {
				t.Errorf("message: %q", got)
			}
		}
		if n := storedFigures(t, a); n != 0 {
			t.Errorf("%d figures stored", n)
		}
		supervisor := signIn(t, a, "amina", testPassword)
		supervisor.get(entryPath("torkham", day))
		doc := page(t, supervisor.post(entryPath("torkham", day), entryValues(day, 0, busy)))
		if doc.Find(`input[name=confirm]`).Length() != 1 {
			t.Fatal("a supervisor is not offered to confirm")
		}
		withConfirm.Del("_csrf") // the officer's token, set by the officer's posts
		if rec := supervisor.post(entryPath("torkham", day), withConfirm); rec.Code != http.StatusSeeOther {
			t.Fatalf("confirmed: %d", rec.Code)
		}
		after := auditValues(t, auditOf(t, a, "crossing_day", "torkham/"+day.String())[0].After)
		if after["confirmed_over_limit"] != true {
			t.Errorf("the audit does not record the confirmation: %v", after)
		}
	})
}

func TestValueFarFromTheUsualIsFlaggedNotRefused(t *testing.T) {
	a := newSQLiteApp(t)
	createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
	b := signIn(t, a, "gul.khan", testPassword)
	day := entryDay(t, a, "torkham", -1)
	rec := postEntry(b, "torkham", day, 0, map[string]string{"to_afghanistan.cement.bilateral.trucks": "10",
		"to_afghanistan.cement.bilateral.value_usd": "2500000"})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", rec.Code)
	}
	doc := page(t, b.get(entryPath("torkham", day)))
	warning := doc.Find(`[name="to_afghanistan.cement.bilateral.value_usd"]`).Parent().Find(".warning").Text()
	if !strings.Contains(warning, "US$ 250,000 a truck is far from the usual US$ 2,500") {
		t.Errorf("warning %q", warning)
	}
	if _, open := doc.Find("details.extras").First().Attr("open"); !open {
		t.Error("the section with the flagged value is closed")
	}
}

func TestExpiredSessionMidFormWritesNothing(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "gul.khan", models.RoleOfficer, "torkham")
		b := signIn(t, a, "gul.khan", testPassword)
		day := entryDay(t, a, "torkham", -1)
		b.get(entryPath("torkham", day))
		// The session ends on the server (timeout or sign-out elsewhere) while the form is open.
		if err := a.db.Exec("DELETE FROM sessions").Error; err != nil {
			t.Fatal(err)
		}
		rec := b.post(entryPath("torkham", day), entryValues(day, 0, typicalDay))
		redirectsToSignIn(t, rec)
		loc := rec.Header().Get("Location")
		if loc != "/login?next="+url.QueryEscape(entryPath("torkham", day)) {
			t.Errorf("sent to %q, want the sign-in page keeping the day in the address", loc)
		}
		if n := storedFigures(t, a); n != 0 {
			t.Errorf("%d figures stored without a session", n)
		}
		// Signing in there leads back to the same day's form, where the
		// browser restores what was typed.
		next, _ := page(t, b.get(loc)).Find(`input[name="next"]`).Attr("value")
		rec = b.post("/login", url.Values{"username": {"gul.khan"}, "password": {testPassword}, "next": {next}})
		if got := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || got != entryPath("torkham", day) {
			t.Errorf("after signing in: %d to %q, want %s", rec.Code, got, entryPath("torkham", day))
		}
		if v, _ := page(t, b.get(entryPath("torkham", day))).Find(`input[name="date"]`).Attr("value"); v != day.String() {
			t.Errorf("the form is for %q, want %s", v, day)
		}
		// Without the CSRF token: refused, nothing written.
		b = signIn(t, a, "gul.khan", testPassword)
		form := entryValues(day, 0, typicalDay)
		form.Set("_csrf", "forged")
		if rec := b.post(entryPath("torkham", day), form); rec.Code != http.StatusForbidden {
			t.Errorf("forged CSRF token: %d", rec.Code)
		}
		if n := storedFigures(t, a); n != 0 {
			t.Errorf("%d figures stored with a forged token", n)
		}
	})
}
