package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"borderflow/models"
	"borderflow/models/testdb"
)

// apiFixture stores, as of now (12:00 PKT on 27 Nov 2026): Torkham open
// since 28 Oct, restricted to humanitarian cargo on 20 Nov, closed for
// security on 24 Nov at 08:00 PKT and due to reopen in two days; Chaman
// open since 1 Nov and closed by a protest on 26 Nov at 09:30 PKT; and
// Torkham's figures of 22 and 23 Nov.
type apiFixture struct {
	now     time.Time
	torkham map[string]models.StatusChange // by name: open, restricted, closed, announced
	chaman  map[string]models.StatusChange // open, closed
}

var pkt = time.FixedZone("PKT", 5*3600)

func newAPIFixture(t *testing.T, a *App) apiFixture {
	t.Helper()
	ctx := context.Background()
	db := a.DB()
	torkham, err := models.CrossingBySlug(ctx, db, "torkham")
	if err != nil {
		t.Fatal(err)
	}
	chaman, err := models.CrossingBySlug(ctx, db, "chaman")
	if err != nil {
		t.Fatal(err)
	}
	categories, err := models.CargoCategories(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	category := map[string]int64{}
	for _, c := range categories {
		category[c.Code] = c.ID
	}
	f := apiFixture{now: time.Date(2026, 11, 27, 12, 0, 0, 0, pkt),
		torkham: map[string]models.StatusChange{}, chaman: map[string]models.StatusChange{}}
	a.now = func() time.Time { return f.now }

	security, documentation, protest := models.ReasonSecurity, models.ReasonDocumentation, models.ReasonProtest
	humanitarian := models.ScopeHumanitarianOnly
	change := func(crossing int64, state models.State, scope *models.Scope, reason *models.Reason, note string, at time.Time) models.StatusChange {
		return models.StatusChange{CrossingID: crossing, State: state, Scope: scope, Reason: reason, Note: note,
			EffectiveAt: at, RecordedAt: at.Add(10 * time.Minute), Source: "form"}
	}
	named := []struct {
		into map[string]models.StatusChange
		name string
		models.StatusChange
	}{
		{f.torkham, "open", change(torkham.ID, models.StateOpen, nil, nil, "", time.Date(2026, 10, 28, 12, 0, 0, 0, pkt))},
		{f.torkham, "restricted", change(torkham.ID, models.StateRestricted, &humanitarian, &documentation, "", time.Date(2026, 11, 20, 7, 0, 0, 0, pkt))},
		{f.torkham, "closed", change(torkham.ID, models.StateClosed, nil, &security, "Firing near the gate", time.Date(2026, 11, 24, 8, 0, 0, 0, pkt))},
		// Recorded in advance: nothing public shows it before it takes effect.
		{f.torkham, "announced", change(torkham.ID, models.StateOpen, nil, nil, "Reopens after the flag meeting", f.now.Add(48*time.Hour))},
		{f.chaman, "open", change(chaman.ID, models.StateOpen, nil, nil, "", time.Date(2026, 11, 1, 8, 0, 0, 0, pkt))},
		{f.chaman, "closed", change(chaman.ID, models.StateClosed, nil, &protest, "Traders' sit-in on the access road", time.Date(2026, 11, 26, 9, 30, 0, 0, pkt))},
	}
	for _, n := range named {
		c := n.StatusChange
		if err := db.Create(&c).Error; err != nil {
			t.Fatal(err)
		}
		n.into[n.name] = c
	}

	tonnes, value := 48000.0, 3000000.0
	figure := func(day models.Date, dir models.Direction, code string, trucks int) models.DailyFigure {
		return models.DailyFigure{CrossingID: torkham.ID, Day: day, Direction: dir, CategoryID: category[code],
			Regime: models.RegimeBilateral, Trucks: trucks, Source: "form"}
	}
	cement := figure(models.NewDate(2026, 11, 23), models.ToAfghanistan, "cement", 1200)
	cement.Tonnes, cement.ValueUSD = &tonnes, &value
	figures := []models.DailyFigure{
		figure(models.NewDate(2026, 11, 22), models.ToAfghanistan, "cement", 999),
		figure(models.NewDate(2026, 11, 23), models.ToPakistan, "empty", 300),
		figure(models.NewDate(2026, 11, 23), models.ToPakistan, "coal", 120),
		figure(models.NewDate(2026, 11, 23), models.ToAfghanistan, "medicine", 6),
		cement,
	}
	if err := db.Create(&figures).Error; err != nil {
		t.Fatal(err)
	}
	// A supervisor verified the 23rd; the 22nd is provisional.
	verifiedAt := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	if err := db.Create(&models.CrossingDay{CrossingID: torkham.ID, Day: models.NewDate(2026, 11, 23), Version: 1, VerifiedAt: &verifiedAt}).Error; err != nil {
		t.Fatal(err)
	}
	return f
}

// The API's answers as a client reads them: the documented names only, so
// that a renamed field leaves its value empty here and fails.
type (
	crossingJSON struct {
		Slug        string      `json:"slug"`
		Name        string      `json:"name"`
		AfghanSide  string      `json:"afghan_side"`
		Province    string      `json:"province"`
		Latitude    float64     `json:"latitude"`
		Longitude   float64     `json:"longitude"`
		TimeZone    string      `json:"time_zone"`
		Hours       string      `json:"hours"`
		RecordsFrom string      `json:"records_from"`
		Status      *statusJSON `json:"status"`
		LatestDay   *struct {
			Date          string `json:"date"`
			ToAfghanistan int    `json:"to_afghanistan"`
			ToPakistan    int    `json:"to_pakistan"`
			Unit          string `json:"unit"`
		} `json:"latest_day"`
		LastUpdated *string `json:"last_updated"`
	}
	statusJSON struct {
		State       string  `json:"state"`
		Scope       *string `json:"scope"`
		Reason      *string `json:"reason"`
		Note        string  `json:"note"`
		EffectiveAt string  `json:"effective_at"`
		RecordedAt  string  `json:"recorded_at"`
	}
	figuresJSON struct {
		Crossing string `json:"crossing"`
		From     string `json:"from"`
		To       string `json:"to"`
		Unit     string `json:"unit"`
		Figures  []struct {
			Date      string   `json:"date"`
			Direction string   `json:"direction"`
			Category  string   `json:"category"`
			Loaded    bool     `json:"loaded"`
			Regime    string   `json:"regime"`
			Trucks    int      `json:"trucks"`
			Tonnes    *float64 `json:"tonnes"`
			ValueUSD  *float64 `json:"value_usd"`
			Verified  bool     `json:"verified"`
		} `json:"figures"`
	}
	historyJSON struct {
		Crossing string       `json:"crossing"`
		From     string       `json:"from"`
		To       string       `json:"to"`
		Changes  []statusJSON `json:"changes"`
	}
)

// getJSON gets path, expects status and JSON, and decodes the body into v.
func getJSON(t *testing.T, a *App, path string, status int, v any) *httptest.ResponseRecorder {
	t.Helper()
	rec := get(t, a, path)
	if rec.Code != status {
		t.Fatalf("GET %s = %d, want %d: %s", path, rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s content type = %q, want application/json", path, ct)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: body is not the JSON expected: %v\n%s", path, err, rec.Body)
	}
	return rec
}

func TestAPIListsCrossingsWithStatusAndLatestLoadedTrucks(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		var list struct {
			Crossings []crossingJSON `json:"crossings"`
		}
		rec := getJSON(t, a, "/api/v1/crossings", http.StatusOK, &list)
		if len(list.Crossings) != 2 || list.Crossings[0].Slug != "torkham" || list.Crossings[1].Slug != "chaman" {
			t.Fatalf("crossings = %+v, want torkham then chaman", list.Crossings)
		}
		torkham := list.Crossings[0]
		if torkham.Name != "Torkham" || torkham.AfghanSide != "Torkham (Nangarhar)" || torkham.Province != "Khyber Pakhtunkhwa" ||
			torkham.Latitude != 34.10 || torkham.Longitude != 71.09 || torkham.TimeZone != "Asia/Karachi" ||
			torkham.RecordsFrom != "2020-01-01" || !strings.Contains(torkham.Hours, "24 hours") {
			t.Errorf("torkham's particulars = %+v", torkham)
		}
		// The closure is in effect; the reopening announced for later is not.
		s := torkham.Status
		if s == nil || s.State != "closed" || s.Scope != nil || s.Reason == nil || *s.Reason != "security" ||
			s.Note != "Firing near the gate" || s.EffectiveAt != "2026-11-24T03:00:00Z" || s.RecordedAt != "2026-11-24T03:10:00Z" {
			t.Errorf("torkham status = %+v, want closed for security since 2026-11-24T03:00:00Z", s)
		}
		// Empty trucks are not loaded trucks: 1,200 cement + 6 medicine, 120 coal.
		d := torkham.LatestDay
		if d == nil || d.Date != "2026-11-23" || d.ToAfghanistan != 1206 || d.ToPakistan != 120 || d.Unit != "loaded_trucks" {
			t.Errorf("torkham latest_day = %+v, want 2026-11-23 with 1206 and 120 loaded trucks", d)
		}
		if torkham.LastUpdated == nil || !strings.HasSuffix(*torkham.LastUpdated, "Z") {
			t.Errorf("torkham last_updated = %v, want an RFC 3339 UTC instant", torkham.LastUpdated)
		} else if _, err := time.Parse(time.RFC3339, *torkham.LastUpdated); err != nil {
			t.Errorf("torkham last_updated: %v", err)
		}
		chaman := list.Crossings[1]
		if chaman.Status == nil || chaman.Status.State != "closed" || *chaman.Status.Reason != "protest" ||
			chaman.Status.EffectiveAt != "2026-11-26T04:30:00Z" {
			t.Errorf("chaman status = %+v, want closed by a protest since 2026-11-26T04:30:00Z", chaman.Status)
		}
		if chaman.LatestDay != nil {
			t.Errorf("chaman has no figures but latest_day = %+v, want null", chaman.LatestDay)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=60" {
			t.Errorf("Cache-Control = %q", cc)
		}

		// One crossing alone is the same object as in the list.
		var one map[string]any
		getJSON(t, a, "/api/v1/crossings/torkham", http.StatusOK, &one)
		var all struct {
			Crossings []map[string]any `json:"crossings"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &all)
		gotOne, _ := json.Marshal(one)
		inList, _ := json.Marshal(all.Crossings[0])
		if string(gotOne) != string(inList) {
			t.Errorf("GET /api/v1/crossings/torkham =\n%s\nwant the list's entry\n%s", gotOne, inList)
		}
	})
}

func TestAPIUnknownCrossingIsA404InTheErrorShape(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		for _, path := range []string{
			"/api/v1/crossings/nowhere",
			"/api/v1/crossings/nowhere/figures",
			"/api/v1/crossings/nowhere/figures?format=csv",
			"/api/v1/crossings/nowhere/status-history",
			// PostgreSQL refuses a NUL byte or invalid UTF-8 in a query: still a 404.
			"/api/v1/crossings/nowhere%00/figures",
			"/api/v1/crossings/nowhere%ff%fe/status-history",
		} {
			var body apiError
			getJSON(t, a, path, http.StatusNotFound, &body)
			if body.Error.Code != "not_found" || !strings.Contains(body.Error.Message, "'nowhere") {
				t.Errorf("GET %s error = %+v, want not_found naming 'nowhere'", path, body.Error)
			}
		}
		// An inactive crossing is as unknown to the public as one never made.
		if err := a.DB().Model(&models.Crossing{}).Where("slug = ?", "chaman").Update("active", false).Error; err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/crossings/chaman", "/api/v1/crossings/chaman/figures", "/crossings/chaman/feed.atom", "/crossings/x%00/feed.atom"} {
			if rec := get(t, a, path); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s of an inactive crossing = %d, want 404", path, rec.Code)
			}
		}
	})
}

func TestAPIFiguresInJSONAndCSV(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		var got figuresJSON
		getJSON(t, a, "/api/v1/crossings/torkham/figures?from=2026-11-22&to=2026-11-23", http.StatusOK, &got)
		if got.Crossing != "torkham" || got.From != "2026-11-22" || got.To != "2026-11-23" || got.Unit != "loaded_trucks" {
			t.Errorf("figures header = %+v", got)
		}
		want := []string{
			"2026-11-22 to_afghanistan cement loaded=true bilateral 999 <nil> <nil> verified=false",
			"2026-11-23 to_afghanistan cement loaded=true bilateral 1200 48000 3e+06 verified=true",
			"2026-11-23 to_afghanistan medicine loaded=true bilateral 6 <nil> <nil> verified=true",
			"2026-11-23 to_pakistan coal loaded=true bilateral 120 <nil> <nil> verified=true",
			"2026-11-23 to_pakistan empty loaded=false bilateral 300 <nil> <nil> verified=true",
		}
		var rows []string
		for _, f := range got.Figures {
			rows = append(rows, fmt.Sprintf("%s %s %s loaded=%t %s %d %s %s verified=%t", f.Date, f.Direction, f.Category,
				f.Loaded, f.Regime, f.Trucks, orNil(f.Tonnes), orNil(f.ValueUSD), f.Verified))
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Errorf("figures =\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}

		rec := get(t, a, "/api/v1/crossings/torkham/figures?from=2026-11-22&to=2026-11-23&format=csv")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("CSV = %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		if cd := rec.Header().Get("Content-Disposition"); cd != `attachment; filename="torkham-figures-2026-11-22-2026-11-23.csv"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		wantCSV := "date,crossing,direction,category,regime,trucks,tonnes,value_usd,verified\n" +
			"2026-11-22,torkham,to_afghanistan,cement,bilateral,999,,,false\n" +
			"2026-11-23,torkham,to_afghanistan,cement,bilateral,1200,48000,3000000,true\n" +
			"2026-11-23,torkham,to_afghanistan,medicine,bilateral,6,,,true\n" +
			"2026-11-23,torkham,to_pakistan,coal,bilateral,120,,,true\n" +
			"2026-11-23,torkham,to_pakistan,empty,bilateral,300,,,true\n"
		if rec.Body.String() != wantCSV {
			t.Errorf("CSV =\n%s\nwant\n%s", rec.Body, wantCSV)
		}

		// Without from and to: the 30 days ending today at the crossing.
		var recent figuresJSON
		getJSON(t, a, "/api/v1/crossings/torkham/figures", http.StatusOK, &recent)
		if recent.From != "2026-10-29" || recent.To != "2026-11-27" || len(recent.Figures) != 5 {
			t.Errorf("default range = %s to %s with %d rows, want 2026-10-29 to 2026-11-27 with 5", recent.From, recent.To, len(recent.Figures))
		}
		// A day without figures is an empty list, not null.
		rec = get(t, a, "/api/v1/crossings/chaman/figures")
		if !strings.Contains(rec.Body.String(), `"figures":[]`) {
			t.Errorf("chaman without figures = %s, want \"figures\":[]", rec.Body)
		}
	})
}

