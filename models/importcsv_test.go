package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"borderflow/models"
	"borderflow/models/testdb"
)

// importNow is when the import tests run: 27 November 2026, noon at the border.
var importNow = time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)

// runImport imports csv as the administrator "root" (or dry), failing the
// test on an error of the file or database.
func runImport(t *testing.T, db *gorm.DB, kind models.ImportKind, csv string, change ...func(*models.ImportOptions)) models.ImportReport {
	t.Helper()
	opts := models.ImportOptions{Kind: kind, FileName: "test.csv", Now: importNow, PreviewRows: 3}
	for _, c := range change {
		c(&opts)
	}
	report, err := models.Import(context.Background(), db, models.Actor{Name: "cli"}, strings.NewReader(csv), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return report
}

func dryRun(o *models.ImportOptions) { o.DryRun = true }

// problems lists "line:field key" of each problem of a report.
func problems(list []models.ImportError) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = fmt.Sprintf("%d:%s %s", e.Line, e.Field, e.Code)
	}
	return out
}

// dayVersions maps "slug/day" to the stored version of each crossing-day.
func dayVersions(t *testing.T, db *gorm.DB) map[string]int {
	t.Helper()
	var rows []struct {
		Slug    string
		Day     models.Date
		Version int
	}
	err := db.Raw("SELECT c.slug, d.day, d.version FROM crossing_days d JOIN crossings c ON c.id = d.crossing_id").Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, r := range rows {
		m[r.Slug+"/"+r.Day.String()] = r.Version
	}
	return m
}

func importAudits(t *testing.T, db *gorm.DB, entity string) []map[string]any {
	t.Helper()
	var entries []models.AuditEntry
	if err := db.Where("action = ? AND entity = ?", "import", entity).Order("id").Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range entries {
		var v map[string]any
		if err := json.Unmarshal([]byte(e.After), &v); err != nil {
			t.Fatalf("audit %q: %v", e.After, err)
		}
		if e.EntityID != "test.csv" || e.Actor != "cli" {
			t.Errorf("audit names %q by %q, want test.csv by cli", e.EntityID, e.Actor)
		}
		out = append(out, v)
	}
	return out
}

const figuresCSV = "\ufeffdate,crossing,direction,category,trucks,tonnes,value_usd,regime\r\n" +
	"2026-11-25,torkham,to_afghanistan,cement,90,3600,225000,bilateral\r\n" +
	"2026-11-25,torkham,to_pakistan,coal,\"120\",3600.5,,\r\n" +
	"2026-11-25,torkham,to_pakistan,empty,80,,,\r\n" +
	"2026-11-26,chaman,to_afghanistan,medicine,4,,,transit\r\n"

func TestImportFiguresThenReimportChangesNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		report := runImport(t, db, models.ImportFigures, figuresCSV)
		if !report.OK() || !report.Committed {
			t.Fatalf("import refused: %v", problems(report.Errors))
		}
		if report.Rows != 4 || report.Inserted != 4 || report.Updated != 0 || report.Unchanged != 0 || report.DaysChanged != 2 {
			t.Errorf("report = %+v; want 4 rows, all inserted, 2 days", report)
		}
		if len(report.Columns) != 8 || report.Columns[0] != "date" || len(report.Preview) != 3 || report.Preview[1][4] != "120" {
			t.Errorf("header %q, preview %q", report.Columns, report.Preview)
		}
		rows, err := models.FiguresInRange(context.Background(), db, 1, models.DateRange{From: models.NewDate(2026, 11, 25), To: models.NewDate(2026, 11, 25)})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows {
			got[string(r.Direction)+"/"+r.CategoryCode+"/"+string(r.Regime)] = fmt.Sprintf("%d %v %v", r.Trucks, deref(r.Tonnes), deref(r.ValueUSD))
		}
		want := map[string]string{
			"to_afghanistan/cement/bilateral": "90 3600 225000",
			"to_pakistan/coal/bilateral":      "120 3600.5 -",
			"to_pakistan/empty/bilateral":     "80 - -",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("stored %v, want %v", got, want)
		}
		versions := dayVersions(t, db)
		if versions["torkham/2026-11-25"] != 1 || versions["chaman/2026-11-26"] != 1 {
			t.Errorf("versions = %v", versions)
		}

		// The same file again: nothing changes, not even a version.
		again := runImport(t, db, models.ImportFigures, figuresCSV)
		if !again.Committed || again.Inserted != 0 || again.Updated != 0 || again.Unchanged != 4 || again.DaysChanged != 0 {
			t.Errorf("re-import = %+v; want 4 unchanged", again)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != 4 {
			t.Errorf("%d figures stored after re-import, want 4", n)
		}
		if v := dayVersions(t, db); fmt.Sprint(v) != fmt.Sprint(versions) {
			t.Errorf("versions after re-import = %v, want %v", v, versions)
		}

		// One value changed: one row updated, only its day gets a new version.
		changed := strings.Replace(figuresCSV, "cement,90,", "cement,91,", 1)
		third := runImport(t, db, models.ImportFigures, changed)
		if third.Inserted != 0 || third.Updated != 1 || third.Unchanged != 3 || third.DaysChanged != 1 {
			t.Errorf("changed import = %+v; want 1 updated", third)
		}
		if v := dayVersions(t, db); v["torkham/2026-11-25"] != 2 || v["chaman/2026-11-26"] != 1 {
			t.Errorf("versions after a change = %v; want torkham 2, chaman 1", v)
		}

		audits := importAudits(t, db, "daily_figures")
		if len(audits) != 3 {
			t.Fatalf("%d import audit records, want one per import (3)", len(audits))
		}
		if audits[1]["inserted"] != 0.0 || audits[1]["updated"] != 0.0 || audits[1]["unchanged"] != 4.0 || audits[1]["rows"] != 4.0 {
			t.Errorf("re-import audit = %v; want 0 inserted, 0 updated, 4 unchanged", audits[1])
		}
		if audits[2]["updated"] != 1.0 || audits[2]["file"] != "test.csv" {
			t.Errorf("third audit = %v", audits[2])
		}
	})
}

func deref(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		csv := "date,crossing,direction,category,trucks,tonnes,value_usd,regime\n" +
			"2026-11-25,torkham,to_afghanistan,cement,90,,,\n" + // good
			"2026-11-25,nowhere,to_afghanistan,cement,90,,,\n" + // 3: unknown crossing
			"25/11/2026,torkham,to_afghanistan,coal,90,,,\n" + // 4: bad date
			"2026-11-25,torkham,sideways,cement,-3,,,\n" + // 5: direction and negative
			"2026-11-25,torkham,to_pakistan,cement,1.5,1e3,,\n" + // 6: not whole, not a plain decimal
			"2026-12-25,torkham,to_pakistan,coal,4,,,\n" + // 7: future
			"2026-11-25,torkham,to_pakistan,coal,4,,,barter\n" + // 8: regime
			"2026-11-25,torkham,to_pakistan,coal\n" + // 9: too few fields
			"2026-11-25,torkham,to_pakistan,empty,4,10,,\n" + // 10: empty trucks with a load
			"2026-11-25,torkham,to_pakistan,aid,4,\"1,5\",,\n" // 11: comma decimal
		report := runImport(t, db, models.ImportFigures, csv)
		want := []string{
			"3:crossing unknown_crossing",
			"4:date date_format",
			"5:direction unknown_direction",
			"5:trucks negative",
			"6:trucks not_whole",
			"6:tonnes not_number",
			"7:date future_date",
			"8:regime unknown_regime",
			"9: csv_field_count",
			"10:tonnes empty_has_load",
			"11:tonnes not_number",
		}
		if got := problems(report.Errors); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if report.ErrorCount != len(want) || report.OK() || report.Committed || report.Rows != 9 {
			t.Errorf("count %d, rows %d, committed %v", report.ErrorCount, report.Rows, report.Committed)
		}
		for _, e := range report.Errors {
			if e.Field == "trucks" && e.Column != 5 || e.Field == "crossing" && e.Column != 2 {
				t.Errorf("line %d: %s is column %d", e.Line, e.Field, e.Column)
			}
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != 0 {
			t.Errorf("%d figures written by a refused import, want none", n)
		}
		if n := countRows(t, db, &models.CrossingDay{}); n != 0 {
			t.Errorf("%d crossing days written by a refused import", n)
		}
		if audits := importAudits(t, db, "daily_figures"); len(audits) != 0 {
			t.Errorf("a refused import left an audit record: %v", audits)
		}
	})
}

