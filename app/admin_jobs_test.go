package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"borderflow/jobs"
	"borderflow/models"
	"borderflow/models/testdb"
)

// waitForRun waits up to five seconds for the job's first recorded run.
func waitForRun(t *testing.T, a *App, job string) models.JobRun {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		runs, err := models.RecentJobRuns(context.Background(), a.db, job, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 1 {
			return runs[0]
		}
	}
	t.Fatalf("no run of %s recorded within 5 s", job)
	return models.JobRun{}
}

func TestAdminRunsAJobNowAndSeesTheResult(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		root := createAccount(t, a, "root", models.RoleAdmin)
		admin := signIn(t, a, "root", testPassword)
		doc := page(t, admin.get("/admin/jobs"))
		for _, job := range []string{"cleanup", "stale-data"} {
			section := doc.Find("#job-" + job)
			if !strings.Contains(section.Find(".last-run").Text(), "never run") || section.Find("form button").Text() != "Run now" {
				t.Errorf("%s before any run: %q", job, section.Text())
			}
		}
		if !strings.Contains(doc.Find("#job-stale-data").Text(), "@hourly") || !strings.Contains(doc.Find("#job-cleanup").Text(), "Deletes expired sign-in sessions") {
			t.Errorf("the page lacks the schedule or description: %q", doc.Find("main").Text())
		}

		rec := admin.post("/admin/jobs/stale-data/run", nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/jobs" {
			t.Fatalf("run now: %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		run := waitForRun(t, a, "stale-data")
		if run.Status != models.JobSucceeded || run.RowsWritten != 2 || !strings.HasPrefix(run.Period, "manual:") {
			t.Errorf("the run = %+v, want a manual run marking both crossings", run)
		}
		doc = page(t, admin.get("/admin/jobs"))
		if notice := doc.Find(".notice").Text(); !strings.Contains(notice, "has started") {
			t.Errorf("notice = %q", notice)
		}
		section := doc.Find("#job-stale-data")
		if last := section.Find(".last-run").Text(); !strings.Contains(last, "succeeded, 2 rows written") {
			t.Errorf("last run shown as %q", last)
		}
		if row := section.Find("table.job-runs tbody tr").First().Text(); !strings.Contains(row, "by hand") || !strings.Contains(row, "succeeded") {
			t.Errorf("recent runs show %q", row)
		}
		entries := auditOf(t, a, "job", "stale-data")
		if len(entries) != 1 || entries[0].Action != "run" || !strings.Contains(entries[0].After, run.Period) {
			t.Fatalf("audit = %+v, want the manual run", entries)
		}
		checkAuditedBy(t, entries[0], "root", root.ID)

		if rec := admin.post("/admin/jobs/nightly/run", nil); rec.Code != http.StatusNotFound {
			t.Errorf("an unknown job: %d, want 404", rec.Code)
		}
	})
}

func TestJobsPageIsForAdminsOnlyAndRunNowNeedsTheCSRFToken(t *testing.T) {
	a := newSQLiteApp(t)
	createAccount(t, a, "root", models.RoleAdmin)
	createAccount(t, a, "gul.khan", models.RoleSupervisor, "torkham")
	redirectsToSignIn(t, get(t, a, "/admin/jobs"))

	officer := signIn(t, a, "gul.khan", testPassword)
	officer.get("/staff")
	if rec := officer.get("/admin/jobs"); rec.Code != http.StatusForbidden {
		t.Errorf("a supervisor opens the jobs page: %d, want 403", rec.Code)
	}
	if rec := officer.post("/admin/jobs/cleanup/run", nil); rec.Code != http.StatusForbidden {
		t.Errorf("a supervisor runs a job: %d, want 403", rec.Code)
	}
	admin := signIn(t, a, "root", testPassword)
	admin.get("/admin/jobs")
	if rec := admin.post("/admin/jobs/cleanup/run", url.Values{"_csrf": {"forged"}}); rec.Code != http.StatusForbidden {
		t.Errorf("run now with a forged token: %d, want 403", rec.Code)
	}
	time.Sleep(100 * time.Millisecond) // a run started wrongly would be recorded by now
	if runs, _ := models.RecentJobRuns(context.Background(), a.db, "cleanup", 1); len(runs) != 0 {
		t.Errorf("refused requests ran the job: %+v", runs)
	}
}

// TestStaffHomeShowsWhatIsOverdue: after the stale-data job, Chaman (no
// status, no figures) is marked overdue on the staff home, Torkham not.
func TestStaffHomeShowsWhatIsOverdue(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, dbURL string) {
		a := newTestApp(t, dbURL)
		createAccount(t, a, "root", models.RoleAdmin)
		ctx := context.Background()
		torkham, err := models.CrossingBySlug(ctx, a.db, "torkham")
		if err != nil {
			t.Fatal(err)
		}
		categories, err := models.CargoCategories(ctx, a.db)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		yesterday := models.DateOf(now, torkham.Location()).AddDays(-1)
		status := models.StatusChange{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: now.Add(-time.Hour), Source: "form"}
		figure := models.DailyFigure{CrossingID: torkham.ID, Day: yesterday, Direction: models.ToPakistan, CategoryID: categories[0].ID,
			Regime: models.RegimeBilateral, Trucks: 40, Source: "form"}
		if err := a.db.Create(&status).Error; err != nil {
			t.Fatal(err)
		}
		if err := a.db.Create(&figure).Error; err != nil {
			t.Fatal(err)
		}
		admin := signIn(t, a, "root", testPassword)
		if doc := page(t, admin.get("/staff")); doc.Find(".overdue").Length() != 0 {
			t.Errorf("overdue marks before the job ran: %q", doc.Find(".overdue").Text())
		}
		if _, err := a.scheduler.RunNow(ctx, "stale-data", jobsTestManual()); err != nil {
			t.Fatal(err)
		}
		doc := page(t, admin.get("/staff"))
		marks := doc.Find(".overdue")
		if marks.Length() != 1 {
			t.Fatalf("%d overdue marks, want Chaman's alone: %q", marks.Length(), marks.Text())
		}
		item := marks.Parent().Text()
		for _, want := range []string{"Chaman", "Overdue", "no status recorded yet", "figures for " + yesterday.String() + " not entered", "checked"} {
			if !strings.Contains(item, want) {
				t.Errorf("the overdue mark %q does not say %q", item, want)
			}
		}
	})
}

func jobsTestManual() jobs.Manual { return jobs.Manual{Actor: models.Actor{Name: "test"}} }