func orNil(v *float64) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprint(*v)
}

func TestAPIStatusHistory(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		cases := []struct {
			query    string
			from, to string
			want     []string // state/scope/reason at effective_at
		}{
			{"", "2026-08-30", "2026-11-27", []string{
				"open/-/- at 2026-10-28T07:00:00Z",
				"restricted/humanitarian_only/documentation at 2026-11-20T02:00:00Z",
				"closed/-/security at 2026-11-24T03:00:00Z",
			}},
			// The change in effect at the start of from comes first.
			{"?from=2026-11-25&to=2026-11-26", "2026-11-25", "2026-11-26", []string{
				"closed/-/security at 2026-11-24T03:00:00Z",
			}},
			{"?from=2026-11-24&to=2026-11-24", "2026-11-24", "2026-11-24", []string{
				"restricted/humanitarian_only/documentation at 2026-11-20T02:00:00Z",
				"closed/-/security at 2026-11-24T03:00:00Z",
			}},
			// Tomorrow may be asked for, but the reopening announced for it is not yet history.
			{"?from=2026-11-28&to=2026-11-28", "2026-11-28", "2026-11-28", []string{
				"closed/-/security at 2026-11-24T03:00:00Z",
			}},
			{"?from=2026-01-01&to=2026-10-27", "2026-01-01", "2026-10-27", nil},
		}
		for _, c := range cases {
			var h historyJSON
			getJSON(t, a, "/api/v1/crossings/torkham/status-history"+c.query, http.StatusOK, &h)
			var got []string
			for _, s := range h.Changes {
				got = append(got, s.State+"/"+orDash(s.Scope)+"/"+orDash(s.Reason)+" at "+s.EffectiveAt)
			}
			if h.Crossing != "torkham" || h.From != c.from || h.To != c.to || strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("status-history%s = %s %s..%s\n%s\nwant %s..%s\n%s", c.query, h.Crossing, h.From, h.To,
					strings.Join(got, "\n"), c.from, c.to, strings.Join(c.want, "\n"))
			}
			if c.want == nil && !strings.Contains(get(t, a, "/api/v1/crossings/torkham/status-history"+c.query).Body.String(), `"changes":[]`) {
				t.Errorf("status-history%s: no changes should be an empty list", c.query)
			}
		}
	})
}