func TestImportListsAHundredProblemsAndCountsAll(t *testing.T) {
	db := testdb.SQLite(t)
	var b strings.Builder
	b.WriteString("date,crossing,direction,category,trucks\n")
	for i := range 250 {
		fmt.Fprintf(&b, "2026-11-%02d,torkham,to_pakistan,coal,many\n", 1+i%25)
	}
	report := runImport(t, db, models.ImportFigures, b.String())
	if len(report.Errors) != models.MaxImportErrors || report.ErrorCount != 250 {
		t.Errorf("listed %d, counted %d; want %d listed of 250", len(report.Errors), report.ErrorCount, models.MaxImportErrors)
	}
	if last := report.Errors[len(report.Errors)-1]; last.Line != 101 {
		t.Errorf("the last listed problem is on line %d, want 101", last.Line)
	}
}

func TestImportHeaderProblems(t *testing.T) {
	db := testdb.SQLite(t)
	cases := map[string]struct {
		csv  string
		want []string
	}{
		"extra column":   {"date,crossing,direction,category,trucks,notes\n", []string{"1:notes unknown_column"}},
		"missing column": {"date,crossing,direction,trucks\n", []string{"1:category missing_column"}},
		"repeated":       {"date,crossing,direction,category,trucks,Trucks\n", []string{"1:trucks duplicate_column"}},
		"empty file":     {"", []string{"1: csv_empty"}},
		"utf-16":         {"\xff\xfed\x00a\x00", []string{"1: csv_utf16"}},
		"status columns": {"crossing,state,effective_at\n", []string{"1:reason missing_column"}},
	}
	for name, c := range cases {
		kind := models.ImportFigures
		if strings.HasPrefix(name, "status") {
			kind = models.ImportStatus
		}
		csv := c.csv
		if csv != "" {
			csv += "2026-11-25,torkham,to_pakistan,coal,4,x\n"
		}
		report := runImport(t, db, kind, csv)
		if got := problems(report.Errors); strings.Join(got, ";") != strings.Join(c.want, ";") {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
		if report.Rows != 0 {
			t.Errorf("%s: %d rows read past a header that cannot be used", name, report.Rows)
		}
	}
	// Columns in another order, names in capitals with spaces: fine.
	report := runImport(t, db, models.ImportFigures, " Trucks ,CATEGORY,direction,crossing,date\n4,coal,to_pakistan,torkham,2026-11-25\n", dryRun)
	if !report.OK() || report.Inserted != 1 {
		t.Errorf("reordered header: %v", problems(report.Errors))
	}
}

func TestImportTakesQuotedFieldsAndWindows1252(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		// A note with a comma, a quote, a line break and markup, in
		// Windows-1252 (é is 0xE9, “ ” are 0x93 0x94), with CRLF line ends.
		csv := "crossing,state,effective_at,reason,scope,note\r\n" +
			"torkham,closed,2026-11-20T08:30:00+05:00,security,,\"Closed after firing, \"\"heavy\"\"\r\nat the gate \x93caf\xe9\x94 <b>\"\r\n" +
			"torkham,restricted,2026-11-21T06:00:00Z,political,pedestrians_only,\r\n" +
			"torkham,open,2026-11-22T10:00:00+05:00,,,Reopened\r\n"
		report := runImport(t, db, models.ImportStatus, csv)
		if !report.Committed || report.Inserted != 3 || report.Windows1252Rows != 1 {
			t.Fatalf("report: %+v, problems %v", report, problems(report.Errors))
		}
		var changes []models.StatusChange
		db.Order("effective_at").Find(&changes)
		if len(changes) != 3 {
			t.Fatalf("%d changes stored", len(changes))
		}
		// (A line break inside quotes is kept as \n, as encoding/csv reads it.)
		if want := "Closed after firing, \"heavy\"\nat the gate “café” <b>"; changes[0].Note != want {
			t.Errorf("note = %q, want %q", changes[0].Note, want)
		}
		if !changes[0].EffectiveAt.Equal(time.Date(2026, 11, 20, 3, 30, 0, 0, time.UTC)) || changes[0].Source != "import" {
			t.Errorf("first change at %v from %q", changes[0].EffectiveAt, changes[0].Source)
		}
		if changes[1].ScopeCode() != "pedestrians_only" || changes[2].ReasonCode() != "" {
			t.Errorf("scope %q, reason %q", changes[1].ScopeCode(), changes[2].ReasonCode())
		}
		again := runImport(t, db, models.ImportStatus, csv)
		if again.Inserted+again.Updated != 0 || again.Unchanged != 3 {
			t.Errorf("re-import: %+v", again)
		}
		if n := countRows(t, db, &models.StatusChange{}); n != 3 {
			t.Errorf("%d status changes after re-import, want 3", n)
		}
		edited := runImport(t, db, models.ImportStatus, strings.Replace(csv, "Reopened", "Reopened at noon", 1))
		if edited.Updated != 1 || edited.Unchanged != 2 {
			t.Errorf("edited note: %+v", edited)
		}
		if audits := importAudits(t, db, "status_changes"); len(audits) != 3 || audits[1]["unchanged"] != 3.0 {
			t.Errorf("audits = %v", audits)
		}
	})
}

