package app

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"borderflow/models"
	"borderflow/models/testdb"
)

// feedXML is an Atom feed as a feed reader parses it.
type feedXML struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Author  string `xml:"author>name"`
	Entries []struct {
		ID        string `xml:"id"`
		Title     string `xml:"title"`
		Updated   string `xml:"updated"`
		Published string `xml:"published"`
		Link      struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

// getFeed gets an Atom feed and parses it, failing on anything a feed
// reader would stumble on.
func getFeed(t *testing.T, a *App, path string, header ...string) feedXML {
	t.Helper()
	rec := get(t, a, path, header...)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", path, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("GET %s content type = %q", path, ct)
	}
	body := rec.Body.String()
	if IsMissing(body) {
		t.Errorf("GET %s has an untranslated message: %s", path, excerpt(body, "⟦"))
	}
	var feed feedXML
	if err := xml.Unmarshal(rec.Body.Bytes(), &feed); err != nil {
		t.Fatalf("GET %s is not an Atom feed: %v\n%s", path, err, body)
	}
	return feed
}

func TestFeedOfAllCrossingsNewestChangeFirst(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		f := newAPIFixture(t, a)
		feed := getFeed(t, a, "/feed.atom")
		var titles []string
		for _, e := range feed.Entries {
			titles = append(titles, e.Title)
		}
		// The reopening announced for later is not in the feed.
		want := []string{
			"Chaman: Closed (protest or strike)",
			"Torkham: Closed (security incident)",
			"Torkham: Restricted, humanitarian cargo only (documentation or visa rules)",
			"Chaman: Open",
			"Torkham: Open",
		}
		if strings.Join(titles, "\n") != strings.Join(want, "\n") {
			t.Fatalf("entries =\n%s\nwant\n%s", strings.Join(titles, "\n"), strings.Join(want, "\n"))
		}
		if feed.ID != "tag:borderflow,2026:feed" || feed.Author != "borderflow" || feed.Title == "" {
			t.Errorf("feed id %q, author %q, title %q", feed.ID, feed.Author, feed.Title)
		}
		if feed.Updated != "2026-11-26T04:30:00Z" {
			t.Errorf("feed updated = %s, want the newest change's 2026-11-26T04:30:00Z", feed.Updated)
		}
		closed := feed.Entries[0]
		if want := fmt.Sprintf("tag:borderflow,2026:status-change/%d", f.chaman["closed"].ID); closed.ID != want {
			t.Errorf("entry id = %q, want %q", closed.ID, want)
		}
		if closed.Updated != "2026-11-26T04:30:00Z" || closed.Published != "2026-11-26T04:40:00Z" {
			t.Errorf("entry updated %s, published %s; want the change's effective and recorded instants", closed.Updated, closed.Published)
		}
		if closed.Link.Href != "/crossings/chaman" {
			t.Errorf("entry link = %q, want /crossings/chaman", closed.Link.Href)
		}
		wantText := "Crossing: Chaman\nNew status: Closed\nReason: protest or strike\n" +
			"Note: Traders' sit-in on the access road\nIn effect from 26 Nov 2026, 09:30 PKT"
		if closed.Content.Type != "text" || closed.Content.Text != wantText {
			t.Errorf("entry content (%s) =\n%s\nwant\n%s", closed.Content.Type, closed.Content.Text, wantText)
		}
		if got := feed.Entries[2].Content.Text; !strings.Contains(got, "Restriction: humanitarian cargo only") {
			t.Errorf("a restriction's content lacks its scope:\n%s", got)
		}

		// One crossing's feed holds its own changes only.
		torkham := getFeed(t, a, "/crossings/torkham/feed.atom")
		if len(torkham.Entries) != 3 || torkham.Entries[0].Title != "Torkham: Closed (security incident)" || torkham.Entries[2].Title != "Torkham: Open" {
			t.Errorf("torkham feed = %+v", torkham.Entries)
		}
		if torkham.ID != "tag:borderflow,2026:crossing/torkham" || torkham.Updated != "2026-11-24T03:00:00Z" {
			t.Errorf("torkham feed id %q, updated %s", torkham.ID, torkham.Updated)
		}

		if rec := get(t, a, "/crossings/nowhere/feed.atom"); rec.Code != http.StatusNotFound {
			t.Errorf("feed of an unknown crossing = %d, want 404", rec.Code)
		}
		rec := get(t, a, "/feed.atom")
		if again := get(t, a, "/feed.atom", "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
			t.Errorf("feed with its own ETag = %d, want 304", again.Code)
		}
		if vary := strings.Join(rec.Header().Values("Vary"), ", "); !strings.Contains(vary, "Accept-Language") {
			t.Errorf("Vary = %q; the feed's words depend on Accept-Language", vary)
		}
	})
}