func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func TestAPIRejectsBadQueriesWithAMessageNamingTheProblem(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		const figures, history = "/api/v1/crossings/torkham/figures", "/api/v1/crossings/torkham/status-history"
		cases := []struct {
			path, field, message string
		}{
			{figures + "?from=2026-13-01", "from", "'2026-13-01' is not a date in the form YYYY-MM-DD"},
			{figures + "?to=27/11/2026", "to", "'27/11/2026' is not a date in the form YYYY-MM-DD"},
			{figures + "?from=2026-02-30", "from", "'2026-02-30' is not a date"},
			{figures + "?from=2026-02-01&to=2026-01-01", "from", "from (2026-02-01) is after to (2026-01-01)"},
			{figures + "?from=2025-01-01&to=2026-01-02", "from", "is 367 days; ask for at most 366 days"},
			{figures + "?format=xml", "format", "format 'xml' is not supported; use json or csv"},
			{figures + "?format=CSV", "format", "use json or csv"},
			{figures + "?from=2019-12-31&to=2020-01-05", "from", "from (2019-12-31) is before 2020-01-01, the first day of records"},
			{figures + "?to=2026-11-29", "to", "to (2026-11-29) is after tomorrow (2026-11-28)"},
			{figures + "?from=2026-11-01&from=2026-11-02", "from", "from is given 2 times"},
			{figures + "?from=" + strings.Repeat("9", 5000), "from", "…' is not a date"},
			{history + "?format=csv", "format", "format 'csv' is not supported; use json"},
			{history + "?to=0001-01-01", "to", "before 2020-01-01"},
			{history + "?from=2030-01-01", "from", "after tomorrow"},
		}
		for _, c := range cases {
			var body apiError
			getJSON(t, a, c.path, http.StatusBadRequest, &body)
			e := body.Error
			if e.Code != "bad_request" || !strings.Contains(e.Fields[c.field], c.message) || !strings.Contains(e.Message, c.message) {
				t.Errorf("GET %.80s: error = %+v, want bad_request with %s: %q", c.path, e, c.field, c.message)
			}
			if len(e.Message) > 300 {
				t.Errorf("GET %.80s: message of %d bytes repeats too much of the input", c.path, len(e.Message))
			}
		}
		// The limits themselves are allowed, empty values are absent and
		// parameters the API does not know are ignored.
		for _, path := range []string{
			figures + "?from=2025-01-01&to=2026-01-01",
			figures + "?to=2026-11-28",
			figures + "?from=2020-01-01&to=2020-01-31",
			figures + "?from=&to=&format=",
			figures + "?format=json&pretty=1&callback=x",
			figures + "?from=%zz&to=2026-11-01",
		} {
			if rec := get(t, a, path); rec.Code != http.StatusOK {
				t.Errorf("GET %s = %d, want 200: %s", path, rec.Code, rec.Body)
			}
		}
	})
}

