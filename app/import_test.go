package app

import (
	"bytes"
	"crypto/rand"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models"
	"borderflow/models/testdb"
)

// upload posts the import form as a browser does (multipart, with the CSRF
// token of the last page loaded unless fields has its own _csrf).
func (b *staffClient) upload(fields map[string]string, fileName string, file io.Reader) *httptest.ResponseRecorder {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if _, ok := fields["_csrf"]; !ok {
		_ = w.WriteField("_csrf", b.csrf)
	}
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if file != nil {
		part, err := w.CreateFormFile("file", fileName)
		if err != nil {
			b.t.Fatal(err)
		}
		if _, err := io.Copy(part, file); err != nil {
			b.t.Fatal(err)
		}
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, "/admin/import", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// todayCSV is a figures file for the day before writeNow at Torkham, as
// Excel on Windows saves it: a byte order mark and CRLF line ends.
const todayCSV = "\ufeffdate,crossing,direction,category,trucks,tonnes,value_usd,regime\r\n" +
	"2026-11-27,torkham,to_afghanistan,cement,90,3600,225000,bilateral\r\n" +
	"2026-11-27,torkham,to_pakistan,coal,40,1200,,\r\n" +
	"2026-11-27,torkham,to_pakistan,empty,25,,,\r\n"

func countFigures(t *testing.T, a *App) int64 {
	t.Helper()
	var n int64
	if err := a.db.Model(&models.DailyFigure{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportPageChecksThenImports(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		form := page(t, admin.get("/admin/import"))
		if form.Find(`form[enctype="multipart/form-data"] input[type=file][name=file]`).Length() != 1 {
			t.Fatal("no upload form")
		}
		page(t, get(t, a, "/")) // fills the page cache

		rec := admin.upload(map[string]string{"kind": "figures"}, "torkham-nov.csv", strings.NewReader(todayCSV))
		if rec.Code != http.StatusOK {
			t.Fatalf("check: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		doc := page(t, rec)
		if got := doc.Find("table.preview thead th").First().Text(); got != "date" {
			t.Errorf("preview header starts with %q, want date (the byte order mark removed)", got)
		}
		if n := doc.Find("table.preview tbody tr").Length(); n != 3 {
			t.Errorf("preview has %d rows, want 3", n)
		}
		if summary := doc.Find(".summary").Text(); !strings.Contains(summary, "torkham-nov.csv") || !strings.Contains(summary, "new 3") {
			t.Errorf("summary = %q", summary)
		}
		id, _ := doc.Find(`form[action="/admin/import/commit"] input[name=upload]`).Attr("value")
		if !uploadID.MatchString(id) {
			t.Fatalf("no commit form with the kept file's ID (%q)", id)
		}
		if n := countFigures(t, a); n != 0 {
			t.Fatalf("the check wrote %d figures", n)
		}

		rec = admin.post("/admin/import/commit", map[string][]string{"upload": {id}})
		if rec.Code != http.StatusOK || !strings.Contains(page(t, rec).Find(".notice").Text(), "imported") {
			t.Fatalf("commit: %d %s", rec.Code, excerpt(rec.Body.String(), "<main"))
		}
		if n := countFigures(t, a); n != 3 {
			t.Errorf("%d figures after the commit, want 3", n)
		}
		if got := page(t, get(t, a, "/")).Find("#crossing-torkham table.counts tbody td").First().Text(); !strings.Contains(got, "90") {
			t.Errorf("the board shows %q after the import, want 90 loaded trucks", got)
		}
		entries := auditOf(t, a, "daily_figures", "torkham-nov.csv")
		if len(entries) != 1 || entries[0].Action != "import" || auditValues(t, entries[0].After)["inserted"] != 3.0 {
			t.Fatalf("import audit = %+v", entries)
		}
		checkAuditedBy(t, entries[0], "root", root.ID)

		// The same commit again: the file is gone, nothing happens twice.
		rec = admin.post("/admin/import/commit", map[string][]string{"upload": {id}})
		if rec.Code != http.StatusGone || !strings.Contains(page(t, rec).Find(".form-error").Text(), "no longer kept") {
			t.Errorf("second commit: %d", rec.Code)
		}
		// The same file again: checked as unchanged.
		doc = page(t, admin.upload(map[string]string{"kind": "figures"}, "torkham-nov.csv", strings.NewReader(todayCSV)))
		if summary := doc.Find(".summary").Text(); !strings.Contains(summary, "new 0, changed 0, unchanged 3") {
			t.Errorf("re-check summary = %q", summary)
		}
	})
}

func TestImportPageListsEveryProblemAndOffersNoCommit(t *testing.T) {
	a := newWriteApp(t, "sqlite:"+filepath.Join(t.TempDir(), "bf.db"))
	createAccount(t, a, "root", models.RoleAdmin)
	admin := signIn(t, a, "root", testPassword)
	admin.get("/admin/import")
	csv := "crossing,state,effective_at,reason,note\n" +
		"torkham,closed,2026-11-20T08:30:00Z,security,\"Firing, then <b>calm</b>\"\n" +
		"nowhere,shut,yesterday,,\n"
	rec := admin.upload(map[string]string{"kind": "status"}, "status.csv", strings.NewReader(csv))
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", rec.Code)
	}
	doc := page(t, rec)
	problems := doc.Find(".problems li").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	want := []string{
		"Line 3, column 1 (crossing): crossing: “nowhere” is not a crossing",
		"Line 3, column 2 (state): state: choose open, closed or restricted.",
		"Line 3, column 3 (effective_at): effective_at: “yesterday” is not a time in RFC 3339 form",
	}
	if len(problems) != len(want) {
		t.Fatalf("problems = %q", problems)
	}
	for i, w := range want {
		if !strings.HasPrefix(problems[i], w) {
			t.Errorf("problem %d = %q, want %q…", i, problems[i], w)
		}
	}
	if doc.Find(`form[action="/admin/import/commit"]`).Length() != 0 {
		t.Error("a file with problems is offered for import")
	}
	if !strings.Contains(rec.Body.String(), "Firing, then &lt;b&gt;calm&lt;/b&gt;") {
		t.Error("the preview does not show the note escaped")
	}
	var n int64
	a.db.Model(&models.StatusChange{}).Count(&n)
	if n != 0 {
		t.Errorf("%d status changes written", n)
	}
}

func TestImportPageRefusesGarbageAndOversizedFiles(t *testing.T) {
	a := newWriteApp(t, "sqlite:"+filepath.Join(t.TempDir(), "bf.db"))
	createAccount(t, a, "root", models.RoleAdmin)
	admin := signIn(t, a, "root", testPassword)
	admin.get("/admin/import")
	dir, err := a.uploadDir()
	if err != nil {
		t.Fatal(err)
	}
	kept := func() int {
		entries, _ := os.ReadDir(dir)
		return len(entries)
	}
	before := kept()

	// 50 MB of random bytes: a clear answer at once, nothing written or kept.
	garbage := io.LimitReader(rand.Reader, 50_000_000)
	rec := admin.upload(map[string]string{"kind": "figures"}, "garbage.csv", garbage)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("garbage: %d", rec.Code)
	}
	if msg := page(t, rec).Find(".problems li").First().Text(); !strings.Contains(msg, "Line 1") {
		t.Errorf("garbage: first problem %q, want one about line 1", msg)
	}
	if countFigures(t, a) != 0 || kept() != before {
		t.Errorf("garbage left %d figures, %d kept files (before: %d)", countFigures(t, a), kept(), before)
	}

	// Over the limit: refused before the body is read.
	rec = admin.upload(map[string]string{"kind": "figures"}, "big.csv", io.LimitReader(zeroes{}, maxImportFileBytes+1<<20))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(page(t, rec).Find(".error-message").Text(), "larger than 50 MB") {
		t.Errorf("oversized: %d %s", rec.Code, excerpt(rec.Body.String(), "error-message"))
	}
	if kept() != before {
		t.Error("an oversized upload was kept")
	}

	// No file, or no kind.
	if rec := admin.upload(map[string]string{"kind": "figures"}, "", nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("no file: %d", rec.Code)
	}
	if rec := admin.upload(map[string]string{"kind": "payroll"}, "x.csv", strings.NewReader(todayCSV)); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown kind: %d", rec.Code)
	}
}

// zeroes reads as an endless run of zero bytes.
type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestImportPageIsForAdministratorsWithACSRFToken(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newWriteApp(t, dbURL)
		logs := captureLog(a)
		createAccount(t, a, "root", models.RoleAdmin)
		createAccount(t, a, "sup", models.RoleSupervisor, "torkham")
		redirectsToSignIn(t, get(t, a, "/admin/import"))
		supervisor := signIn(t, a, "sup", testPassword)
		if rec := supervisor.get("/admin/import"); rec.Code != http.StatusForbidden {
			t.Errorf("supervisor GET: %d", rec.Code)
		}
		if rec := supervisor.upload(map[string]string{"kind": "figures"}, "x.csv", strings.NewReader(todayCSV)); rec.Code != http.StatusForbidden {
			t.Errorf("supervisor upload: %d", rec.Code)
		}
		if rec := supervisor.post("/admin/import/commit", map[string][]string{"upload": {strings.Repeat("a", 32)}}); rec.Code != http.StatusForbidden {
			t.Errorf("supervisor commit: %d", rec.Code)
		}
		if !strings.Contains(logs.String(), "access denied") {
			t.Error("the refusals were not logged")
		}

		admin := signIn(t, a, "root", testPassword)
		admin.get("/admin/import")
		for name, token := range map[string]string{"no token": "", "a wrong token": "not-the-token"} {
			rec := admin.upload(map[string]string{"kind": "figures", "_csrf": token}, "x.csv", strings.NewReader(todayCSV))
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s: %d", name, rec.Code)
			}
		}
		if n := countFigures(t, a); n != 0 {
			t.Errorf("%d figures written without a CSRF token", n)
		}
		// A file kept for one administrator cannot be committed by another.
		rec := admin.upload(map[string]string{"kind": "figures"}, "x.csv", strings.NewReader(todayCSV))
		id, _ := page(t, rec).Find(`input[name=upload]`).Attr("value")
		if id == "" {
			t.Fatalf("the upload after the refusals: %d", rec.Code)
		}
		createAccount(t, a, "root2", models.RoleAdmin)
		other := signIn(t, a, "root2", testPassword)
		other.get("/admin/import")
		if rec := other.post("/admin/import/commit", map[string][]string{"upload": {id}}); rec.Code != http.StatusGone {
			t.Errorf("another administrator's commit: %d", rec.Code)
		}
		if rec := admin.post("/admin/import/commit", map[string][]string{"upload": {"../../etc/passwd"}}); rec.Code != http.StatusGone {
			t.Errorf("a path as upload ID: %d", rec.Code)
		}
		if n := countFigures(t, a); n != 0 {
			t.Errorf("%d figures written", n)
		}
		// An expired file is gone too.
		a.now = func() time.Time { return writeNow.Add(importUploadTTL + time.Minute) }
		if rec := admin.post("/admin/import/commit", map[string][]string{"upload": {id}}); rec.Code != http.StatusGone {
			t.Errorf("an expired file's commit: %d", rec.Code)
		}
		a.dropUpload(id)
	})
}