func TestImportStatusRules(t *testing.T) {
	db := testdb.SQLite(t)
	csv := "crossing,state,effective_at,reason,scope,note\n" +
		"torkham,shut,2026-11-20T08:30:00Z,security,,\n" + // 2
		"torkham,closed,2026-11-20 08:30,security,,\n" + // 3
		"torkham,closed,2026-11-20T08:30:00Z,,,\n" + // 4
		"torkham,restricted,2026-11-20T09:30:00Z,security,,\n" + // 5
		"torkham,open,2026-11-20T10:30:00Z,,cargo_closed,\n" + // 6
		"torkham,closed,2030-01-01T00:00:00Z,weather,,\n" + // 7
		"torkham,closed,2019-01-01T00:00:00Z,weather,,\n" + // 8
		"torkham,closed,2026-11-20T11:30:00Z,weather,,\x01\n" + // 9
		"torkham,closed,2026-11-20T12:30:00Z,weather,,\n" + // 10
		"torkham,open,2026-11-20T12:30:00Z,,,\n" // 11: the same instant again
	report := runImport(t, db, models.ImportStatus, csv)
	want := []string{
		"2:state unknown_state",
		"3:effective_at instant_format",
		"4:reason reason_required",
		"5:scope scope_required",
		"6:scope scope_not_allowed",
		"7:effective_at effective_in_future",
		"8:effective_at before_records",
		"9:note invalid_text",
	}
	if got := problems(report.Errors); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Back-dating has no limit in an import: a change a year ago is fine.
	ok := runImport(t, db, models.ImportStatus, "crossing,state,effective_at,reason\ntorkham,closed,2025-11-20T08:30:00Z,holiday\n"+
		"torkham,open,2025-11-20T08:30:00Z,\n")
	if got := problems(ok.Errors); len(got) != 1 || got[0] != "3: duplicate_status" {
		t.Errorf("same instant twice: %v", got)
	}
}