func TestAPIConditionalGetAnswers304ToItsOwnETag(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		for _, path := range []string{
			"/api/v1/crossings",
			"/api/v1/crossings/chaman",
			"/api/v1/crossings/torkham/figures?from=2026-11-22&to=2026-11-23&format=csv",
			"/api/v1/crossings/torkham/status-history",
			"/api/openapi.yaml",
		} {
			first := get(t, a, path)
			etag := first.Header().Get("ETag")
			if first.Code != http.StatusOK || etag == "" {
				t.Fatalf("GET %s = %d with ETag %q", path, first.Code, etag)
			}
			again := get(t, a, path, "If-None-Match", etag)
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 || again.Header().Get("ETag") != etag {
				t.Errorf("GET %s with its ETag = %d, %d bytes, ETag %q; want 304, no body, the same ETag", path, again.Code, again.Body.Len(), again.Header().Get("ETag"))
			}
			if rec := get(t, a, path, "If-None-Match", `"stale", `+strings.TrimPrefix(etag, "W/")); rec.Code != http.StatusNotModified {
				t.Errorf("GET %s with its ETag among others = %d, want 304", path, rec.Code)
			}
		}

		// A change to the data changes the ETag: the client's copy is stale.
		path := "/api/v1/crossings/chaman"
		etag := get(t, a, path).Header().Get("ETag")
		chaman, err := models.CrossingBySlug(context.Background(), a.DB(), "chaman")
		if err != nil {
			t.Fatal(err)
		}
		reopened := models.StatusChange{CrossingID: chaman.ID, State: models.StateOpen, EffectiveAt: time.Date(2026, 11, 27, 10, 0, 0, 0, pkt), Source: "form"}
		if err := a.DB().Create(&reopened).Error; err != nil {
			t.Fatal(err)
		}
		if rec := get(t, a, path, "If-None-Match", etag); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"state":"open"`) {
			t.Errorf("after Chaman reopened, GET with the old ETag = %d %s, want 200 and open", rec.Code, rec.Body)
		}

		// Whatever a client sends in If-None-Match is at worst a miss.
		for name, header := range map[string]string{
			"huge":      strings.Repeat(`"x",`, 300000),
			"garbage":   "\x01\x02<>{}\"\"W/W/",
			"commas":    strings.Repeat(",", 10000),
			"wrong tag": `W/"not-the-etag"`,
			"unquoted":  strings.Trim(strings.TrimPrefix(etag, "W/"), `"`),
		} {
			rec := get(t, a, path, "If-None-Match", header)
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				t.Errorf("If-None-Match %s = %d with %d bytes, want the full 200", name, rec.Code, rec.Body.Len())
			}
		}
	})
}