func TestFeedLinksAreAbsoluteWithABaseURL(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		newAPIFixture(t, a)
		a.cfg.BaseURL = "https://borderflow.example.org"
		feed := getFeed(t, a, "/crossings/chaman/feed.atom")
		links := map[string]string{}
		for _, l := range feed.Links {
			links[l.Rel] = l.Href
		}
		if links["self"] != "https://borderflow.example.org/crossings/chaman/feed.atom" || links["alternate"] != "https://borderflow.example.org/crossings/chaman" {
			t.Errorf("feed links = %v", links)
		}
		if len(feed.Entries) == 0 || feed.Entries[0].Link.Href != "https://borderflow.example.org/crossings/chaman" {
			t.Errorf("entry links are not absolute: %+v", feed.Entries)
		}
	})
}

func TestFeedHoldsTheFiftyLatestChanges(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, pkt)
		a.now = func() time.Time { return now }
		torkham, err := models.CrossingBySlug(context.Background(), a.DB(), "torkham")
		if err != nil {
			t.Fatal(err)
		}
		// 60 changes, alternately closed and open, one a day up to yesterday.
		weather := models.ReasonWeather
		var changes []models.StatusChange
		for i := 60; i >= 1; i-- {
			c := models.StatusChange{CrossingID: torkham.ID, State: models.StateOpen, EffectiveAt: now.AddDate(0, 0, -i), Source: "form"}
			if i%2 == 0 {
				c.State, c.Reason = models.StateClosed, &weather
			}
			changes = append(changes, c)
		}
		if err := a.DB().Create(&changes).Error; err != nil {
			t.Fatal(err)
		}
		feed := getFeed(t, a, "/feed.atom")
		if len(feed.Entries) != 50 {
			t.Fatalf("feed has %d entries, want the latest 50", len(feed.Entries))
		}
		first, last := feed.Entries[0], feed.Entries[49]
		if first.Updated != "2026-11-26T07:00:00Z" || first.Title != "Torkham: Open" {
			t.Errorf("first entry = %s %q, want yesterday's reopening", first.Updated, first.Title)
		}
		if last.Updated != "2026-10-08T07:00:00Z" || last.Title != "Torkham: Closed (weather)" {
			t.Errorf("last entry = %s %q, want the change of 50 days ago", last.Updated, last.Title)
		}
	})
}

func TestFeedWithoutChangesIsStillAValidFeed(t *testing.T) {
	testdb.ForEachURL(t, func(t *testing.T, databaseURL string) {
		a := newTestApp(t, databaseURL)
		feed := getFeed(t, a, "/feed.atom")
		if len(feed.Entries) != 0 {
			t.Errorf("entries = %d, want none", len(feed.Entries))
		}
		if _, err := time.Parse(time.RFC3339, feed.Updated); err != nil {
			t.Errorf("an empty feed still needs an updated instant: %v", err)
		}
		// It holds still, so that readers polling it get 304s.
		rec := get(t, a, "/feed.atom")
		if again := get(t, a, "/feed.atom", "If-None-Match", rec.Header().Get("ETag")); again.Code != http.StatusNotModified {
			t.Errorf("empty feed with its ETag = %d, want 304", again.Code)
		}
	})
}