func TestImportRefusesRepeatedRows(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		csv := "date,crossing,direction,category,trucks,regime\n" +
			"2026-11-25,torkham,to_pakistan,coal,4,\n" +
			"2026-11-25,torkham,to_pakistan,coal,5,transit\n" + // another regime: fine
			"2026-11-25,torkham,to_pakistan,coal,6,bilateral\n" // line 2 again
		report := runImport(t, db, models.ImportFigures, csv)
		if got := problems(report.Errors); len(got) != 1 || got[0] != "4: duplicate_figures" || report.Errors[0].Params["First"] != 2 {
			t.Errorf("problems = %v %v", got, report.Errors)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != 0 {
			t.Errorf("%d figures written", n)
		}
	})
}

func TestImportDryRunWritesNothingButCountsExactly(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		runImport(t, db, models.ImportFigures, figuresCSV)
		more := figuresCSV + "2026-11-26,chaman,to_pakistan,coal,7,,,\r\n"
		more = strings.Replace(more, "cement,90,", "cement,95,", 1)
		dry := runImport(t, db, models.ImportFigures, more, dryRun)
		if dry.Committed || !dry.DryRun || dry.Inserted != 1 || dry.Updated != 1 || dry.Unchanged != 3 || dry.DaysChanged != 2 {
			t.Errorf("dry run = %+v; want 1 new, 1 changed, 3 the same, 2 days", dry)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != 4 {
			t.Errorf("%d figures after a dry run, want the 4 from before", n)
		}
		if v := dayVersions(t, db); v["torkham/2026-11-25"] != 1 {
			t.Errorf("a dry run changed a version: %v", v)
		}
		if audits := importAudits(t, db, "daily_figures"); len(audits) != 1 {
			t.Errorf("%d audit records, want only the real import's", len(audits))
		}
		// The dry run left no staging table behind on the pooled connection.
		if again := runImport(t, db, models.ImportFigures, more); !again.Committed {
			t.Errorf("the import after a dry run: %v", problems(again.Errors))
		}
	})
}

func TestImportAppliesPlausibilityLimitsToTheWholeDay(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		// Chaman's limit is 500 loaded trucks a day each way; 300 are stored.
		runImport(t, db, models.ImportFigures, "date,crossing,direction,category,trucks\n2026-11-25,chaman,to_afghanistan,cement,300\n")
		csv := "date,crossing,direction,category,trucks\n" +
			"2026-11-25,chaman,to_afghanistan,empty,400\n" + // empty trucks do not count
			"2026-11-25,chaman,to_afghanistan,coal,250\n" // 550 loaded with the stored 300
		report := runImport(t, db, models.ImportFigures, csv)
		if got := problems(report.Errors); len(got) != 1 || got[0] != "3: day_over_limit" {
			t.Fatalf("problems = %v", got)
		}
		if p := report.Errors[0].Params; p["Total"] != 550 || p["Limit"] != 500 || p["Date"] != "2026-11-25" || p["Crossing"] != "Chaman" {
			t.Errorf("params = %v", p)
		}
		if n := countRows(t, db, &models.DailyFigure{}); n != 1 {
			t.Errorf("%d figures after a refused import, want 1", n)
		}
		confirmed := runImport(t, db, models.ImportFigures, csv, func(o *models.ImportOptions) { o.ConfirmImplausible = true })
		if !confirmed.Committed || confirmed.OverLimitConfirmed != 1 {
			t.Errorf("confirmed import: %+v %v", confirmed, problems(confirmed.Errors))
		}
	})
}