func TestAPIIsReadableFromAnyOrigin(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		for _, path := range []string{"/api/v1/crossings", "/api/v1/crossings/torkham/figures", "/api/openapi.yaml"} {
			rec := get(t, a, path, "Origin", "https://trader-tools.example")
			if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("GET %s from another origin = %d, Allow-Origin %q; want 200 and *", path, rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
			}
			if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("GET %s allows credentials", path)
			}
			if exposed := rec.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "ETag") {
				t.Errorf("GET %s exposes %q; a script needs the ETag", path, exposed)
			}
		}
		// A script revalidating with If-None-Match is preflighted.
		req := httptest.NewRequest(http.MethodOptions, "/api/v1/crossings", nil)
		req.Header.Set("Origin", "https://trader-tools.example")
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "if-none-match")
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
			rec.Header().Get("Access-Control-Allow-Methods") != "GET,HEAD" ||
			!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "If-None-Match") {
			t.Errorf("preflight = %d %v", rec.Code, rec.Header())
		}
		// The pages are not an API: no CORS there.
		if rec := get(t, a, "/", "Origin", "https://trader-tools.example"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Error("the board allows other origins")
		}
		// HEAD answers like GET, without a body.
		head := httptest.NewRequest(http.MethodHead, "/api/v1/crossings", nil)
		rec = httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, head)
		if rec.Code != http.StatusOK || rec.Header().Get("ETag") == "" {
			t.Errorf("HEAD /api/v1/crossings = %d, ETag %q", rec.Code, rec.Header().Get("ETag"))
		}
	})
}