func TestImportPageNeedsConfirmationForImplausibleDays(t *testing.T) {
	a := newWriteApp(t, "sqlite:"+filepath.Join(t.TempDir(), "bf.db"))
	createAccount(t, a, "root", models.RoleAdmin)
	admin := signIn(t, a, "root", testPassword)
	admin.get("/admin/import")
	csv := "date,crossing,direction,category,trucks\n2026-11-26,chaman,to_afghanistan,cement,800\n"
	doc := page(t, admin.upload(map[string]string{"kind": "figures"}, "big-day.csv", strings.NewReader(csv)))
	if msg := doc.Find(".problems li").Text(); !strings.Contains(msg, "above the plausibility limit of 500") {
		t.Errorf("problem = %q", msg)
	}
	doc = page(t, admin.upload(map[string]string{"kind": "figures", "confirm": "1"}, "big-day.csv", strings.NewReader(csv)))
	id, _ := doc.Find(`input[name=upload]`).Attr("value")
	if rec := admin.post("/admin/import/commit", map[string][]string{"upload": {id}}); rec.Code != http.StatusOK {
		t.Fatalf("confirmed commit: %d", rec.Code)
	}
	if n := countFigures(t, a); n != 1 {
		t.Errorf("%d figures, want 1", n)
	}
}