func TestImportReturnsChangedVerifiedDaysToProvisional(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		runImport(t, db, models.ImportFigures, figuresCSV)
		ctx := context.Background()
		var torkham models.Crossing
		db.Where("slug = ?", "torkham").Take(&torkham)
		sup := newAccount(t, db, "sup", models.RoleSupervisor, "torkham", "chaman")
		id := sup.ID
		for _, c := range []struct {
			slug string
			day  models.Date
		}{{"torkham", models.NewDate(2026, 11, 25)}, {"chaman", models.NewDate(2026, 11, 26)}} {
			var cr models.Crossing
			db.Where("slug = ?", c.slug).Take(&cr)
			if _, err := models.VerifyDay(ctx, db, models.Actor{UserID: &id, Name: "sup"}, cr.ID, c.day, 1); err != nil {
				t.Fatal(err)
			}
		}
		report := runImport(t, db, models.ImportFigures, strings.Replace(figuresCSV, "cement,90,", "cement,91,", 1))
		if report.DaysChanged != 1 || report.DaysUnverified != 1 {
			t.Errorf("report = %+v; want 1 day changed, 1 unverified", report)
		}
		var days []models.CrossingDay
		db.Order("crossing_id").Find(&days)
		for _, d := range days {
			if verified := d.CrossingID != torkham.ID; d.Verified() != verified {
				t.Errorf("day %d/%s verified = %v, want %v", d.CrossingID, d.Day, d.Verified(), verified)
			}
		}
	})
}

func TestImportStopsAtARowThatNeverEnds(t *testing.T) {
	db := testdb.SQLite(t)
	csv := "date,crossing,direction,category,trucks\n2026-11-25,torkham,to_pakistan,coal,\"4\n" + strings.Repeat("x,", 100_000)
	report := runImport(t, db, models.ImportFigures, csv)
	if got := problems(report.Errors); len(got) != 1 || got[0] != "3: csv_row_too_long" {
		t.Errorf("problems = %v", got)
	}
}

func TestImportReaderSurvivesBadQuotes(t *testing.T) {
	csv := "date,crossing,direction,category,trucks\n" +
		"2026-11-25,torkham,to_pakistan,co\"al,4\n" + // bare quote
		"2026-11-25,torkham,to_pakistan,\"coal\"x,4\n" + // text after a closing quote
		"2026-11-25,torkham,to_pakistan,coal,4\n"
	r := models.NewImportReader(strings.NewReader(csv), models.ImportFigures)
	var lines []int
	for {
		row, ok := r.Next()
		if !ok {
			break
		}
		lines = append(lines, row.Line)
	}
	errs, n := r.Errors()
	if fmt.Sprint(lines) != "[4]" || n != 2 || fmt.Sprint(problems(errs)) != "[2: csv_bare_quote 3: csv_bad_quote]" {
		t.Errorf("rows on lines %v, problems %v", lines, problems(errs))
	}
	if r.Err() != nil {
		t.Error(r.Err())
	}
}

// failingReader fails after its content, as a broken disk or connection would.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("disk on fire")
	}
	return n, err
}

func TestImportReportsAFileThatCannotBeRead(t *testing.T) {
	db := testdb.SQLite(t)
	_, err := models.Import(context.Background(), db, models.Actor{Name: "cli"},
		failingReader{strings.NewReader(figuresCSV)}, models.ImportOptions{Kind: models.ImportFigures, FileName: "x.csv", Now: importNow})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
	if n := countRows(t, db, &models.DailyFigure{}); n != 0 {
		t.Errorf("%d figures written from a file that broke", n)
	}
}

func TestImportStopsAtAFirstLineThatIsNotCSV(t *testing.T) {
	r := models.NewImportReader(strings.NewReader("da\"te,crossing\ndate,crossing,direction,category,trucks\n"), models.ImportFigures)
	if _, ok := r.Next(); ok {
		t.Error("a row was read after a header that is not CSV")
	}
	if errs, n := r.Errors(); n != 1 || errs[0].Code != "csv_bare_quote" || errs[0].Line != 1 {
		t.Errorf("problems = %v", problems(errs))
	}
}