// TestRateLimitIsPerClient holds the clock still, so that no token comes
// back during the test: a burst of 40 passes, the 41st waits. The rate limit
// never reads the data, so SQLite alone serves.
func TestRateLimitIsPerClient(t *testing.T) {
	a := newSQLiteApp(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
	a.now = func() time.Time { return now }
	const client, other = "203.0.113.9:40000", "198.51.100.7:5555"
	for i := range clientBurst {
		if rec := getFrom(t, a, client, "/api/openapi.yaml"); rec.Code != http.StatusOK {
			t.Fatalf("request %d of the burst = %d, want 200", i+1, rec.Code)
		}
	}
	for _, path := range []string{"/api/openapi.yaml", "/api/v1/crossings", "/feed.atom", "/crossings/torkham/feed.atom"} {
		rec := getFrom(t, a, client, path)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
			t.Errorf("GET %s past the burst = %d, Retry-After %q; want 429 and 1", path, rec.Code, rec.Header().Get("Retry-After"))
			continue
		}
		var body apiError
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "too_many_requests" || !strings.Contains(body.Error.Message, "wait 1 s") {
			t.Errorf("GET %s 429 body = %s (%v), want the error shape saying how long to wait", path, rec.Body, err)
		}
	}
	// Without trusted proxies, X-Forwarded-For is the client's own claim.
	if rec := getFrom(t, a, client, "/api/openapi.yaml", "X-Forwarded-For", "192.0.2.77"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For escaped the limit: %d", rec.Code)
	}
	if rec := getFrom(t, a, other, "/api/openapi.yaml"); rec.Code != http.StatusOK {
		t.Errorf("another client = %d, want 200", rec.Code)
	}
	// The pages are not limited here.
	if rec := getFrom(t, a, client, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("/healthz for a limited client = %d", rec.Code)
	}
	// A second later, ten more requests pass, and no more.
	now = now.Add(time.Second)
	for i := range clientRate {
		if rec := getFrom(t, a, client, "/api/openapi.yaml"); rec.Code != http.StatusOK {
			t.Fatalf("request %d a second later = %d, want 200", i+1, rec.Code)
		}
	}
	if rec := getFrom(t, a, client, "/api/openapi.yaml"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("the 11th request a second later = %d, want 429", rec.Code)
	}
}

func TestRateLimitBehindATrustedProxyIsPerForwardedClient(t *testing.T) {
	a := newSQLiteApp(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
	a.now = func() time.Time { return now }
	_, proxies, _ := net.ParseCIDR("10.0.0.0/8")
	a.echo.IPExtractor = ipExtractor([]*net.IPNet{proxies})
	const proxy = "10.1.2.3:8080"
	for range clientBurst {
		getFrom(t, a, proxy, "/api/openapi.yaml", "X-Forwarded-For", "203.0.113.9")
	}
	if rec := getFrom(t, a, proxy, "/api/openapi.yaml", "X-Forwarded-For", "203.0.113.9"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("forwarded client past its burst = %d, want 429", rec.Code)
	}
	if rec := getFrom(t, a, proxy, "/api/openapi.yaml", "X-Forwarded-For", "198.51.100.7"); rec.Code != http.StatusOK {
		t.Errorf("another client behind the same proxy = %d, want 200", rec.Code)
	}
}

func TestRateLimitCountsAnIPv6ClientByItsSlash64(t *testing.T) {
	cases := map[string]string{
		"203.0.113.9":              "203.0.113.9",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb:cc::99": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":          "2001:db8:1:3::/64",
		"::ffff:203.0.113.9":       "203.0.113.9",
		"not an address":           "not an address",
	}
	for ip, want := range cases {
		if got := clientKey(ip); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", ip, got, want)
		}
	}
}

