package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"borderflow/models/testdb"
)

func texts(s *goquery.Selection) []string {
	return s.Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
}

func TestCrossingPageShowsHistoryChartsFiguresAndClosures(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		boardFixture(t, a)
		rec := get(t, a, "/crossings/torkham")
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /crossings/torkham = %d", rec.Code)
		}
		doc := page(t, rec)
		if got := doc.Find("h1").Text(); !strings.HasPrefix(got, "Torkham") {
			t.Errorf("h1 = %q", got)
		}
		if got := doc.Find(".current .state-word").Text(); got != "Closed" {
			t.Errorf("current status = %q", got)
		}
		if href, _ := doc.Find(".facts a[href*=openstreetmap]").Attr("href"); href != "https://www.openstreetmap.org/?mlat=34.10&mlon=71.09#map=14/34.10/71.09" {
			t.Errorf("map link = %q", href)
		}
		if got := doc.Find(".facts dd").First().Text(); !strings.Contains(got, "24 hours") {
			t.Errorf("opening hours = %q", got)
		}

		// Timeline: open from 30 days ago, closed for the last 3 days 4 hours.
		if got := texts(doc.Find(".timeline rect.band")); len(got) != 2 {
			t.Errorf("timeline bands = %d, want 2", len(got))
		}
		if !strings.HasPrefix(doc.Find(".timeline rect.band").Last().Find("title").Text(), "Closed: 24 Nov 2026, 08:00 PKT – now") {
			t.Errorf("last band = %q", doc.Find(".timeline rect.band").Last().Find("title").Text())
		}
		if rows := doc.Find("section[aria-labelledby=timeline-title] details tbody tr").Length(); rows != 2 {
			t.Errorf("timeline table rows = %d, want 2", rows)
		}

		// The stacked chart's legend lists the loaded categories present, never empty trucks.
		legend := texts(doc.Find(".stacked .legend span"))
		if strings.Join(legend, ",") != "Coal,Cement and building materials,Medicines and medical supplies" {
			t.Errorf("chart legend = %q", legend)
		}
		if doc.Find(".stacked svg title").First().Text() == "" {
			t.Error("the chart has no title")
		}
		if got := doc.Find(`.toggle a[aria-current="page"]`).Text(); got != "Both directions" {
			t.Errorf("current direction = %q", got)
		}

		// The last 30 days, newest first: today, then yesterday with its empties apart.
		rows := doc.Find("table.figures tbody tr")
		if rows.Length() != 30 {
			t.Errorf("recent rows = %d, want 30", rows.Length())
		}
		yesterday := texts(rows.Eq(1).Children())
		want := []string{"26 Nov 2026", "1,206", "120", "1,326", "300", "provisional"}
		if strings.Join(yesterday, "|") != strings.Join(want, "|") {
			t.Errorf("yesterday's row = %q, want %q", yesterday, want)
		}
		if got := strings.TrimSpace(rows.Eq(2).Find("td").Text()); got != "no report yet" {
			t.Errorf("a day without figures shows %q", got)
		}

		closures := doc.Find("table.closures tbody tr")
		if closures.Length() != 1 || !closures.HasClass("ongoing") {
			t.Fatalf("closures = %d rows, want one ongoing", closures.Length())
		}
		cells := texts(closures.First().Children())
		if cells[1] != "ongoing" || cells[2] != "3 days 4 hours" || cells[3] != "Closed" || !strings.HasPrefix(cells[4], "security incident") {
			t.Errorf("closure row = %q", cells)
		}
	})
}

func TestCrossingPageDirectionToggle(t *testing.T) {
	a := newSQLiteApp(t)
	boardFixture(t, a)
	doc := page(t, get(t, a, "/crossings/torkham?direction=to_pakistan"))
	if legend := texts(doc.Find(".stacked .legend span")); strings.Join(legend, ",") != "Coal" {
		t.Errorf("to Pakistan legend = %q, want only Coal", legend)
	}
	if got := doc.Find(`.toggle a[aria-current="page"]`).Text(); got != "To Pakistan" {
		t.Errorf("current direction = %q", got)
	}
	rec := get(t, a, "/crossings/torkham?direction=sideways")
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("bad direction = %d, want 400", rec.Code)
	}
	if got := page(t, rec).Find(".error-message").Text(); !strings.Contains(got, "“sideways” is unknown") {
		t.Errorf("bad direction message = %q", got)
	}
}

func TestUnknownCrossingIs404WithLinkToBoard(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		for _, path := range []string{"/crossings/wagah", "/crossings/%2e%2e", "/crossings/" + strings.Repeat("x", 300)} {
			rec := get(t, a, path)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s = %d, want 404", path, rec.Code)
				continue
			}
			doc := page(t, rec)
			if href, _ := doc.Find("main a").Attr("href"); href != "/" {
				t.Errorf("%s: the 404 page links to %q, want the board", path, href)
			}
		}
	})
}

func TestCrossingPageRevalidates(t *testing.T) {
	a := newSQLiteApp(t)
	boardFixture(t, a)
	first := get(t, a, "/crossings/chaman")
	if rec := get(t, a, "/crossings/chaman", "If-None-Match", first.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", rec.Code)
	}
	if other := get(t, a, "/crossings/chaman?direction=to_pakistan"); other.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Error("two different pages share an ETag")
	}
}