func TestImportOnSQLiteLetsOthersWriteWhileItReadsTheFile(t *testing.T) {
	db := testdb.SQLite(t)
	pr, pw := io.Pipe()
	done := make(chan models.ImportReport)
	go func() {
		report, err := models.Import(context.Background(), db, models.Actor{Name: "cli"}, pr,
			models.ImportOptions{Kind: models.ImportFigures, FileName: "slow.csv", Now: importNow})
		if err != nil {
			t.Error(err)
		}
		done <- report
	}()
	fmt.Fprint(pw, "date,crossing,direction,category,trucks\n2026-11-25,torkham,to_pakistan,coal,4\n")
	// The file is still being read (a slow upload, a long file): a form's
	// save meanwhile does not wait for the import.
	saved := make(chan error)
	go func() {
		_, err := models.CreateUser(context.Background(), db, models.NewUser{Username: "gul.khan", Password: goodPassword,
			Role: models.RoleOfficer, CrossingSlugs: []string{"torkham"}}, models.Actor{Name: "test"})
		saved <- err
	}()
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write waited for the import still reading its file")
	}
	fmt.Fprint(pw, "2026-11-25,torkham,to_pakistan,cement,5\n")
	pw.Close()
	if report := <-done; !report.Committed || report.Inserted != 2 {
		t.Errorf("report = %+v", report)
	}
}

func TestImportReaderCountsFieldsAgainstTheHeader(t *testing.T) {
	csv := "date,crossing,direction,category,trucks\n" +
		"2026-11-25,torkham,to_pakistan,coal,4,\n" + // a spreadsheet's trailing comma: fine
		"2026-11-25,torkham,to_pakistan,coal,4,5\n" + // an extra value: refused
		"2026-11-25,torkham,to_pakistan,coal\n" // a value missing: refused
	r := models.NewImportReader(strings.NewReader(csv), models.ImportFigures)
	var lines []int
	for {
		row, ok := r.Next()
		if !ok {
			break
		}
		lines = append(lines, row.Line)
		if len(row.Fields) != 5 || row.Value("trucks") != "4" || row.Column("trucks") != 5 || row.Value("tonnes") != "" {
			t.Errorf("line %d: %q", row.Line, row.Fields)
		}
	}
	errs, _ := r.Errors()
	if fmt.Sprint(lines) != "[2]" || fmt.Sprint(problems(errs)) != "[3: csv_field_count 4: csv_field_count]" {
		t.Errorf("rows on lines %v, problems %v", lines, problems(errs))
	}
	if errs[0].Params["Got"] != 6 || errs[0].Params["Want"] != 5 {
		t.Errorf("params %v", errs[0].Params)
	}
}

// A CSV typed on an Urdu, Pashto or Dari keyboard, with Extended or plain
// Arabic-Indic digits, imports as the same figures as one in ASCII.
func TestImportAcceptsArabicIndicDigits(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, db *gorm.DB) {
		report := runImport(t, db, models.ImportFigures, "date,crossing,direction,category,trucks,tonnes,value_usd\n"+
			"۲۰۲۶-۱۱-۲۵,torkham,to_afghanistan,cement,۹۰,٣٦٠٠٫٥,٢٢٥٠٠٠\n")
		if !report.OK() || !report.Committed {
			t.Fatalf("import refused: %v", problems(report.Errors))
		}
		rows, err := models.FiguresInRange(context.Background(), db, 1, models.DateRange{From: models.NewDate(2026, 11, 25), To: models.NewDate(2026, 11, 25)})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Trucks != 90 || deref(rows[0].Tonnes) != "3600.5" || deref(rows[0].ValueUSD) != "225000" {
			t.Errorf("stored %+v", rows)
		}
	})
}