// TestOpenAPIDocumentMatchesTheHandlers holds the served OpenAPI document to
// the real router on demo data: every API route is documented, and for
// every operation each answer's status is documented and its body has
// exactly the documented fields, of the documented types, so that a renamed
// or added field fails here.
func TestOpenAPIDocumentMatchesTheHandlers(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.yaml is not YAML: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi = %q, want 3.0.x", v)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	// Every field an answer always carries is required, so that one the
	// handlers stop sending fails too.
	for name, s := range schemas {
		s := s.(map[string]any)
		props, _ := s["properties"].(map[string]any)
		var required []string
		for _, r := range asList(s["required"]) {
			required = append(required, r.(string))
		}
		if name != "Error" && len(props) != len(required) {
			t.Errorf("schema %s: properties %v but required %v", name, slices.Sorted(maps.Keys(props)), required)
		}
	}

	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
		a.now = func() time.Time { return now }
		if _, err := models.LoadDemo(context.Background(), a.DB(), models.DemoOptions{Days: 45, End: models.DateOf(now, pkt), Now: now, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		if _, err := models.RecomputeImpactAsOf(context.Background(), a.DB(), models.Date{}, models.Date{}, now); err != nil {
			t.Fatal(err)
		}
		param := regexp.MustCompile(`:(\w+)`)
		for _, r := range a.echo.Routes() {
			documented := param.ReplaceAllString(r.Path, "{$1}")
			method := strings.ToLower(r.Method)
			if (method == "get" || method == "post") && strings.HasPrefix(r.Path, "/api/") {
				if ops, _ := paths[documented].(map[string]any); ops[method] == nil {
					t.Errorf("%s %s is served but not in openapi.yaml", r.Method, documented)
				}
			}
		}
		check := &schemaCheck{t: t, a: a, doc: doc, arrays: map[string]int{}}
		for _, path := range slices.Sorted(maps.Keys(paths)) {
			ops := paths[path].(map[string]any)
			if post, ok := ops["post"].(map[string]any); ok {
				check.writes(post, path)
			}
			op, ok := ops["get"].(map[string]any)
			if !ok {
				if ops["post"] == nil {
					t.Errorf("%s has neither a GET nor a POST operation", path)
				}
				continue
			}
			params := map[string]map[string]any{}
			for _, p := range asList(op["parameters"]) {
				p := check.resolve(p.(map[string]any))
				params[p["name"].(string)] = p
			}
			concrete := strings.ReplaceAll(path, "{slug}", "torkham")
			ok200 := check.response(op, concrete, http.StatusOK)
			check.response(op, concrete, http.StatusNotModified, "If-None-Match", ok200.Header().Get("ETag"))
			if format, ok := params["format"]; ok {
				for _, value := range asList(check.resolve(format["schema"].(map[string]any))["enum"]) {
					check.response(op, concrete+"?format="+value.(string), http.StatusOK)
				}
			}
			if _, ok := params["slug"]; ok {
				check.response(op, strings.ReplaceAll(path, "{slug}", "no-such-crossing"), http.StatusNotFound)
			}
			if _, ok := params["from"]; ok {
				rec := check.response(op, concrete+"?from=not-a-date", http.StatusBadRequest)
				if !strings.Contains(rec.Body.String(), `"fields":{"from":`) {
					t.Errorf("GET %s?from=not-a-date does not name from: %s", concrete, rec.Body)
				}
			}
		}
		// Each list was checked item by item, not only found empty.
		for where, items := range check.arrays {
			if items == 0 {
				t.Errorf("%s was always empty on the demo data: its items went unchecked", where)
			}
		}
	})
}

// schemaCheck checks answers against an OpenAPI 3.0 document, for the parts
// of the schema language the document uses.
type schemaCheck struct {
	t      *testing.T
	a      *App
	doc    map[string]any
	arrays map[string]int // items checked, by where the array is
}

// response gets path, and checks that the status is want, that the document
// lists it for op, and that the body fits the documented content.
func (s *schemaCheck) response(op map[string]any, path string, want int, header ...string) *httptest.ResponseRecorder {
	s.t.Helper()
	return s.answer(op, "GET", path, get(s.t, s.a, path, header...), want)
}

// answer checks rec, the answer to method path: that the status is want,
// that the document lists it for op, and that the body fits the
// documented content.
func (s *schemaCheck) answer(op map[string]any, method, path string, rec *httptest.ResponseRecorder, want int) *httptest.ResponseRecorder {
	s.t.Helper()
	if rec.Code != want {
		s.t.Errorf("%s %s = %d, want %d: %.200s", method, path, rec.Code, want, rec.Body)
		return rec
	}
	documented, ok := op["responses"].(map[string]any)[strconv.Itoa(rec.Code)].(map[string]any)
	if !ok {
		s.t.Errorf("%s %s answers %d, which openapi.yaml does not list", method, path, rec.Code)
		return rec
	}
	documented = s.resolve(documented)
	content, _ := documented["content"].(map[string]any)
	if len(content) == 0 {
		if rec.Body.Len() != 0 {
			s.t.Errorf("%s %s: %d is documented without a body but has %d bytes", method, path, rec.Code, rec.Body.Len())
		}
		return rec
	}
	mediaType, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	media, ok := content[mediaType].(map[string]any)
	if !ok {
		s.t.Errorf("%s %s answers %d in %s, which openapi.yaml does not list (%v)", method, path, rec.Code, mediaType, slices.Sorted(maps.Keys(content)))
		return rec
	}
	switch mediaType {
	case "application/json":
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			s.t.Errorf("%s %s: %v", method, path, err)
			return rec
		}
		s.check(fmt.Sprintf("%s %s %d", method, op["operationId"], rec.Code), media["schema"].(map[string]any), body)
	case "text/csv":
		example, _ := media["example"].(string)
		wantHeader, _, _ := strings.Cut(example, "\n")
		gotHeader, _, _ := strings.Cut(rec.Body.String(), "\n")
		if gotHeader != wantHeader {
			s.t.Errorf("%s %s: CSV header %q, documented %q", method, path, gotHeader, wantHeader)
		}
	}
	return rec
}

