package app

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"borderflow/jobs"
	"borderflow/models"
	"borderflow/models/testdb"
)

// /metrics shows requests by route and status, the database pool and the
// figures saved, to scrapers on the machine or its private network only.
func TestMetricsCountRequestsAndSavesForLocalScrapers(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, url string) {
		a := newWriteApp(t, url)
		_, token := apiToken(t, a, "counter", models.RoleOfficer, "torkham")
		get(t, a, "/")
		get(t, a, "/crossings/torkham")
		get(t, a, "/crossings/nowhere")
		get(t, a, "/no/such/page")
		if rec := postJSON(t, a, "/api/v1/crossings/torkham/figures", token, cementDay); rec.Code != http.StatusOK {
			t.Fatalf("saving a day: %d %s", rec.Code, rec.Body)
		}

		if _, err := a.scheduler.RunNow(context.Background(), "cleanup", jobs.Manual{Actor: models.Actor{Name: "test"}}); err != nil {
			t.Fatal(err)
		}

		rec := getFrom(t, a, "127.0.0.1:9100", "/metrics")
		if rec.Code != http.StatusOK {
			t.Fatalf("/metrics from the machine itself: %d", rec.Code)
		}
		body := rec.Body.String()
		for _, want := range []string{
			`borderflow_http_requests_total{method="GET",route="/",status="200"} 1`,
			`borderflow_http_requests_total{method="GET",route="/crossings/:slug",status="200"} 1`,
			`borderflow_http_requests_total{method="GET",route="/crossings/:slug",status="404"} 1`,
			`borderflow_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`borderflow_http_request_duration_seconds_count{route="/"} 1`,
			`borderflow_figure_days_saved_total{source="api"} 1`,
			`go_sql_max_open_connections{db_name="borderflow"} `,
			`go_goroutines `,
			`borderflow_job_last_success_timestamp_seconds{job="cleanup"} `,
			`borderflow_job_last_success_duration_seconds{job="cleanup"} `,
			`borderflow_job_last_run_failed{job="cleanup"} 0`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		if t.Failed() {
			t.Logf("/metrics:\n%s", body)
		}

		if rec := getFrom(t, a, "10.1.2.3:9100", "/metrics"); rec.Code != http.StatusOK {
			t.Errorf("/metrics from the private network: %d, want 200", rec.Code)
		}
		if rec := get(t, a, "/metrics"); rec.Code != http.StatusNotFound {
			t.Errorf("/metrics from the internet: %d, want 404", rec.Code)
		}
	})
}