// writes checks a write operation: its documented example body is
// accepted (and the answer fits the document), and each refusal the
// document lists comes as documented: no token, another crossing, another
// content type, an unreadable body, a body breaking a rule, a body over
// the limit, and (for figures) a stale base_version.
func (s *schemaCheck) writes(op map[string]any, path string) {
	s.t.Helper()
	if sec, _ := op["security"].([]any); len(sec) == 0 {
		s.t.Errorf("POST %s documents no security", path)
	}
	media := s.resolve(op["requestBody"].(map[string]any))["content"].(map[string]any)["application/json"].(map[string]any)
	example, err := json.Marshal(media["example"])
	if err != nil || media["example"] == nil {
		s.t.Fatalf("POST %s has no example body", path)
	}
	concrete := strings.ReplaceAll(path, "{slug}", "torkham")
	name := strings.ToLower(op["operationId"].(string))
	_, token := apiToken(s.t, s.a, "writer."+name, models.RoleOfficer, "torkham")
	_, elsewhere := apiToken(s.t, s.a, "elsewhere."+name, models.RoleOfficer, "chaman")
	success := http.StatusOK
	if _, created := op["responses"].(map[string]any)["201"]; created {
		success = http.StatusCreated
	}
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, string(example)), success)
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, "", string(example)), http.StatusUnauthorized)
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, elsewhere, string(example)), http.StatusForbidden)
	s.answer(op, "POST", strings.ReplaceAll(path, "{slug}", "no-such-crossing"), postJSON(s.t, s.a, strings.ReplaceAll(path, "{slug}", "no-such-crossing"), token, string(example)), http.StatusNotFound)
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, string(example), "Content-Type", "text/plain"), http.StatusUnsupportedMediaType)
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, `{"no_such_field": 1}`), http.StatusBadRequest)
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, `{"`+strings.Repeat("x", 2<<20)+`": 1}`), http.StatusRequestEntityTooLarge)
	var breaks string
	if strings.HasSuffix(path, "/figures") {
		breaks = `{"date": "2026-11-27", "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": -1}]}`
		stale := `{"date": "2026-11-26", "base_version": 0, "figures": [{"direction": "to_pakistan", "category": "coal", "trucks": 1}]}`
		s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, stale), http.StatusConflict)
	} else {
		breaks = `{"state": "restricted"}`
	}
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, breaks), http.StatusUnprocessableEntity)
	first := postJSON(s.t, s.a, concrete, token, string(example), "Idempotency-Key", "k")
	if replay := s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, string(example), "Idempotency-Key", "k"), first.Code); replay.Body.String() != first.Body.String() {
		s.t.Errorf("POST %s: the replay differs from the first answer", concrete)
	}
	s.answer(op, "POST", concrete, postJSON(s.t, s.a, concrete, token, breaks, "Idempotency-Key", "k"), http.StatusUnprocessableEntity)
}

func (s *schemaCheck) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		node = s.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			node, _ = node[part].(map[string]any)
		}
		if node == nil {
			s.t.Fatalf("openapi.yaml: %s leads nowhere", ref)
		}
	}
}

// check reports every way v differs from schema; where names v in messages.
func (s *schemaCheck) check(where string, schema map[string]any, v any) {
	s.t.Helper()
	schema = s.resolve(schema)
	if v == nil {
		if schema["nullable"] != true {
			s.t.Errorf("%s is null, which the document does not allow", where)
		}
		return
	}
	for _, sub := range asList(schema["allOf"]) {
		s.check(where, sub.(map[string]any), v)
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		s.t.Errorf("%s = %v, not one of %v", where, v, enum)
	}
	var ok bool
	switch schema["type"] {
	case "object":
		var m map[string]any
		if m, ok = v.(map[string]any); !ok {
			break
		}
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asList(schema["required"]) {
			if _, present := m[r.(string)]; !present {
				s.t.Errorf("%s lacks %s", where, r)
			}
		}
		extra, _ := schema["additionalProperties"].(map[string]any)
		for k, pv := range m {
			switch p, documented := props[k].(map[string]any); {
			case documented:
				s.check(where+"."+k, p, pv)
			case extra != nil:
				s.check(where+"."+k, extra, pv)
			default:
				s.t.Errorf("%s has %q, which the document does not describe", where, k)
			}
		}
	case "array":
		var list []any
		if list, ok = v.([]any); !ok {
			break
		}
		s.arrays[where] += len(list)
		for _, item := range list {
			s.check(where+"[]", schema["items"].(map[string]any), item)
		}
	case "string":
		var str string
		if str, ok = v.(string); !ok {
			break
		}
		switch schema["format"] {
		case "date":
			if _, err := models.ParseDate(str); err != nil {
				s.t.Errorf("%s: %v", where, err)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, str); err != nil || !strings.HasSuffix(str, "Z") {
				s.t.Errorf("%s = %q, want RFC 3339 in UTC", where, str)
			}
		}
	case "integer":
		var n float64
		n, ok = v.(float64)
		ok = ok && n == math.Trunc(n)
	case "number":
		_, ok = v.(float64)
	case "boolean":
		_, ok = v.(bool)
	default:
		ok = true
	}
	if !ok {
		s.t.Errorf("%s = %v (%T), not the document's %v", where, v, v, schema["type"])
	}
}

func asList(v any) []any {
	list, _ := v.([]any)
	return list
}
